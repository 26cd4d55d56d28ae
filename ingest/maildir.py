"""A live Maildir as a read-only mail source (e.g. a mirror kept by mbsync): `type = "maildir"`.

Files are only listed, stat'ed and read (with O_NOATIME where allowed); nothing is renamed, moved, created or
deleted, so the mirroring tool keeps sole ownership of the directory.

Cursor: a Maildir has no UIDs, and file names are not stable (flags live in the name; a mail moves from new/
to cur/). The cursor is therefore a *ctime high-water mark*: `FolderCursor(uidvalidity=0,
last_uid=<ctime in ns>)` means "every file with ctime <= last_uid has been delivered", and a sync yields the
files with a newer ctime. ctime (not mtime) because nobody can set it: delivering, copying with preserved
times, or renaming a file all set it to "now", so no new file can appear below the mark. The mark never
passes `SAFETY_NS` before the scan's start (the file system's clock is coarse), never splits files with
the same ctime across two batches, and so nothing is missed even if the caller stops after any batch.
The price is some duplicates: a file renamed by the mirror (flag change, new/ -> cur/) and files younger
than `SAFETY_NS` come again. The pipeline deduplicates by Message-ID and content; missing a message would
be the real harm. RawMessage.uid/uidvalidity are None (there are no IMAP UIDs here).

A file that cannot be read (wrong owner or mode after a mirror run as another user, an I/O error) is set aside
as IMAP mail the server will not deliver is (store/setaside.py): the folder goes on past it, and it is read
again at every poll. Its key is `file_key` of its unique base name, with UIDVALIDITY 0. Fixing its mode or
owner also changes its ctime, so the ordinary scan delivers it as well.
"""
from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from config.settings import MailboxSettings
from ingest.batches import DEFAULT_BATCH_BYTES, MB, cuts
from ingest.imap import FolderReport, PollReport
from ingest.sink import MailSink
from ingest.types import Batch, FolderCursor, RawMessage, SetAside

log = logging.getLogger(__name__)

SAFETY_NS = 2_000_000_000
_NOATIME = getattr(os, "O_NOATIME", 0)


@dataclass(frozen=True)
class _Entry:
    ctime_ns: int
    path: Path
    size: int = 0


def is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def maildir_folders(root: Path) -> list[tuple[str, Path]]:
    """("INBOX", root) and every sub-folder that is a Maildir: Maildir++ (".Sent" → "Sent", ".A.B" → "A.B") or
    a plain directory ("Sent" → "Sent", as Dovecot's fs layout and mbsync write them). The one naming rule of
    the poll and of `busavvik import`."""
    if not is_maildir(root):
        raise FileNotFoundError(f"{root} is not a Maildir (it needs cur/ and new/ sub-directories)")
    subs = sorted((p.name[1:] if p.name.startswith(".") else p.name, p) for p in root.iterdir()
                  if p.name not in (".", "..", "cur", "new", "tmp") and p.is_dir() and is_maildir(p))
    return [("INBOX", root), *subs]


def _entries(folder: Path, after_ns: int) -> list[_Entry]:
    out = []
    for sub in ("cur", "new"):
        with os.scandir(folder / sub) as it:
            for entry in it:
                if entry.name.startswith("."):
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue          # renamed meanwhile: the new name has a newer ctime, next sync has it
                if entry.is_file(follow_symlinks=False) and st.st_ctime_ns > after_ns:
                    out.append(_Entry(st.st_ctime_ns, Path(entry.path), st.st_size))
    return sorted(out, key=lambda e: (e.ctime_ns, e.path.name))


def file_key(name: str) -> int:
    """A Maildir file's set-aside key: a number from its unique base name, which stays when the mirror renames
    the file (flags after the ':', new/ to cur/). 63 bits, so that it fits a signed BIGINT like a UID."""
    base = name.split(":", 1)[0].encode("utf-8", "surrogateescape")
    return int.from_bytes(hashlib.blake2b(base, digest_size=8).digest(), "big") >> 1


