"""One poll cycle over every configured mailbox: fetch new mail, store it, advance the cursors.

Each mailbox's source (ingest/imap.py, ingest/maildir.py) hands its batches to the store through one seam,
`ingest.sink.MailSink`, here the store's `StoreIntake` (pipeline/intake.py): each batch is stored and its cursor
saved in one transaction, so a crash never skips a message and a re-fetch adds nothing. One failing mailbox
is recorded in its status and never stops the others.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from busavvik.context import AppContext
from config.settings import MailboxSettings
from ingest.sink import StopRequested
from pipeline.batch import Pipeline
from pipeline.intake import StoreIntake, record_poll
from store.stats import IngestStats

__all__ = ["MailboxError", "MailboxResult", "StopRequested", "poll_mailbox_once", "poll_once"]
log = logging.getLogger("busavvik.poll")


@dataclass
class MailboxResult:
    mailbox: str
    stats: IngestStats = field(default_factory=IngestStats)
    error: str | None = None
    error_code: str | None = None
    set_aside: int = 0           # messages the server would not deliver in this poll (store/setaside.py)


def _error_code(exc: BaseException) -> str:
    name = f"{type(exc).__name__} {exc}".lower()
    if "auth" in name or "login" in name or "token" in name or "password" in name:
        return "auth_failed"
    if "ssl" in name or "certificate" in name or "tls" in name:
        return "tls_failed"
    if isinstance(exc, (OSError, TimeoutError)) or "network" in name or "timeout" in name:
        return "network"
    return "error"


def _run_source(mb: MailboxSettings, sink: StoreIntake) -> None:
    from ingest.imap import poll_mailbox
    from ingest.maildir import poll_maildir
    report = poll_maildir(mb, sink) if mb.type == "maildir" else poll_mailbox(mb, sink)
    if report.errors:
        raise MailboxError("; ".join(report.errors))


class MailboxError(Exception):
    """A mailbox's poll ended with errors (the source's report, joined)."""


def poll_mailbox_once(app: AppContext, pipeline: Pipeline, mb: MailboxSettings,
                      stop: threading.Event | None = None, retry_now: bool = False) -> MailboxResult:
    """`retry_now`: ask for every set-aside message again now, not only those due (store/setaside.py)."""
    # a local file costs nothing to try again: every set-aside Maildir file, at every poll
    sink = StoreIntake(app.db, pipeline, mb.name, every_retry=retry_now or mb.type == "maildir", stop=stop)
    result = MailboxResult(mb.name, sink.stats)
    try:
        _run_source(mb, sink)
    except StopRequested:
        raise
    except Exception as exc:  # noqa: BLE001 - one mailbox failing never stops the others
        result.error, result.error_code = f"{type(exc).__name__}: {exc}", _error_code(exc)
        log.error("mailbox %s: %s", mb.name, result.error)
    result.set_aside = sink.set_aside
    record_poll(app.db, mb.name, result.stats, result.error, result.error_code)
    return result


def poll_once(app: AppContext, stop: threading.Event | None = None, retry_now: bool = False
              ) -> list[MailboxResult]:
    results = []
    with Pipeline(app.db, app.rules, app.settings.reminders.due_months, budget=app.budget) as pipeline:
        pipeline.fill_facts()
        for mb in app.settings.mailboxes:
            results.append(poll_mailbox_once(app, pipeline, mb, stop, retry_now))
            if stop is not None and stop.is_set():
                break
    return results
