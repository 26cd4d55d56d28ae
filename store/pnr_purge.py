"""Personnummer purge: a stored mail that carries a personnummer (the form forbids them) has its raw bytes replaced
by a redacted copy — its headers and text with every number replaced, the attachments left out — while the blob
keeps the original's sha256 as its key, and the record keeps that hash and the copy's."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.rules import Rules
from parsers import pnr
from parsers.mail import parse_email
from parsers.types import FormData
from store.message_rows import PNR_FLAG
from store.models import Case, CulledItem, CullingRecord, Message, RawBlob

PURGE_CLASS = "pnr_purge"
ALL_OWNERS = "*"


@dataclass
class Purged:
    record: CullingRecord | None = None
    messages: list[str] = field(default_factory=list)


def redacted_copy(raw: bytes, rules: Rules) -> bytes:
    """The mail as a plain message: From, To, Cc, Date, Message-ID and Subject and the text, every personnummer
    redacted; the attachments named (redacted) but left out."""
    parsed = parse_email(raw, rules)
    msg = EmailMessage()
    if parsed.sender is not None:
        msg["From"] = pnr.redact(parsed.sender.email)
    if parsed.to:
        msg["To"] = ", ".join(pnr.redact(a.email) for a in parsed.to)
    if parsed.cc:
        msg["Cc"] = ", ".join(pnr.redact(a.email) for a in parsed.cc)
    if parsed.date is not None:
        msg["Date"] = format_datetime(parsed.date)
    msg["Message-ID"] = parsed.message_id_header
    msg["Subject"] = pnr.redact(parsed.subject)
    msg["X-Busavvik-Redacted"] = "personnummer; attachments removed"
    names = [pnr.redact(a.filename) for a in parsed.attachments]
    note = ("\n\n[busavvik: kopian är rensad från personnummer; bilagor borttagna: " + ", ".join(names) + "]"
            if names else "\n\n[busavvik: kopian är rensad från personnummer]")
    msg.set_content(pnr.redact(parsed.body_text) + note)
    return bytes(msg)


def redacted_form(form: FormData) -> FormData:
    """The form with every personnummer in its text fields redacted."""
    changes: dict[str, Any] = {f.name: pnr.redact(value) for f in fields(form)
                               if isinstance(value := getattr(form, f.name), str) and pnr.contains(value)}
    return replace(form, **changes) if changes else form


def _candidates(session: Session, case_pks: set[int] | None) -> list[Message]:
    flagged_cases = {c.id for c in session.scalars(select(Case)) if PNR_FLAG in (c.flags or ())}
    done = set(session.scalars(select(CulledItem.item).where(CulledItem.cls == PURGE_CLASS)))
    out = []
    for message in session.scalars(select(Message).order_by(Message.id)):
        carries = PNR_FLAG in (message.flags or ()) or (message.case_pk in flagged_cases
                                                       and message.kind == "deviation")
        if not carries or f"message:{message.id}" in done:
            continue
        if case_pks is None or message.case_pk in case_pks:
            out.append(message)
    return out


def purge_pnr(session: Session, rules: Rules, decision: str, who: str, as_of: date,
              case_pks: set[int] | None = None) -> Purged:
    """Replace the bytes of every stored mail flagged for a personnummer (of `case_pks`) not purged yet."""
    result = Purged()
    for message in _candidates(session, case_pks):
        blob = session.get(RawBlob, message.raw_sha256)
        if blob is None or not blob.data:
            continue
        if result.record is None:
            result.record = CullingRecord(at=datetime.now(UTC), as_of=as_of, kind="purge_pnr", mailbox=ALL_OWNERS,
                                          decision=decision, who=who, classes=[PURGE_CLASS], counts={}, items=[])
            session.add(result.record)
            session.flush()
        copy = redacted_copy(blob.data, rules)
        blob.data, blob.size = copy, len(copy)
        message.body_excerpt = pnr.redact(message.body_excerpt or "")
        message.subject = pnr.redact(message.subject)
        if message.form is not None:
            message.form = redacted_form(message.form)
        if message.case is not None:
            message.case.form = redacted_form(message.case.form)
        session.add(CulledItem(record_id=result.record.id, mailbox=ALL_OWNERS, cls=PURGE_CLASS,
                               item=f"message:{message.id}"))
        result.record.items = [*result.record.items, {
            "class": PURGE_CLASS, "item": f"message:{message.id}", "sha256": message.raw_sha256,
            "redacted_sha256": hashlib.sha256(copy).hexdigest(), "state": "ersatt med rensad kopia"}]
        result.messages.append(message.message_id_header)
    if result.record is not None:
        days = [(m.date or m.first_seen).date() for m in session.scalars(select(Message).where(
            Message.message_id_header.in_(result.messages)))]
        result.record.counts = {PURGE_CLASS: len(result.messages)}
        result.record.first_day, result.record.last_day = min(days), max(days)
    session.flush()
    return result
