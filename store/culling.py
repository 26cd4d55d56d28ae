"""Carrying out a culling (gallring): each owner's record, and the items that go once every owner released them.

What going means, per class (the item's statistics row is frozen first, so the yearly report stays the same):
- raw_mail, own_mail, other_mail: the raw bytes are emptied (the blob keeps its sha256, the original's hash);
  own and other mail also lose their parsed text, sender and recipients.
- free_text: the form's and the answers' free text, the excerpts and subjects of the case's mail are blanked.
- contacts: names, addresses and phone numbers become role and unit ("enhetschef, BUP Farsta").
Nothing is ever deleted from the mailboxes: busavvik only reads them.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import MetaData, Table, delete, inspect, select
from sqlalchemy.orm import Session

from config.settings import RetentionRule, RetentionSettings
from parsers.types import FormData
from store.jsontypes import Manager, Recipients
from store.models import (
    Case,
    CaseStatistics,
    Correction,
    CulledItem,
    CullingRecord,
    Message,
    RawBlob,
    Reminder,
)
from store.retention import Item, Plan

FREE_TEXT_FIELDS = ("event_type", "description", "proposed_action", "response_description", "response_improvements")


def without_free_text(form: FormData) -> FormData:
    return replace(form, event_type=None, description=None, proposed_action=None, response_description=None,
                   response_improvements=None)
CULLED_SUBJECT = "(gallrad)"
STATE_GONE = "gallrad"


@dataclass
class Outcome:
    """One apply: the records written and what went."""
    records: list[CullingRecord] = field(default_factory=list)
    gone: int = 0
    kept_for_other: int = 0


def _digest(values: Any) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def _pk(item: Item) -> int:
    return int(item.key.split(":", 1)[1])


def role_unit(role: str, unit: str | None) -> str:
    """A pseudonymised contact: "enhetschef, BUP Farsta" (the unit unknown: the role alone)."""
    return f"{role}, {unit.strip()}" if unit and unit.strip() else role


# ---- the messages' bytes ---------------------------------------------------------------------------------------

def _empty_blob(session: Session, message: Message) -> str:
    blob = session.get(RawBlob, message.raw_sha256)
    if blob is not None and blob.data:
        others = session.scalars(select(Message.id).where(Message.raw_sha256 == blob.sha256,
                                                          Message.id != message.id)).all()
        if not others:                     # a blob another message still uses stays with it
            blob.data = b""
    return message.raw_sha256


def _blank_message(message: Message) -> None:
    message.subject, message.normalised_subject, message.body_excerpt = CULLED_SUBJECT, "", ""
    message.sender, message.sender_name, message.recipients, message.form = None, "", {}, None


def _cull_message(session: Session, item: Item) -> str:
    message = session.get_one(Message, _pk(item))
    sha = _empty_blob(session, message)
    if item.cls in ("own_mail", "other_mail"):
        _blank_message(message)
    return sha


# ---- a case's free text ----------------------------------------------------------------------------------------

def _cull_free_text(case: Case, messages: list[Message]) -> str:
    form = case.form
    gone: list[Any] = [getattr(form, k) for k in FREE_TEXT_FIELDS] + [case.normalised_subject]
    case.form = without_free_text(form)
    case.normalised_subject = ""
    case.overrides = {k: v for k, v in (case.overrides or {}).items() if k not in FREE_TEXT_FIELDS}
    for answer in case.answer_rows:
        gone += [answer.description, answer.improvements]
        answer.description = answer.improvements = None
    for message in messages:
        gone += [message.subject, message.body_excerpt]
        message.subject, message.normalised_subject, message.body_excerpt = CULLED_SUBJECT, "", ""
        if message.form is not None:
            message.form = without_free_text(message.form)
    return _digest(gone)


# ---- a case's contacts -----------------------------------------------------------------------------------------

def _pseudonymous_form(form: FormData) -> FormData:
    unit, manager_unit = form.reporter_unit, form.reporter_manager_unit or form.reporter_unit
    answer_unit = form.response_manager_unit
    return replace(
        form, personal_data_contact=role_unit("kontaktperson", unit) if form.personal_data_contact else None,
        reporter_contact_person=role_unit("kontaktperson", unit) if form.reporter_contact_person else None,
        reporter_email=None, reporter_phone=None, reporter_manager_email=None, reporter_manager_phone=None,
        reporter_manager_name=role_unit("enhetschef", manager_unit) if form.reporter_manager_name else None,
        response_manager_name=role_unit("enhetschef", answer_unit) if form.response_manager_name else None,
        response_manager_email=None, response_manager_phone=None)


def _address_map(case: Case) -> dict[str, str]:
    """Every address of the case → its pseudonym: receivers by number and unit, reporters as the reporting unit."""
    names: dict[str, str] = {}
    for i, receiver in enumerate(case.receiver_rows, 1):
        names[receiver.email] = role_unit(f"mottagare {i}", receiver.unit)
    for i, address in enumerate(case.reporters or (), 1):
        names.setdefault(str(address), role_unit(f"rapportör {i}", case.form.reporter_unit))
    for i, address in enumerate([*(case.receivers or ()), *(case.participants or ())], 1):
        names.setdefault(str(address), f"deltagare {i}")
    return names


def _cull_contacts(session: Session, case: Case, messages: list[Message]) -> str:
    names = _address_map(case)
    gone: list[Any] = [sorted(names), case.form.reporter_contact_person, case.form.reporter_manager_name,
                       case.form.response_manager_name, case.form.personal_data_contact]
    case.form = _pseudonymous_form(case.form)
    case.participants = [names.get(str(a), "deltagare") for a in case.participants or ()]
    case.receivers = [names.get(str(a), "mottagare") for a in case.receivers or ()]
    case.reporters = [names.get(str(a), "rapportör") for a in case.reporters or ()]
    for receiver in case.receiver_rows:
        receiver.email = names[receiver.email]
    for answer in case.answer_rows:
        gone.append(answer.manager.as_dict())
        answer.receiver_email = names.get(answer.receiver_email or "", answer.receiver_email and "mottagare")
        answer.manager = Manager(name=role_unit("enhetschef", answer.manager.unit))
    for message in messages:
        gone += [message.sender, message.sender_name]
        message.sender_name = names.get(message.sender or "", "")
        message.sender = None
        message.recipients = {k: [names.get(str(a), "deltagare") for a in v]
                              for k, v in (message.recipients or {}).items() if isinstance(v, list)}
        if message.form is not None:
            message.form = _pseudonymous_form(message.form)
    for reminder in session.scalars(select(Reminder).where(Reminder.case_pk == case.id)):
        sent_to = reminder.recipients
        reminder.recipients = Recipients(tuple(names.get(a, "mottagare") for a in sent_to.to),
                                         tuple(names.get(a, "mottagare") for a in sent_to.cc))
    for correction in session.scalars(select(Correction).where(Correction.case_pk == case.id)):
        if correction.old_value in names or correction.new_value in names:
            correction.old_value = names.get(correction.old_value or "", correction.old_value)
            correction.new_value = names.get(correction.new_value or "", correction.new_value)
    return _digest(gone)


def _cull_case(session: Session, item: Item) -> str | None:
    """Blank the case's free text or contacts; None when it has no statistics row to keep its figures."""
    stats = session.get(CaseStatistics, _pk(item))
    if stats is None:
        return None
    stats.frozen = True
    case = session.get_one(Case, _pk(item))
    messages = list(session.scalars(select(Message).where(Message.case_pk == case.id)))
    if item.cls == "free_text":
        return _cull_free_text(case, messages)
    return _cull_contacts(session, case, messages)


