"""What every mail source hands to the pipeline: raw bytes and where they were seen."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RawMessage:
    mailbox: str                 # configured mailbox name, e.g. "storsthlm"
    folder: str                  # IMAP folder, Maildir sub-folder, or the file's path for file imports
    data: bytes = field(repr=False)
    uidvalidity: int | None = None
    uid: int | None = None


@dataclass(frozen=True)
class FolderCursor:
    """Where an incremental sync of one (mailbox, folder) stands."""
    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class SetAside:
    """A message the server would not deliver, or a Maildir file that cannot be read: the sync goes on past
    it; it is tried again later. `uid` is the IMAP UID, or `ingest.maildir.file_key` of the file."""
    uid: int
    code: str                    # refused | hung_up | empty (IMAP); unreadable (a Maildir file)
    reason: str
    headers: bytes = field(default=b"", repr=False)   # From, Subject, Date, Message-ID, when the server gave them


@dataclass(frozen=True)
class Batch:
    """A batch of fetched messages and the cursor to save once they are committed (None: a file import,
    which has no place to resume from)."""
    messages: tuple[RawMessage, ...]
    cursor: FolderCursor | None
    folder: str = ""             # the folder the cursor belongs to (a batch may be empty)
    set_aside: tuple[SetAside, ...] = ()   # UIDs at or below the cursor the server would not deliver
    retried: tuple[int, ...] = ()          # set-aside UIDs asked for again in this batch
