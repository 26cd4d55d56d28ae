"""A stored mail as a person reads it on the pages: its text (redacted, format and bidi characters removed,
escaped by the templates) and its attached files, which the secretariat can download.

The files are read from the stored raw bytes with the standard library (every part with a file name, in the
mail's order), not only the Word files the parsers read: a PDF or a scan is what a person types a form from."""
from __future__ import annotations

import email
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import Message as MimeMessage
from email.policy import compat32

from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers.headers import decoded
from parsers.pnr import redact
from store.models import Message, RawBlob

MAX_FILES = 50
MAX_TEXT = 20_000


# control (but newline and tab), format (bidi overrides and isolates, zero-width, soft hyphen, BOM, tags),
# surrogate and private-use characters, and the line/paragraph separators: removed from shown mail text
INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u0890\u0891\u08e2\u06dd\u070f\u180e"
                       "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
                       "\ud800-\udfff\ue000-\uf8ff\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
                       "\U000e0001-\U000e007f]")


def readable(value: object, limit: int = MAX_TEXT) -> str:
    """Mail text to show: personnummer redacted, control, format (Cf: bidi overrides, zero-width) and other
    invisible characters removed; newlines and tabs kept."""
    return INVISIBLE.sub("", redact(str(value or ""))[:limit].replace("\r\n", "\n")).strip()


def file_name(value: object) -> str:
    """A file name to show and to send: one line, redacted, no path."""
    name = " ".join(readable(value, 300).split())
    return name.replace("/", "_").replace("\\", "_") or "bilaga"


def _parts(raw: bytes) -> list[MimeMessage]:
    try:
        msg = email.message_from_bytes(raw, policy=compat32)
        return [p for p in msg.walk() if not p.is_multipart() and p.get_filename()][:MAX_FILES]
    except Exception:  # noqa: BLE001 - a hostile mail gives what can be read
        return []


def files_of(raw: bytes) -> tuple[str, ...]:
    """The names of the mail's attached files, in order (the number of a file is its place here)."""
    names = []
    for part in _parts(raw):
        try:
            names.append(file_name(decoded(str(part.get_filename()))))
        except Exception:  # noqa: BLE001
            names.append("bilaga")
    return tuple(names)


def file_of(raw: bytes, number: int) -> tuple[str, bytes] | None:
    """The mail's attached file `number` (0-based): (name, bytes), None when there is none."""
    parts = _parts(raw)
    if not 0 <= number < len(parts):
        return None
    try:
        data = parts[number].get_payload(decode=True)
        name = file_name(decoded(str(parts[number].get_filename())))
    except Exception:  # noqa: BLE001
        return None
    return (name, data) if isinstance(data, bytes) else None


@dataclass(frozen=True)
class MailText:
    pk: int
    message_id: str
    sender: str
    sender_name: str
    date: datetime | None
    subject: str
    body: str
    files: tuple[str, ...]
    linked: bool                        # belongs to a case


def raw_of(session: Session, pk: int) -> tuple[Message, bytes] | None:
    row = session.execute(select(Message, RawBlob.data).join(RawBlob, RawBlob.sha256 == Message.raw_sha256)
                          .where(Message.id == pk)).first()
    return (row[0], row[1]) if row else None


def mail_text(session: Session, pk: int) -> MailText | None:
    found = raw_of(session, pk)
    if found is None:
        return None
    msg, raw = found
    return MailText(pk=msg.id, message_id=msg.message_id, sender=readable(msg.sender, 320),
                    sender_name=readable(msg.sender_name, 200), date=msg.date or msg.first_seen,
                    subject=readable(msg.subject, 1000), body=readable(msg.body_excerpt), files=files_of(raw),
                    linked=msg.case_pk is not None)


def attachment(session: Session, pk: int, number: int) -> tuple[str, bytes] | None:
    found = raw_of(session, pk)
    return file_of(found[1], number) if found else None
