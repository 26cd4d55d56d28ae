"""Small queries and writes the pipeline uses: raw blobs, messages, locations, cursors."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest.types import FolderCursor, RawMessage
from parsers.types import Address, FormData, ParsedEmail, Problem
from store.models import Cursor, Location, Message, RawBlob

PNR_FLAG = "personal_identity_number"


def now() -> datetime:
    return datetime.now(timezone.utc)


def save_raw(session: Session, data: bytes) -> str:
    """Store the bytes content-addressed (once); return their sha256."""
    sha = hashlib.sha256(data).hexdigest()
    if session.get(RawBlob, sha) is None:
        session.add(RawBlob(sha256=sha, size=len(data), data=data, stored_at=now()))
        session.flush()
    return sha


def find_message(session: Session, message_id: str) -> Message | None:
    return session.scalars(select(Message).where(Message.message_id == message_id)).first()


def add_location(session: Session, message: Message, raw: RawMessage) -> bool:
    """Record where the message was seen; False when that place was known already."""
    existing = session.scalars(select(Location).where(
        Location.message_pk == message.id, Location.mailbox == raw.mailbox,
        Location.folder == raw.folder)).first()
    if existing is not None:
        if raw.uid is not None and (existing.uid, existing.uidvalidity) != (raw.uid, raw.uidvalidity):
            existing.uid, existing.uidvalidity = raw.uid, raw.uidvalidity
        return False
    if raw.uid is not None:
        clash = session.scalars(select(Location).where(
            Location.mailbox == raw.mailbox, Location.folder == raw.folder,
            Location.uidvalidity == raw.uidvalidity, Location.uid == raw.uid)).first()
        if clash is not None:
            return False
    session.add(Location(message_pk=message.id, mailbox=raw.mailbox, folder=raw.folder,
                         uidvalidity=raw.uidvalidity, uid=raw.uid, seen_at=now()))
    return True


def get_cursor(session: Session, mailbox: str, folder: str) -> FolderCursor | None:
    row = session.get(Cursor, (mailbox, folder))
    return FolderCursor(row.uidvalidity, row.last_uid) if row else None


def set_cursor(session: Session, mailbox: str, folder: str, cursor: FolderCursor) -> None:
    row = session.get(Cursor, (mailbox, folder))
    if row is None:
        session.add(Cursor(mailbox=mailbox, folder=folder, uidvalidity=cursor.uidvalidity,
                           last_uid=cursor.last_uid, updated_at=now()))
    else:
        row.uidvalidity, row.last_uid, row.updated_at = cursor.uidvalidity, cursor.last_uid, now()


def message_flags(parsed: ParsedEmail) -> list[str]:
    """Flags of a message; the personnummer scan itself runs with the parsing (parsers.mailform)."""
    return [PNR_FLAG] if parsed.personal_number else []


def problem_dicts(problems: Iterable[Problem]) -> list[dict[str, str]]:
    return [{"code": p.code, "detail": p.detail} for p in problems]


def new_message(parsed: ParsedEmail, sha: str, form: FormData | None, problems: list[Problem]) -> Message:
    return Message(
        message_id=parsed.message_id, message_id_header=parsed.message_id_header,
        synthetic_id=parsed.synthetic_id, raw_sha256=sha, subject=parsed.subject[:2000],
        normalised_subject=parsed.normalised_subject[:2000],
        sender=parsed.sender.email if parsed.sender else None,
        sender_name=parsed.sender.name if parsed.sender else "",
        recipients={"to": [a.email for a in parsed.to], "cc": [a.email for a in parsed.cc]},
        date=parsed.date, first_seen=now(), in_reply_to=list(parsed.in_reply_to),
        references=list(parsed.references)[-50:], thread_index_guid=parsed.thread_index_guid,
        auto_reply=parsed.auto_reply, kind="other", problems=problem_dicts(problems),
        flags=message_flags(parsed), form=form, body_excerpt=parsed.body_text[:20000],
    )


def _addresses(emails: Any) -> tuple[Address, ...]:
    return tuple(Address("", str(e).lower()) for e in emails or [] if e)


def parsed_of(msg: Message) -> ParsedEmail:
    """The stored mail's headers as the linking code reads them (no new parse of its bytes)."""
    rec = msg.recipients or {}
    return ParsedEmail(
        message_id=msg.message_id, message_id_header=msg.message_id_header, synthetic_id=msg.synthetic_id,
        in_reply_to=tuple(msg.in_reply_to or ()), references=tuple(msg.references or ()),
        thread_index_guid=msg.thread_index_guid, thread_topic=None, subject=msg.subject,
        normalised_subject=msg.normalised_subject, date=msg.date, body_text=msg.body_excerpt,
        sender=Address(msg.sender_name or "", msg.sender) if msg.sender else None,
        to=_addresses(rec.get("to")), cc=_addresses(rec.get("cc")), auto_reply=msg.auto_reply, attachments=())
