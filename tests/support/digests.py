"""Sending the weekly digest now, through the real SMTP client (tests/test_digest_catchup.py, test_status_ops.py)."""
from __future__ import annotations

from datetime import date

from busavvik.context import AppContext
from notify import service
from notify.smtp import SmtpSender

MONDAY = date(2026, 11, 23)


def send(app: AppContext, day: date) -> object:
    return service.send_digest(app, day, transport=SmtpSender(app.settings.smtp, backoff=0.01))