def cull_item(session: Session, item: Item) -> str | None:
    """Make `item` go; the sha256 of what went (None: it could not go)."""
    if item.key.startswith("message:"):
        return _cull_message(session, item)
    return _cull_case(session, item)


# ---- one owner's record ----------------------------------------------------------------------------------------

def apply_owner(session: Session, plan: Plan, rule: RetentionRule, who: str, released: set[tuple[str, str, str]],
                settings: RetentionSettings | None = None) -> CullingRecord | None:
    """Record `rule`'s owner's culling of what the plan has due for it; the items every owner released go.
    `released` collects (owner, class, key) over the owners applied in this run."""
    due = [d for d in plan.due if d.owner == rule.mailbox]
    access = (cull_access_log(session, settings, plan.as_of)
              if settings is not None and rule.days("access_log") is not None else None)
    if not due and access is None:
        return None
    first, last = record_days([d.item for d in due])
    if access is not None:
        first = min(first or date.fromisoformat(access["first"]), date.fromisoformat(access["first"]))
        last = max(last or date.fromisoformat(access["last"]), date.fromisoformat(access["last"]))
    classes = sorted({d.item.cls for d in due} | ({"access_log"} if access is not None else set()))
    record = CullingRecord(at=datetime.now(UTC), as_of=plan.as_of, kind="cull", mailbox=rule.mailbox,
                           decision=rule.decision, who=who, classes=classes, counts={},
                           first_day=first, last_day=last, items=[])
    session.add(record)
    session.flush()
    released |= {(rule.mailbox, d.item.cls, d.item.key) for d in due}
    counts: dict[str, int] = {}
    entries = []
    for d in due:
        session.add(CulledItem(record_id=record.id, mailbox=rule.mailbox, cls=d.item.cls, item=d.item.key))
        entry = _entry(session, plan, d.item, released)
        entry["day"] = d.item.received.isoformat()
        entry["counted_from"] = d.day.isoformat()
        entries.append(entry)
        counts[d.item.cls] = counts.get(d.item.cls, 0) + 1
    if access is not None:
        counts["access_log"] = access["count"]
        entries.append(access)
    record.counts, record.items = counts, entries
    session.flush()
    return record


