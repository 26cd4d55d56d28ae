"""The one seam between a mail source and the store: a source reads, the store keeps (docs/ARCHITECTURE.md).

A source (ingest/imap.py, ingest/maildir.py) asks its sink where each folder stands and which set-aside
messages to ask for again, and hands it every batch; `commit` stores the batch, what it set aside and the
folder's cursor in one transaction, so a crash never skips a message and a re-fetch adds nothing. A file
import (ingest/files.py) only commits: its batches have no cursor. The store implements it
(pipeline/intake.py); busavvik/poll.py wires the two. Nothing here imports the store.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ingest.types import Batch, FolderCursor, RawMessage

if TYPE_CHECKING:
    from pipeline.ahead import ParseAhead

__all__ = ["MailSink", "StopRequested"]


class StopRequested(BaseException):
    """Raised by a sink's `commit` when the worker was asked to stop; the batch in hand is committed.
    A BaseException so that no source's per-folder `except Exception` swallows it."""


@runtime_checkable
class MailSink(Protocol):
    def cursor(self, folder: str) -> FolderCursor | None:
        """Where the folder's sync stands: the cursor of its last committed batch (None: from the start)."""

    def retries_due(self, folder: str) -> Sequence[tuple[int, int]]:
        """(uidvalidity, uid) of the folder's set-aside messages to ask for again now."""

    def ahead(self, messages: Sequence[RawMessage]) -> ParseAhead | None:
        """Start the work on a fetched batch at once, in the fetching thread (the parse-ahead); never raises.
        What it returns goes back with the batch to `commit`."""

    def commit(self, folder: str, batch: Batch, ahead: ParseAhead | None = None) -> None:
        """Store the batch, what it set aside and its cursor in one transaction; may raise StopRequested
        after the commit."""
