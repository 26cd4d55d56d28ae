"""Backfill sources: a directory of .eml files (recursive), an mbox file, or a Maildir.  Read-only."""
from __future__ import annotations

import mailbox
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timezone
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime
from pathlib import Path

from ingest.maildir import is_maildir, maildir_folders
from ingest.sink import MailSink
from ingest.types import Batch, RawMessage


class SourceError(Exception):
    """The path is not something we can import from; the message says why."""


@dataclass(frozen=True)
class FileSource:
    path: Path
    kind: str        # "eml-dir" | "eml-file" | "mbox" | "maildir"
    mailbox: str

    def count(self) -> int:
        return sum(1 for _ in self._items())

    def _items(self) -> Iterator[tuple[str, Path | str]]:
        if self.kind == "eml-file":
            yield str(self.path), self.path
        elif self.kind == "eml-dir":
            for root, dirs, files in os.walk(self.path):
                dirs.sort()
                for name in sorted(files):
                    if name.lower().endswith((".eml", ".msg")):
                        yield os.path.relpath(os.path.join(root, name), self.path), Path(root, name)
        elif self.kind == "maildir":
            for folder, path in _maildir_files(self.path):
                yield folder, path
        else:
            yield "mbox", self.path

    def batches(self, chunk: int = 200) -> Iterator[Batch]:
        """The messages in batches of `chunk`, with no cursor: a file import starts from the beginning."""
        batch: list[RawMessage] = []
        for raw in self.messages():
            batch.append(raw)
            if len(batch) >= chunk:
                yield Batch(tuple(batch), None, "files")
                batch = []
        if batch:
            yield Batch(tuple(batch), None, "files")

    def feed(self, sink: MailSink, progress: Callable[[int], None] | None = None) -> None:
        """Hand every batch to the store through the one seam every source uses (ingest/sink.py)."""
        for batch in self.batches():
            sink.commit(batch.folder, batch)
            if progress is not None:
                progress(len(batch.messages))

    def messages(self) -> Iterator[RawMessage]:
        if self.kind == "mbox":
            yield from _mbox_messages(self.path, self.mailbox)
            return
        for label, path in _by_date(self._items()):
            folder = label if self.kind == "maildir" else "files"
            yield RawMessage(self.mailbox, folder, _read(Path(path)))


def _read(path: Path) -> bytes:
    if path.suffix.lower() == ".msg":
        from ingest.msgfile import msg_to_eml
        return msg_to_eml(path)
    return path.read_bytes()


def _header_date(path: Path) -> float:
    try:
        with path.open("rb") as fh:
            headers = BytesHeaderParser(policy=compat32).parsebytes(fh.read(65536))
        value = parsedate_to_datetime(str(headers.get("Date", "")))
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    except (OSError, TypeError, ValueError, IndexError, OverflowError):
        return float("inf")


def _by_date(items: Iterator[tuple[str, Path | str]]) -> list[tuple[str, Path | str]]:
    """Oldest first by the Date header, so a deviation is stored before the answers to it."""
    return sorted(items, key=lambda item: (_header_date(Path(item[1])), str(item[1])))


def _maildir_files(root: Path) -> Iterator[tuple[str, Path]]:
    for name, folder in maildir_folders(root):
        for sub in ("cur", "new"):
            for entry in sorted((folder / sub).iterdir()):
                if entry.is_file() and not entry.name.startswith("."):
                    yield name, entry


def _mbox_messages(path: Path, mailbox_name: str) -> Iterator[RawMessage]:
    box = mailbox.mbox(str(path), create=False)
    try:
        for key in box.iterkeys():
            yield RawMessage(mailbox_name, path.name, box.get_bytes(key))
    finally:
        box.close()


def _looks_like_mbox(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(5) == b"From "


def open_source(path: Path, mailbox_name: str | None = None) -> FileSource:
    """Recognise what `path` is; raise SourceError with a readable reason when it is nothing we know."""
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    if path.is_dir():
        name = mailbox_name or path.resolve().name
        return FileSource(path, "maildir" if is_maildir(path) else "eml-dir", name)
    name = mailbox_name or path.resolve().parent.name
    if _looks_like_mbox(path):
        return FileSource(path, "mbox", mailbox_name or path.stem)
    if path.suffix.lower() in (".eml", ".msg", ".txt", ""):
        return FileSource(path, "eml-file", name)
    raise SourceError(f"{path}: not an .eml or Outlook .msg file, an mbox file, a Maildir or a directory of mail files")
