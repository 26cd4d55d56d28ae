"""The store's side of the seam every mail source talks to (`ingest.sink.MailSink`, docs/ARCHITECTURE.md).

`StoreIntake` is one mailbox's sink for one poll: it reads the folders' cursors and the set-aside messages due
again, starts the parse of a fetched batch ahead (pipeline/batch.py), and commits each batch, what it set
aside (store/setaside.py) and the folder's cursor in one transaction. `record_poll` keeps the mailbox's
status row (what `busavvik status` and the web's status page show).
"""
from __future__ import annotations

import threading
from collections.abc import Sequence

from ingest.sink import StopRequested
from ingest.types import Batch, FolderCursor, RawMessage
from pipeline.ahead import ParseAhead
from pipeline.batch import Pipeline
from store.db import Database
from store.message_rows import get_cursor, now, set_cursor
from store.models import MailboxStatus
from store.setaside import due_for_retry, record_set_aside
from store.stats import IngestStats

__all__ = ["StoreIntake", "record_poll"]


class StoreIntake:
    """`ingest.sink.MailSink` for mailbox `mailbox`. `every_retry`: every set-aside message is due now, not
    only those whose wait is over (a Maildir, or `busavvik poll --retry-now`). After each commit, a set
    `stop` event raises StopRequested: the source stops with the batch in hand committed."""

    def __init__(self, db: Database, pipeline: Pipeline, mailbox: str, every_retry: bool = False,
                 stop: threading.Event | None = None) -> None:
        self.db, self.pipeline, self.mailbox = db, pipeline, mailbox
        self.every_retry, self.stop = every_retry, stop
        self.stats = IngestStats()
        self.set_aside = 0             # messages the source could not deliver in this poll

    def cursor(self, folder: str) -> FolderCursor | None:
        with self.db.session() as session:
            return get_cursor(session, self.mailbox, folder)

    def retries_due(self, folder: str) -> Sequence[tuple[int, int]]:
        with self.db.session() as session:
            return due_for_retry(session, self.mailbox, folder, every=self.every_retry)

    def ahead(self, messages: Sequence[RawMessage]) -> ParseAhead | None:
        return self.pipeline.prepare(messages)

    def commit(self, folder: str, batch: Batch, ahead: ParseAhead | None = None) -> None:
        with self.db.session(write=True) as session:   # the batch and its cursor: one transaction
            self.stats.add(self.pipeline.ingest_batch(session, batch.messages, ahead))
            record_set_aside(session, self.mailbox, folder, batch)
            if batch.cursor is not None:
                set_cursor(session, self.mailbox, folder, batch.cursor)
        self.set_aside += len(batch.set_aside)
        if self.stop is not None and self.stop.is_set():
            raise StopRequested


def record_poll(db: Database, mailbox: str, stats: IngestStats, error: str | None = None,
                error_code: str | None = None) -> None:
    """The mailbox's status after a poll: its last success, or the error (failures in a row are counted)."""
    with db.session() as session:
        row = session.get(MailboxStatus, mailbox)
        if row is None:
            row = MailboxStatus(mailbox=mailbox, error_count=0, fetched_total=0)
            session.add(row)
        row.last_poll_at = now()
        row.fetched_total = (row.fetched_total or 0) + stats.new + stats.duplicates
        if error is None:   # recovered: no error is shown any more (error_count is failures in a row)
            row.last_success_at, row.last_error, row.last_error_code = row.last_poll_at, None, None
            row.error_count, row.error_since = 0, None
        else:
            row.last_error, row.last_error_code = error[:1000], error_code
            row.error_count = (row.error_count or 0) + 1
            row.error_since = row.error_since or row.last_poll_at
