"""Human corrections: recorded with who and when, and they win over the parser (also on re-parse)."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.rules import Rules, default_rules
from parsers.dates import FIRST_PLAUSIBLE_YEAR, DayError, iso_day
from parsers.form_record import classification_to_dict, form_to_dict
from parsers.types import has_response
from store.cases import apply_answer
from store.caseview import case_by_id
from store.fields import BOOL_FIELDS, CHOICES, FIELDS, LEGACY_OUTCOME_KEYS, LIST_FIELDS
from store.message_kind import kind_for
from store.message_rows import now, parsed_of
from store.models import CASE_STATUSES, Case, Correction, Message
from store.receivers import record_answer


class CorrectionError(Exception):
    """The correction cannot be made; the message says why."""


def _value(field: str, text: str) -> Any:
    if field in LIST_FIELDS:
        return [part.strip() for part in text.split(";") if part.strip()]
    if field in BOOL_FIELDS:
        if text.lower() not in ("true", "false", "ja", "nej", "yes", "no"):
            raise CorrectionError(f"{field}: expected true or false, got {text!r}")
        return text.lower() in ("true", "ja", "yes")
    if field in CHOICES and text not in CHOICES[field]:
        raise CorrectionError(f"{field}: expected one of {', '.join(CHOICES[field])}, got {text!r}; "
                              f"allowed: {', '.join(CHOICES[field])}")
    if field == "reported_date":
        return _day(text)
    return text or None


def categories(rules: Rules) -> dict[str, tuple[str, ...]]:
    """The known values of the category fields: organisation types, themes and outcomes from the rules."""
    org_types = tuple(dict.fromkeys(o.type for o in rules.organisations))
    themes = tuple(dict.fromkeys((*(t.name for t in rules.themes), rules.default_theme)))
    return {"reporter_org_type": org_types, "receiver_org_types": org_types, "themes": themes,
            "response_outcome": rules.outcome_labels, **CHOICES}


def _known(field: str, value: Any, rules: Rules) -> Any:
    """`value` spelt as the rules spell it; an unknown one is refused with the allowed values listed."""
    allowed = categories(rules).get(field)
    if not allowed or value in (None, []):
        return value
    spelling = {a.casefold(): a for a in allowed}
    extra = LEGACY_OUTCOME_KEYS if field == "response_outcome" else ()
    out = []
    for item in value if isinstance(value, list) else [value]:
        if item.casefold() not in spelling and item.casefold() not in extra:
            raise CorrectionError(f"{field}: {item!r} is not a known value; allowed: {', '.join(allowed)}")
        out.append(spelling.get(item.casefold(), item))
    return out if isinstance(value, list) else out[0]


def _day(text: str) -> str:
    try:
        return iso_day(text).isoformat()
    except DayError as exc:
        if exc.day is None:
            raise CorrectionError(f"reported_date: expected a date like 2026-03-01, got {text!r}") from None
        raise CorrectionError(f"reported_date: {text} is before {FIRST_PLAUSIBLE_YEAR} or after next year") from None


def find_case(session: Session, case_id: str) -> Case:
    """The case, its row locked for the rest of the transaction (SELECT … FOR UPDATE on PostgreSQL; SQLite's
    write transaction holds the whole file): every read-modify-write of a case (its overrides JSON, response,
    receivers) sees the last committed change, so parallel saves of different fields all stay."""
    case = case_by_id(session, case_id)
    if case is None:
        raise CorrectionError(f"no case {case_id!r}")
    return lock_case(session, case)


def lock_case(session: Session, case: Case) -> Case:
    """`case` read again under a row lock (the values of the identity map replaced by the locked row's)."""
    return session.scalars(select(Case).where(Case.id == case.id).with_for_update()
                           .execution_options(populate_existing=True)).one()


def set_field(session: Session, case_id: str, field: str, text: str, who: str,
              rules: Rules | None = None) -> tuple[Any, Any]:
    """Correct a case field; category fields are checked against `rules` (the shipped ones when None)."""
    if field not in FIELDS:
        raise CorrectionError(f"unknown field {field!r}; fields: {', '.join(FIELDS)}")
    case = find_case(session, case_id)
    value = _known(field, _value(field, text), rules or default_rules())
    stored = {**form_to_dict(case.form), **classification_to_dict(case.classification)}   # as JSON, for the record
    old = (case.overrides or {}).get(field, stored.get(field))
    case.overrides = {**(case.overrides or {}), field: value}
    session.add(Correction(case_pk=case.id, field=field, old_value=json.dumps(old, ensure_ascii=False),
                           new_value=json.dumps(value, ensure_ascii=False), who=who, at=now()))
    return old, value


def find_message(session: Session, message_id: str) -> Message:
    norm = message_id.strip().strip("<>").strip().lower()
    msg = session.scalars(select(Message).where(Message.message_id == norm)).first()
    if msg is None:
        raise CorrectionError(f"no message with Message-ID {message_id!r}")
    return msg


def link(session: Session, message_id: str, case_id: str, who: str, rules: Rules) -> str:
    """Tie a message to a case by hand; returns the kind it got (answer, follow_up, auto_reply)."""
    msg, case = find_message(session, message_id), find_case(session, case_id)
    if case.source_message_id == msg.id:
        raise CorrectionError(f"{message_id} is the deviation of {case.case_id} itself")
    old = msg.case.case_id if msg.case else None
    msg.case_pk, msg.link_rule, msg.linked_by_human = case.id, "manual", True
    receivers = [p for p in case.participants if p not in case.reporters]
    msg.kind = kind_for(auto_reply=msg.auto_reply, sender=msg.sender, reporters=list(case.reporters),
                        receivers=receivers, secretariat=rules.secretariat_addresses,
                        has_response_form=has_response(msg.form))
    if msg.kind == "answer":
        parsed = parsed_of(msg)     # the stored fields of its first parse: its bytes are not parsed again
        apply_answer(case, msg, msg.form, parsed, rules.local)
        record_answer(session, case, msg, msg.form, parsed.body_text, rules)
    session.add(Correction(case_pk=case.id, message_pk=msg.id, field="link", old_value=old,
                           new_value=case.case_id, who=who, at=now()))
    return msg.kind


STATUSES = CASE_STATUSES


def set_status(session: Session, case_id: str, status: str, who: str) -> tuple[str, str]:
    """Close, pause or reopen a case; (old, new). Nothing is recorded when it had that status already."""
    if status not in STATUSES:
        raise CorrectionError(f"status: expected one of {', '.join(STATUSES)}, got {status!r}")
    case = find_case(session, case_id)
    old = case.status
    if old != status:
        case.status = STATUSES[STATUSES.index(status)]     # as the type of the column, checked above
        session.add(Correction(case_pk=case.id, field="status", old_value=old, new_value=status, who=who, at=now()))
    return old, status


def unlink(session: Session, message_id: str, who: str, rules: Rules) -> str:
    """Take a message off its case by hand (it goes back to review); returns the case id it had.
    An answer that filled the case's response gives way to the case's next answer, if any."""
    msg = find_message(session, message_id)
    case = msg.case
    if case is None:
        raise CorrectionError(f"{message_id} is not linked to a case")
    case = lock_case(session, case)
    if case.source_message_id == msg.id:
        raise CorrectionError(f"{message_id} is the deviation of {case.case_id} itself")
    msg.case_pk, msg.link_rule, msg.linked_by_human, msg.kind = None, "manual", True, "other"
    if (case.response or {}).get("message_id") == msg.message_id_header:
        case.response, case.responded = None, False
        others = session.scalars(select(Message).where(Message.case_pk == case.id, Message.kind == "answer",
                                                       Message.id != msg.id).order_by(Message.date, Message.id))
        for other in others:
            apply_answer(case, other, other.form, parsed_of(other), rules.local)
    session.add(Correction(case_pk=case.id, message_pk=msg.id, field="link", old_value=case.case_id,
                           new_value=None, who=who, at=now()))
    return case.case_id
