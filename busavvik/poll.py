"""One poll cycle over every configured mailbox: fetch new mail, store it, advance the cursors.

Each batch is stored and its cursor saved in one transaction, so a crash never skips a message and a
re-fetch adds nothing.  One failing mailbox is recorded in its status and never stops the others.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from busavvik.context import AppContext
from busavvik.pipeline import Pipeline
from busavvik.stats import IngestStats
from config.settings import MailboxSettings
from ingest.types import Batch, FolderCursor
from store.message_rows import get_cursor, now, set_cursor
from store.models import MailboxStatus
from store.setaside import due_for_retry, record_set_aside

log = logging.getLogger("busavvik.poll")


class StopRequested(BaseException):
    """Raised between batches when the worker was asked to stop; the batch in hand is committed.
    A BaseException so that no source's per-folder `except Exception` swallows it."""


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


def _record_status(app: AppContext, result: MailboxResult) -> None:
    with app.db.session() as session:
        row = session.get(MailboxStatus, result.mailbox)
        if row is None:
            row = MailboxStatus(mailbox=result.mailbox, error_count=0, fetched_total=0)
            session.add(row)
        row.last_poll_at = now()
        row.fetched_total = (row.fetched_total or 0) + result.stats.new + result.stats.duplicates
        if result.error is None:   # recovered: no error is shown any more (error_count is failures in a row)
            row.last_success_at, row.last_error, row.last_error_code = row.last_poll_at, None, None
            row.error_count, row.error_since = 0, None
        else:
            row.last_error, row.last_error_code = result.error[:1000], result.error_code
            row.error_count = (row.error_count or 0) + 1
            row.error_since = row.error_since or row.last_poll_at


def _batch_handler(app: AppContext, pipeline: Pipeline, mb: MailboxSettings, result: MailboxResult,
                   stop: threading.Event | None) -> Callable[[str, Batch], None]:
    def handle(folder: str, batch: Batch) -> None:
        with app.db.session(write=True) as session:   # the batch and its cursor: one transaction
            result.stats.add(pipeline.ingest_batch(session, batch.messages, batch.prepared))
            record_set_aside(session, mb.name, folder, batch)
            set_cursor(session, mb.name, folder, batch.cursor)
        result.set_aside += len(batch.set_aside)
        if stop is not None and stop.is_set():
            raise StopRequested
    return handle


def _cursor_reader(app: AppContext, mb: MailboxSettings) -> Callable[[str], FolderCursor | None]:
    def read(folder: str) -> FolderCursor | None:
        with app.db.session() as session:
            return get_cursor(session, mb.name, folder)
    return read


def _retry_reader(app: AppContext, mb: MailboxSettings, every: bool) -> Callable[[str], list[tuple[int, int]]]:
    def read(folder: str) -> list[tuple[int, int]]:
        with app.db.session() as session:
            return due_for_retry(session, mb.name, folder, every=every)
    return read


def _run_source(app: AppContext, pipeline: Pipeline, mb: MailboxSettings,
                handle: Callable[[str, Batch], None], retry_now: bool = False) -> None:
    from ingest.imap import poll_mailbox
    from ingest.maildir import poll_maildir
    if mb.type == "maildir":
        # a local file costs nothing to try again: every set-aside file, at every poll
        report = poll_maildir(mb, _cursor_reader(app, mb), handle, get_retry=_retry_reader(app, mb, True))
    else:
        def prepare(batch: Batch) -> Batch:  # in the fetching thread: parsing starts before storing
            return replace(batch, prepared=pipeline.prepare(batch.messages))
        report = poll_mailbox(mb, _cursor_reader(app, mb), handle, prepare=prepare,
                              get_retry=_retry_reader(app, mb, retry_now))
    if report.errors:
        raise MailboxError("; ".join(report.errors))


class MailboxError(Exception):
    """A mailbox's poll ended with errors (the source's report, joined)."""


def poll_mailbox_once(app: AppContext, pipeline: Pipeline, mb: MailboxSettings,
                      stop: threading.Event | None = None, retry_now: bool = False) -> MailboxResult:
    """`retry_now`: ask for every set-aside message again now, not only those due (store/setaside.py)."""
    result = MailboxResult(mb.name)
    handle = _batch_handler(app, pipeline, mb, result, stop)
    try:
        _run_source(app, pipeline, mb, handle, retry_now)
    except StopRequested:
        raise
    except Exception as exc:  # noqa: BLE001 - one mailbox failing never stops the others
        result.error, result.error_code = f"{type(exc).__name__}: {exc}", _error_code(exc)
        log.error("mailbox %s: %s", mb.name, result.error)
    _record_status(app, result)
    return result


def poll_once(app: AppContext, stop: threading.Event | None = None, retry_now: bool = False
              ) -> list[MailboxResult]:
    results = []
    with Pipeline(app.db, app.rules, app.settings.reminders.due_months, budget=app.budget) as pipeline:
        for mb in app.settings.mailboxes:
            results.append(poll_mailbox_once(app, pipeline, mb, stop, retry_now))
            if stop is not None and stop.is_set():
                break
    return results