def _entry(session: Session, plan: Plan, item: Item, released: set[tuple[str, str, str]]) -> dict[str, Any]:
    entry: dict[str, Any] = {"class": item.cls, "item": item.key, "year": item.year}
    waiting = [o for o in item.owners if (o, item.cls, item.key) not in plan.done | released]
    if waiting:
        entry.update(state=f"behålls för {', '.join(waiting)}", sha256=None)
        return entry
    sha = cull_item(session, item)
    entry.update(state=STATE_GONE if sha else "behålls: statistikrad saknas", sha256=sha)
    return entry


def record_days(items: list[Item]) -> tuple[date | None, date | None]:
    """The culled items' date range: the first and the last day one of them was received."""
    days = [i.received for i in items]
    return (min(days), max(days)) if days else (None, None)


def culled_message_pks(session: Session) -> set[int]:
    """The messages whose stored bytes or parsed details were culled or purged: a re-parse must leave them alone
    (it would bring culled free text back from bytes kept for another class, or parse an emptied blob)."""
    from sqlalchemy import func

    empty = set(session.scalars(select(Message.id).join(RawBlob, RawBlob.sha256 == Message.raw_sha256)
                                .where(func.length(RawBlob.data) == 0)))
    frozen = set(session.scalars(select(Message.id).join(CaseStatistics, CaseStatistics.case_pk == Message.case_pk)
                                 .where(CaseStatistics.frozen.is_(True))))
    touched = {int(item.split(":", 1)[1]) for item in session.scalars(
        select(CulledItem.item).where(CulledItem.item.startswith("message:"), CulledItem.cls == "pnr_purge"))}
    return empty | frozen | touched


# ---- the access log (issue 21's `access_log` table: at, who, event, target, address) ---------------------------

def access_log_due(settings: RetentionSettings, as_of: date) -> date | None:
    """Rows read before this day may go: the longest of the owners' access_log periods (the log serves both
    owners); None when an owner has no period for it (kept) or there is no rule."""
    periods = [r.days("access_log") for r in settings.rules]
    if not periods or any(p is None for p in periods):
        return None
    return as_of - timedelta(days=max(p for p in periods if p is not None))


def cull_access_log(session: Session, settings: RetentionSettings, as_of: date) -> dict[str, Any] | None:
    """Delete the access log's rows past every owner's period (the table is append-only for updates; deleting
    is culling). The record entry: how many, their date range and the sha256 of what went. None: nothing due or
    no such table (the access log is issue 21's; ACCESS_LOG_HOOK in store/retention.py)."""
    before = access_log_due(settings, as_of)
    if before is None or not inspect(session.connection()).has_table("access_log"):
        return None
    log = Table("access_log", MetaData(), autoload_with=session.connection())
    cutoff = datetime.combine(before, time(), tzinfo=UTC)
    rows = session.execute(select(log).where(log.c.at < cutoff).order_by(log.c.id)).mappings().all()
    if not rows:
        return None
    session.execute(delete(log).where(log.c.id.in_([r["id"] for r in rows])))
    days = [r["at"].date() if hasattr(r["at"], "date") else date.fromisoformat(str(r["at"])[:10]) for r in rows]
    return {"class": "access_log", "item": f"access_log:{rows[0]['id']}-{rows[-1]['id']}", "count": len(rows),
            "first": min(days).isoformat(), "last": max(days).isoformat(),
            "sha256": _digest([dict(r) for r in rows]), "state": STATE_GONE}
