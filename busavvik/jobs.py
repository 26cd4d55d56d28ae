"""The scheduled notify jobs (reminders, weekly digest) the worker runs besides polling."""
from __future__ import annotations

from datetime import datetime

from busavvik.context import AppContext
from busavvik.worker import NotifyJob


def notify_jobs(app: AppContext) -> dict[str, tuple[NotifyJob, dict[str, object]]]:
    jobs: dict[str, tuple[NotifyJob, dict[str, object]]] = {}
    try:
        from busavvik.cli_notify import run_reminders, send_digest
    except ImportError:  # notify not installed in this build
        return jobs
    d = app.settings.digest

    def remind(ctx: AppContext, now: datetime) -> None:
        run_reminders(ctx, now, True)

    def digest(ctx: AppContext, now: datetime) -> None:
        send_digest(ctx, now.date())

    jobs["reminders"] = (remind, {"trigger": "cron", "minute": "5", "hour": "8-15", "day_of_week": "mon-fri"})
    jobs["digest"] = (digest, {"trigger": "cron", "day_of_week": d.day_of_week, "hour": d.hour, "minute": d.minute})
    return jobs
