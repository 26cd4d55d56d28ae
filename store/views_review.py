"""Granska in the browser: which mail is itself a new deviation (never offered another case), the dismissed
mail ("Avfärdade": who, when), and undoing a case opened by hand from a mail."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from parsers.types import has_report, has_response
from store.corrections import CorrectionError
from store.message_rows import now
from store.models import MESSAGE_KINDS, Case, Correction, Message, MessageKind, RawBlob, Reminder
from store.review import DISMISSED, OPEN_FIELD, OPENED_BY_HAND, REVIEW_FIELD, find_mail
from store.views import text

REPLY = re.compile(r"^\s*(sv|re|vb|fw|fwd|vs|aw|antw)\s*:", re.IGNORECASE)
# a mail with an attachment that could not be read as the form: most likely a report on a PDF, a scan, an old .doc
UNREADABLE_FORM = frozenset({"attachment_unreadable", "attachment_encrypted", "attachment_legacy_doc",
                             "attachment_macro_enabled", "attachment_too_large", "mail_encrypted",
                             "form_missing_required_fields", "form_bad_date"})


# a file a form may come as when it is not the Word form: a PDF, a scan, an old .doc, an OpenDocument file
FORM_FILE = re.compile(rb'(?i)name\*?=\s*"?[^";\r\n]{0,300}\.(pdf|doc|docx|tif|tiff|jpg|jpeg|png|heic|odt|rtf)\b')


HEAD_BYTES = 256 * 1024


def _starts_thread(msg: Message) -> bool:
    return not (msg.in_reply_to or msg.references or REPLY.match(msg.subject or ""))


def is_new_report(msg: Message, raw: bytes = b"") -> bool:
    """The mail is itself a deviation: its form has sections 1–3 and no answer, or it starts a thread (no
    reply headers, no reply prefix) with an attachment that could not be read as the form (`raw`: its bytes)."""
    if msg.form is not None and has_report(msg.form) and not has_response(msg.form):
        return True
    if not _starts_thread(msg):
        return False
    return bool({str(p.get("code")) for p in msg.problems or []} & UNREADABLE_FORM) or bool(FORM_FILE.search(raw))


def new_reports(session: Session, msgs: list[Message]) -> set[int]:
    """Which of the unlinked mails are themselves deviations (one query for the bytes of those that start a
    thread and have no form)."""
    found = {m.id for m in msgs if is_new_report(m)}
    ask = {m.raw_sha256: m for m in msgs if m.id not in found and m.form is None and _starts_thread(m)}
    if ask:
        head = func.substr(RawBlob.data, 1, HEAD_BYTES)       # the part headers naming the files come early
        for sha, data in session.execute(select(RawBlob.sha256, head).where(RawBlob.sha256.in_(list(ask)))):
            if FORM_FILE.search(bytes(data or b"")):
                found.update(m.id for m in msgs if m.raw_sha256 == sha)
    return found


@dataclass(frozen=True)
class DismissedItem:
    pk: int
    message_id: str
    date: datetime | None
    sender: str
    subject: str
    who: str
    at: datetime | None


@dataclass(frozen=True)
class DismissedPage:
    items: tuple[DismissedItem, ...]
    total: int
    page: int
    pages: int


def dismissed_page(session: Session, page: int = 1, size: int = 50) -> DismissedPage:
    """The mail a person marked "not about a deviation", the most recently dismissed first."""
    total = int(session.scalar(select(func.count()).select_from(Message).where(Message.kind == DISMISSED)) or 0)
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    last = (select(Correction.message_pk, func.max(Correction.id).label("cid"))
            .where(Correction.field == REVIEW_FIELD, Correction.new_value == DISMISSED)
            .group_by(Correction.message_pk).subquery())
    rows = session.execute(
        select(Message, Correction.who, Correction.at).where(Message.kind == DISMISSED)
        .outerjoin(last, last.c.message_pk == Message.id).outerjoin(Correction, Correction.id == last.c.cid)
        .order_by(Correction.at.desc().nulls_last(), Message.id.desc()).offset((page - 1) * size).limit(size)).all()
    items = tuple(DismissedItem(pk=m.id, message_id=m.message_id, date=m.date or m.first_seen, sender=text(m.sender),
                                subject=text(m.subject), who=text(who), at=at) for m, who, at in rows)
    return DismissedPage(items, total, page, pages)


def undo_open(session: Session, message_id: str, who: str) -> str:
    """Take back a case a person opened by hand from a mail, while nothing else hangs on it (no other mail,
    no reminder sent): the case goes, the mail is back in Granska, and both steps stay in its history."""
    msg = find_mail(session, message_id)
    case = session.get(Case, msg.case_pk) if msg.case_pk is not None else None
    if msg.link_rule != OPENED_BY_HAND or case is None:
        raise CorrectionError("mejlet har inte öppnats som ett nytt ärende")
    others = session.scalar(select(func.count()).select_from(Message)
                            .where(Message.case_pk == case.id, Message.id != msg.id)) or 0
    if others:
        raise CorrectionError(f"{case.case_id} har fler mejl kopplade; koppla bort dem först")
    sent = session.scalar(select(func.count()).select_from(Reminder)
                          .where(Reminder.case_pk == case.id, Reminder.status != "pending")) or 0
    if sent:
        raise CorrectionError(f"{case.case_id} har redan fått påminnelser; stäng ärendet i stället")
    old = session.scalars(select(Correction.old_value).where(Correction.message_pk == msg.id,
                                                             Correction.field == OPEN_FIELD)
                          .order_by(Correction.id.desc())).first()
    kind: MessageKind = next((k for k in MESSAGE_KINDS if k == old), "other")
    session.execute(delete(Reminder).where(Reminder.case_pk == case.id))
    session.execute(update(Correction).where(Correction.case_pk == case.id).values(case_pk=None))
    case_id = case.case_id
    msg.case, msg.kind, msg.link_rule, msg.linked_by_human = None, kind, None, False
    case.source_message = None
    session.flush()
    session.delete(case)
    session.add(Correction(message_pk=msg.id, field=OPEN_FIELD, old_value=case_id, new_value=None, who=who,
                           at=now()))
    return case_id
