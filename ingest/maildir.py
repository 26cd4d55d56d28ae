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
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from config.settings import MailboxSettings
from ingest.batches import DEFAULT_BATCH_BYTES, MB, cuts
from ingest.imap import FolderReport, PollReport
from ingest.types import Batch, FolderCursor, RawMessage

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
    """("INBOX", root) and every Maildir++ sub-folder (".Sent" → "Sent", ".A.B" → "A.B")."""
    if not is_maildir(root):
        raise FileNotFoundError(f"{root} is not a Maildir (it needs cur/ and new/ sub-directories)")
    subs = sorted((p.name[1:], p) for p in root.iterdir()
                  if p.name.startswith(".") and p.name not in (".", "..") and p.is_dir() and is_maildir(p))
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


def _read(path: Path) -> bytes | None:
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


def sync_maildir_folder(mailbox_name: str, path: Path, folder: str, cursor: FolderCursor | None, *,
                        batch_size: int = 200, batch_bytes: int = DEFAULT_BATCH_BYTES,
                        clock: Callable[[], int] = time.time_ns) -> Iterator[Batch]:
    """Messages of one Maildir folder with a ctime after the cursor's mark, oldest first, in batches of at
    most `batch_size` files and `batch_bytes` (a bigger file alone)."""
    started = clock()
    mark = cursor.last_uid if cursor is not None and cursor.uidvalidity == 0 else 0
    cap = max(mark, started - SAFETY_NS)
    entries = _entries(path, mark)
    for i, end in cuts([e.size for e in entries], batch_size, batch_bytes):
        chunk = entries[i:end]
        done = chunk[-1].ctime_ns
        if end < len(entries) and entries[end].ctime_ns == done:
            done -= 1                 # files with this ctime continue in the next batch
        messages = [RawMessage(mailbox_name, folder, data) for data in map(_read, (e.path for e in chunk))
                    if data is not None]
        yield Batch(tuple(messages), FolderCursor(0, max(mark, min(done, cap))))


def sync_maildir(mailbox_name: str, root: Path, get_cursor: Callable[[str], FolderCursor | None], *,
                 batch_size: int = 200) -> Iterator[tuple[str, Batch]]:
    """(folder, Batch) for every folder of the Maildir at `root`; save each Batch's cursor after commit."""
    for folder, path in maildir_folders(root):
        for batch in sync_maildir_folder(mailbox_name, path, folder, get_cursor(folder),
                                         batch_size=batch_size):
            yield folder, batch


def poll_maildir(mb: MailboxSettings, get_cursor: Callable[[str], FolderCursor | None],
                 handle_batch: Callable[[str, Batch], None]) -> PollReport:
    """The Maildir twin of `ingest.imap.poll_mailbox`: same seam, same report; never raises per folder."""
    report = PollReport(mb.name)
    try:
        folders = maildir_folders(Path(mb.path))
    except OSError as exc:
        report.folders.append(FolderReport("INBOX", error=f"{exc}", fatal=True))
        return report
    for folder, path in folders:
        folder_report = FolderReport(folder, uidvalidity=0)
        try:
            for batch in sync_maildir_folder(mb.name, path, folder, get_cursor(folder),
                                             batch_size=mb.batch_size, batch_bytes=int(mb.batch_mb * MB)):
                handle_batch(folder, batch)
                folder_report.fetched += len(batch.messages)
                folder_report.batches += 1
        except Exception as exc:  # one folder's failure is reported, never raised further
            log.exception("maildir %s folder %s: failed", mb.name, folder)
            folder_report.error = f"{type(exc).__name__}: {exc}"
        report.folders.append(folder_report)
    return report
