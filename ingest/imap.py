"""Reading an IMAP mailbox without changing it: new messages by UID, in batches, with reconnects.

Read-only by construction: folders are opened with EXAMINE (`readonly=True`) and bodies fetched with
`BODY.PEEK[]`; nothing here sends STORE, MOVE, COPY, EXPUNGE or APPEND.

    report = poll_mailbox(mb, sink)

`sink` (ingest/sink.py) is the caller's seam: `sink.commit(folder, batch, ahead)` stores `batch.messages` and
saves `batch.cursor` in one transaction. After a network failure the poller reconnects and asks
`sink.cursor(folder)` again, so it resumes from the last cursor the sink saved (a batch may be delivered
twice; never skipped).
"""
from __future__ import annotations

import imaplib
import logging
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from config.retry import Backoff, Failure, retry_call
from config.settings import MailboxSettings
from ingest.batches import DEFAULT_BATCH_BYTES, MAX_UIDS, MB
from ingest.imap_fetch import FetchState, fetch_chunk, plan_batches
from ingest.imap_session import ImapAuthError, ImapError, ImapTlsError, close_quietly, connect, tls_context, untraced
from ingest.prefetch import prefetch
from ingest.sink import MailSink
from ingest.types import Batch, FolderCursor

__all__ = ["NETWORK_ERRORS", "FolderReport", "ImapAuthError", "ImapError", "ImapTlsError", "PollReport",
           "RetryPolicy", "connect", "poll_mailbox", "sync_folder", "tls_context", "untraced",
           "with_retries"]

log = logging.getLogger(__name__)

# imaplib.IMAP4.abort covers EOF, BYE and socket errors inside a command; OSError covers connect, timeouts
NETWORK_ERRORS: tuple[type[BaseException], ...] = (OSError, imaplib.IMAP4.abort, EOFError)
T = TypeVar("T")


# ---- one folder ------------------------------------------------------------------------------------------
def sync_folder(client: IMAPClient, mailbox_name: str, folder: str, cursor: FolderCursor | None, *,
                since: date | None = None, batch_size: int = 200, batch_bytes: int = DEFAULT_BATCH_BYTES,
                state: FetchState | None = None, retry: Sequence[tuple[int, int]] = ()) -> Iterator[Batch]:
    """New messages of `folder` after `cursor`, oldest UID first, at most `batch_size` and `batch_bytes`
    (one mail bigger than that alone) per Batch.

    `retry`: (uidvalidity, uid) of messages set aside before (ingest/imap_fetch.py); those of the folder's
    current UIDVALIDITY are asked for again first, in a batch that leaves the cursor where it is.

    Without a cursor, or when UIDVALIDITY changed, the whole folder is scanned again (messages since `since`
    when set). Each Batch's cursor is the highest UID it covers; the last one is raised to UIDNEXT-1, as
    everything below UIDNEXT was looked at. A Batch with no messages may come to move the cursor only
    (a new UIDVALIDITY of an empty folder, expunged UIDs). An idle poll costs one EXAMINE and no SEARCH.
    """
    if not 0 < batch_size <= MAX_UIDS:
        raise ValueError(f"batch_size must be 1..{MAX_UIDS}, got {batch_size}")
    uidvalidity, uidnext, cursor = _examine(client, mailbox_name, folder, cursor)
    state = state or FetchState()
    start = cursor.last_uid if cursor else 0
    again = sorted(uid for valid, uid in retry if valid == uidvalidity and uid <= start) if cursor else []
    for i in range(0, len(again), batch_size):
        chunk = again[i:i + batch_size]
        messages, aside = fetch_chunk(client, mailbox_name, folder, uidvalidity, chunk, state)
        yield Batch(messages, FolderCursor(uidvalidity, start), set_aside=aside, retried=tuple(chunk))
    floor = max(start, uidnext - 1 if uidnext else 0)
    uids = _full_scan(client, since) if cursor is None else _new_uids(client, start, uidnext)
    chunks = plan_batches(client, uids, batch_size, batch_bytes)
    upcoming = next(chunks, None)
    if upcoming is None and (cursor is None or floor > start):
        yield Batch((), FolderCursor(uidvalidity, floor))
    while upcoming is not None:
        chunk, upcoming = upcoming, None
        messages, aside = fetch_chunk(client, mailbox_name, folder, uidvalidity, chunk, state)
        upcoming = next(chunks, None)      # the sizes of the next window are asked for before it is due
        last = max(chunk[-1], floor) if upcoming is None else chunk[-1]
        yield Batch(messages, FolderCursor(uidvalidity, last), set_aside=aside)