def _read(path: Path) -> bytes | str | None:
    """The file's bytes; None when it vanished; why not when it cannot be read."""
    try:
        try:
            fd = os.open(path, os.O_RDONLY | _NOATIME)
        except PermissionError:       # O_NOATIME needs ownership; read normally then
            fd = os.open(path, os.O_RDONLY)
        with os.fdopen(fd, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        log.info("maildir %s: vanished while reading (renamed by the mirror?); next sync has it", path)
        return None
    except OSError as exc:            # PermissionError (owner, mode), EIO, ...
        return f"{path.parent.name}/{path.name}: {exc.strerror or type(exc).__name__}"


def _batch(mailbox: str, folder: str, paths: Sequence[Path], cursor: FolderCursor,
           retried: tuple[int, ...] = (), tried: frozenset[int] = frozenset()) -> Batch:
    """The files read into a Batch; those that cannot be read are set aside (once a poll: not again when
    their key is in `tried`, those read again before the scan)."""
    messages, aside = [], []
    for path in paths:
        got = _read(path)
        if isinstance(got, bytes):
            messages.append(RawMessage(mailbox, folder, got))
        elif got is not None and (key := file_key(path.name)) not in tried:
            log.warning("maildir %s folder %s: cannot read %s; set aside, read again at every poll",
                        mailbox, folder, got)
            aside.append(SetAside(key, "unreadable", got))
    return Batch(tuple(messages), cursor, set_aside=tuple(aside), retried=retried)


def _again(mailbox: str, path: Path, folder: str, mark: int, keys: frozenset[int],
           batch_size: int) -> Iterator[Batch]:
    """The set-aside files of `keys` read again, the cursor left where it is. A key whose file is gone is
    retried in the first batch and so forgotten (the mirror deleted it; renamed, it keeps its key)."""
    if not keys:
        return
    keyed = {p: file_key(p.name) for sub in ("cur", "new") for p in (path / sub).iterdir()}
    found = sorted(p for p, key in keyed.items() if key in keys)
    chunks = [found[i:i + batch_size] for i in range(0, len(found), batch_size)] or [[]]
    gone = tuple(keys - {keyed[p] for p in found})
    for n, chunk in enumerate(chunks):
        retried = tuple(keyed[p] for p in chunk) + (gone if n == 0 else ())
        yield _batch(mailbox, folder, chunk, FolderCursor(0, mark), retried)


def sync_maildir_folder(mailbox_name: str, path: Path, folder: str, cursor: FolderCursor | None, *,
                        batch_size: int = 200, batch_bytes: int = DEFAULT_BATCH_BYTES,
                        clock: Callable[[], int] = time.time_ns,
                        retry: Sequence[tuple[int, int]] = ()) -> Iterator[Batch]:
    """Messages of one Maildir folder with a ctime after the cursor's mark, oldest first, in batches of at
    most `batch_size` files and `batch_bytes` (a bigger file alone). First the set-aside files of `retry`
    ((0, file_key) pairs) are read again."""
    started = clock()
    mark = cursor.last_uid if cursor is not None and cursor.uidvalidity == 0 else 0
    tried = frozenset(uid for valid, uid in retry if valid == 0)
    yield from _again(mailbox_name, path, folder, mark, tried, batch_size)
    cap = max(mark, started - SAFETY_NS)
    entries = _entries(path, mark)
    for i, end in cuts([e.size for e in entries], batch_size, batch_bytes):
        chunk = entries[i:end]
        done = chunk[-1].ctime_ns
        if end < len(entries) and entries[end].ctime_ns == done:
            done -= 1                 # files with this ctime continue in the next batch
        yield _batch(mailbox_name, folder, [e.path for e in chunk], FolderCursor(0, max(mark, min(done, cap))),
                     tried=tried)


def sync_maildir(mailbox_name: str, root: Path, get_cursor: Callable[[str], FolderCursor | None], *,
                 batch_size: int = 200) -> Iterator[tuple[str, Batch]]:
    """(folder, Batch) for every folder of the Maildir at `root`; save each Batch's cursor after commit."""
    for folder, path in maildir_folders(root):
        for batch in sync_maildir_folder(mailbox_name, path, folder, get_cursor(folder),
                                         batch_size=batch_size):
            yield folder, batch


def poll_maildir(mb: MailboxSettings, sink: MailSink) -> PollReport:
    """The Maildir twin of `ingest.imap.poll_mailbox`: same seam (ingest/sink.py), same report; never raises
    per folder. `sink.retries_due(folder)`: the folder's set-aside files, (0, file_key) pairs, to be read
    again. A local file costs nothing to read, so there is no head start (`sink.ahead`) here."""
    report = PollReport(mb.name)
    try:
        folders = maildir_folders(Path(mb.path))
    except OSError as exc:
        report.folders.append(FolderReport("INBOX", error=f"{exc}", fatal=True))
        return report
    for folder, path in folders:
        folder_report = FolderReport(folder, uidvalidity=0)
        try:
            for batch in sync_maildir_folder(mb.name, path, folder, sink.cursor(folder),
                                             batch_size=mb.batch_size, batch_bytes=int(mb.batch_mb * MB),
                                             retry=sink.retries_due(folder)):
                sink.commit(folder, batch)
                folder_report.count(batch)
        except Exception as exc:  # one folder's failure is reported, never raised further
            log.exception("maildir %s folder %s: failed", mb.name, folder)
            folder_report.error = f"{type(exc).__name__}: {exc}"
        report.folders.append(folder_report)
    return report
