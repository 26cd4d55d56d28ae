"""One poll cycle over every configured mailbox: fetch new mail, store it, advance the cursors.

Each batch is stored and its cursor saved in one transaction, so a crash never skips a message and a
re-fetch adds nothing.  One failing mailbox is recorded in its status and never stops the others.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from busavvik.context import AppContext
from busavvik.pipeline import IngestStats, Pipeline
from config.settings import MailboxSettings
from ingest.files import open_source
from ingest.types import Batch, FolderCursor
from store.models import MailboxStatus
from store.repo import get_cursor, now, set_cursor

log = logging.getLogger("busavvik.poll")


class StopRequested(Exception):
    """Raised between batches when the worker was asked to stop; the batch in hand is committed."""


@dataclass
class MailboxResult:
    mailbox: str
    stats: IngestStats = field(default_factory=IngestStats)
    error: str | None = None
    error_code: str | None = None


def _error_code(exc: BaseException) -> str:
    name = type(exc).__name__.lower()
    if "auth" in name or "login" in name:
        return "auth_failed"
    if "ssl" in name or "certificate" in name:
        return "tls_failed"
    if isinstance(exc, (OSError, TimeoutError)) or "timeout" in name or "abort" in name:
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
        if result.error is None:
            row.last_success_at, row.last_error, row.last_error_code = row.last_poll_at, None, None
        else:
            row.last_error, row.last_error_code = result.error[:1000], result.error_code
            row.error_count = (row.error_count or 0) + 1


def _batch_handler(app: AppContext, pipeline: Pipeline, mb: MailboxSettings, result: MailboxResult,
                   stop: threading.Event | None) -> Callable[[Batch], None]:
    def handle(batch: Batch) -> None:
        folder = batch.folder or (batch.messages[0].folder if batch.messages else "")
        with app.db.session() as session:
            result.stats.add(pipeline.ingest_batch(session, batch.messages))
            if folder:
                set_cursor(session, mb.name, folder, batch.cursor)
        if stop is not None and stop.is_set():
            raise StopRequested
    return handle


def _cursor_reader(app: AppContext, mb: MailboxSettings) -> Callable[[str], FolderCursor | None]:
    def read(folder: str) -> FolderCursor | None:
        with app.db.session() as session:
            return get_cursor(session, mb.name, folder)
    return read


def _poll_maildir(mb: MailboxSettings, handle: Callable[[Batch], None]) -> None:
    """A read-only Maildir mirror: every file each cycle; known bytes are skipped cheaply by the store."""
    source = open_source(Path(mb.path), mb.name)
    batch: list = []
    for raw in source.messages():
        batch.append(raw)
        if len(batch) >= mb.batch_size:
            handle(Batch(tuple(batch), FolderCursor(0, 0)))
            batch = []
    if batch:
        handle(Batch(tuple(batch), FolderCursor(0, 0)))


def _poll_imap(app: AppContext, mb: MailboxSettings, handle: Callable[[Batch], None]) -> None:
    from ingest.imap import poll_mailbox
    report = poll_mailbox(mb, _cursor_reader(app, mb), handle)
    errors = [f"{folder}: {err}" for folder, err in getattr(report, "errors", {}).items()] \
        if isinstance(getattr(report, "errors", None), dict) else []
    if errors:
        raise RuntimeError("; ".join(errors))


def poll_mailbox_once(app: AppContext, pipeline: Pipeline, mb: MailboxSettings,
                      stop: threading.Event | None = None) -> MailboxResult:
    result = MailboxResult(mb.name)
    handle = _batch_handler(app, pipeline, mb, result, stop)
    try:
        if mb.type == "maildir":
            _poll_maildir(mb, handle)
        else:
            _poll_imap(app, mb, handle)
    except StopRequested:
        raise
    except Exception as exc:  # noqa: BLE001 - one mailbox failing never stops the others
        result.error, result.error_code = f"{type(exc).__name__}: {exc}", _error_code(exc)
        log.error("mailbox %s: %s", mb.name, result.error)
    _record_status(app, result)
    return result


def poll_once(app: AppContext, stop: threading.Event | None = None) -> list[MailboxResult]:
    pipeline = Pipeline(app.db, app.rules, app.settings.reminders.due_months)
    results = []
    for mb in app.settings.mailboxes:
        results.append(poll_mailbox_once(app, pipeline, mb, stop))
        if stop is not None and stop.is_set():
            break
    return results