def _examine(client: IMAPClient, mailbox_name: str, folder: str,
             cursor: FolderCursor | None) -> tuple[int, int | None, FolderCursor | None]:
    """EXAMINE `folder`: its UIDVALIDITY, UIDNEXT (when the server says), and `cursor` unless UIDVALIDITY changed."""
    info = client.select_folder(folder, readonly=True)
    uidvalidity = int(info[b"UIDVALIDITY"])
    uidnext = int(info[b"UIDNEXT"]) if info.get(b"UIDNEXT") else None
    if cursor is not None and cursor.uidvalidity != uidvalidity:
        log.warning("mailbox %s folder %s: UIDVALIDITY changed from %d to %d; scanning the folder again",
                    mailbox_name, folder, cursor.uidvalidity, uidvalidity)
        cursor = None
    return uidvalidity, uidnext, cursor


def _full_scan(client: IMAPClient, since: date | None) -> list[int]:
    return sorted(client.search(["SINCE", since] if since else ["ALL"]))


def _new_uids(client: IMAPClient, last_uid: int, uidnext: int | None) -> list[int]:
    if uidnext is not None and uidnext <= last_uid + 1:
        return []                     # idle: nothing new, no SEARCH
    found = client.search(["UID", f"{last_uid + 1}:*"])
    return sorted(uid for uid in found if uid > last_uid)   # n:* always matches the highest UID


# ---- retries and the poller ------------------------------------------------------------------------------
RetryPolicy = Backoff          # attempts 4, waits 1, 2, 4 s (at most 60 s): config/retry.py


def describe(exc: BaseException) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def with_retries(fn: Callable[[], T], policy: RetryPolicy = RetryPolicy(),
                 on_retry: Callable[[BaseException], None] | None = None,
                 progress: Callable[[], int] | None = None) -> T:
    """Call `fn`; on a network error call `on_retry`, wait (exponential backoff) and call again.
    Whenever `progress()` rose since the last failure, the failed attempt got further: the count restarts."""

    def retrying(failure: Failure, delay: float) -> None:
        assert failure.error is not None
        log.warning("IMAP network error (%s); retry %d of %d in %.1f s%s", describe(failure.error), failure.number,
                    policy.attempts - 1, delay, " (the last attempt got further: counting anew)" if failure.further
                    else "")
        if on_retry is not None:
            on_retry(failure.error)

    return retry_call(fn, policy, errors=NETWORK_ERRORS, progress=progress, before_retry=retrying)


@dataclass
class FolderReport:
    folder: str
    fetched: int = 0
    batches: int = 0
    retries: int = 0
    set_aside: int = 0
    uidvalidity: int | None = None
    error: str | None = None
    fatal: bool = False           # auth/TLS/connection: the other folders would fail the same way

    def count(self, batch: Batch) -> None:
        """A batch committed by the sink."""
        self.fetched += len(batch.messages)
        self.set_aside += len(batch.set_aside)
        self.batches += 1
        self.uidvalidity = batch.cursor.uidvalidity if batch.cursor else self.uidvalidity


@dataclass
class PollReport:
    mailbox: str
    folders: list[FolderReport] = field(default_factory=list)

    @property
    def fetched(self) -> int:
        return sum(f.fetched for f in self.folders)

    @property
    def errors(self) -> list[str]:
        return [f"{self.mailbox}/{f.folder}: {f.error}" for f in self.folders if f.error]

    @property
    def ok(self) -> bool:
        return not self.errors


class _Session:
    """One lazily opened connection, dropped on a network error and reopened by the next attempt."""

    def __init__(self, mb: MailboxSettings, connect_fn: Callable[[MailboxSettings], IMAPClient]) -> None:
        self.mb, self.connect_fn = mb, connect_fn
        self.client: IMAPClient | None = None
        self.connected = False

    def get(self) -> IMAPClient:
        if self.client is None:
            self.client = self.connect_fn(self.mb)
            self.connected = True
        return self.client

    def drop(self) -> None:
        if self.client is not None:
            close_quietly(self.client.shutdown)
        self.client = None

    def close(self) -> None:
        if self.client is not None:
            close_quietly(self.client.logout)
        self.client = None


def _poll_folder(session: _Session, folder: str, sink: MailSink, policy: RetryPolicy) -> FolderReport:
    mb, report, state = session.mb, FolderReport(folder), FetchState()
    retry = list(sink.retries_due(folder))

    def attempt() -> None:
        batches = sync_folder(session.get(), mb.name, folder, sink.cursor(folder), since=mb.since,
                              batch_size=mb.batch_size, batch_bytes=int(mb.batch_mb * MB), state=state,
                              retry=retry)
        try:   # the sink's head start runs in the fetching thread, one batch ahead of its commit
            for batch, ahead in prefetch((batch, sink.ahead(batch.messages)) for batch in batches):
                sink.commit(folder, batch, ahead)
                report.count(batch)
                state.progress += 1
                if batch.retried:
                    retry.clear()   # asked for again once per poll; what is still refused stays set aside
        except NETWORK_ERRORS as exc:
            state.lost_connection(exc)
            raise

    def on_retry(_exc: BaseException) -> None:
        report.retries += 1
        session.drop()

    try:
        with_retries(attempt, policy, on_retry, progress=lambda: state.progress)
    except Exception as exc:  # one folder's failure is reported, never raised further
        report.error, report.fatal = _failure(exc, session, folder, policy)
        log.error("mailbox %s folder %s: %s", mb.name, folder, report.error)
    return report


def _failure(exc: Exception, session: _Session, folder: str, policy: RetryPolicy) -> tuple[str, bool]:
    """A folder's poll failed: what the report says, and whether the other folders would fail the same way."""
    if isinstance(exc, ImapError):
        return str(exc), True
    if isinstance(exc, NETWORK_ERRORS):
        session.drop()
        return f"network error after {policy.attempts} attempts: {describe(exc)}", not session.connected
    if isinstance(exc, IMAPClientError):
        return f"the server refused: {exc}", False
    log.exception("mailbox %s folder %s: unexpected failure", session.mb.name, folder)
    return f"{type(exc).__name__}: {exc}", False


def poll_mailbox(mb: MailboxSettings, sink: MailSink, *,
                 connect: Callable[[MailboxSettings], IMAPClient] = connect,
                 policy: RetryPolicy = RetryPolicy()) -> PollReport:
    """Sync every configured folder of `mb` into `sink`; failures are in the report, never raised
    (StopRequested from the sink excepted). `sink.ahead` runs in the fetching thread on each batch before
    it is committed; `sink.retries_due(folder)` names the set-aside messages to ask for again."""
    report = PollReport(mb.name)
    session = _Session(mb, connect)
    try:
        for i, folder in enumerate(mb.folders):
            folder_report = _poll_folder(session, folder, sink, policy)
            report.folders.append(folder_report)
            if folder_report.fatal:
                report.folders += [FolderReport(f, error=f"not polled: {folder_report.error}", fatal=True)
                                   for f in mb.folders[i + 1:]]
                break
    finally:
        session.close()
    return report
