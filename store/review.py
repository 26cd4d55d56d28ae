"""Review can reach zero: a person settles each mail listed for review (`busavvik problems`, the digest's
"Behöver granskas") by linking it (`case link`), marking it "not about a deviation" (`dismiss`, reversible),
or opening a case by hand from it when its form is unreadable or missing (`open_by_hand`).

Each decision is recorded as a `Correction` (who, when).  A dismissed mail keeps its bytes and row with kind
`dismissed`; `linked_by_human` keeps `busavvik reparse` from linking it again.  The mail a case was opened
from by hand is the case's source message (link rule `opened_by_hand`), so reminders plan for it as usual.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, Text, and_, cast, func, literal_column, or_, select
from sqlalchemy.orm import Session

from config.rules import OrgRule, Rules
from parsers.classify import classify
from parsers.dates import FIRST_PLAUSIBLE_YEAR, DayError, iso_day
from parsers.form_record import form_to_dict
from parsers.types import Classification, FormData, ParsedEmail
from store.cases import open_case
from store.corrections import CorrectionError
from store.message_rows import now, parsed_of
from store.models import MESSAGE_KINDS, Case, Correction, Message, MessageKind

DISMISSED: MessageKind = "dismissed"   # kind of a mail a person marked "not about a deviation"
OPENED_BY_HAND = "opened_by_hand"  # link rule of the mail a person opened a case from
REVIEW_FIELD = "review"            # Correction.field of a dismissal and of its undoing
OPEN_FIELD = "opened_by_hand"      # Correction.field of a case opened by hand


def needs_review(msg: Message) -> bool:
    """Unlinked mail and mail with problems, unless a person has settled it (dismissed, or a case opened
    from it by hand) or it is our own (a reminder, the digest, a copy or a bounce of one)."""
    if msg.kind in (DISMISSED, "own") or msg.link_rule == OPENED_BY_HAND:
        return False
    return msg.kind == "other" or bool(msg.problems)


def review_sql() -> ColumnElement[bool]:
    """needs_review as an SQL condition, its values literal so that the partial index of migration 0010
    (ix_message_review, the same condition) serves it on SQLite as well as on PostgreSQL."""
    return and_(Message.kind.not_in([literal_column(f"'{k}'") for k in (DISMISSED, "own")]),
                or_(Message.link_rule.is_(None), Message.link_rule != literal_column(f"'{OPENED_BY_HAND}'")),
                or_(Message.kind == literal_column("'other'"),
                    func.coalesce(cast(Message.problems, Text), literal_column("'[]'"))
                    .not_in([literal_column("'[]'"), literal_column("'null'")])))


def find_mail(session: Session, message_id: str) -> Message:
    norm = message_id.strip().strip("<>").strip().lower()
    msg = session.scalars(select(Message).where(Message.message_id == norm)).first() if norm else None
    if msg is None:
        raise CorrectionError(f"inget mejl med Message-ID {message_id!r} (se `busavvik problems`)")
    return msg


def _unlinked(session: Session, msg: Message) -> None:
    if msg.case_pk is not None:
        case = session.get(Case, msg.case_pk)
        raise CorrectionError(f"{msg.message_id_header} hör redan till {case.case_id if case else '?'} "
                              f"(som {msg.kind})")


def dismiss(session: Session, message_id: str, who: str, undo: bool = False) -> tuple[str, str]:
    """Mark an unlinked mail "not about a deviation" (or undo that); (old kind, new kind)."""
    msg = find_mail(session, message_id)
    old = msg.kind
    if undo:
        if old != DISMISSED:
            raise CorrectionError(f"{msg.message_id_header} är inte markerat som ej avvikelse")
        new = _kind_before_dismissal(session, msg)
        msg.linked_by_human = False
    else:
        _unlinked(session, msg)
        if old == DISMISSED:
            return old, old
        new = DISMISSED
        msg.linked_by_human = True
    msg.kind = new
    session.add(Correction(message_pk=msg.id, field=REVIEW_FIELD, old_value=old, new_value=new, who=who, at=now()))
    return old, new


def _kind_before_dismissal(session: Session, msg: Message) -> MessageKind:
    q = (select(Correction.old_value).where(Correction.message_pk == msg.id, Correction.field == REVIEW_FIELD,
                                            Correction.new_value == DISMISSED).order_by(Correction.id.desc()))
    old = session.scalars(q).first()
    return next((k for k in MESSAGE_KINDS if k == old), "other")


@dataclass(frozen=True)
class HandEntry:
    """What a person reads off a PDF or a scan: sections 1–3 of the form and the organisation types."""
    event_type: str
    description: str
    reported_date: str | None = None
    units_involved: tuple[str, ...] = ()
    proposed_action: str | None = None
    reporter_unit: str | None = None
    reporter_contact_person: str | None = None
    reporter_email: str | None = None
    reporter_manager_name: str | None = None
    reporter_manager_email: str | None = None
    reporter_org_type: str | None = None
    receiver_org_types: tuple[str, ...] = field(default=())


def _day(text: str) -> date:
    try:
        return iso_day(text)
    except DayError as exc:
        if exc.day is None:
            raise CorrectionError(f"rapportdatum: ange ett datum som 2026-03-01, inte {text!r}") from None
        raise CorrectionError(f"rapportdatum: {exc.day} är före {FIRST_PLAUSIBLE_YEAR} eller efter nästa år") from None


def _org(name: str, rules: Rules) -> OrgRule:
    found = next((o for o in rules.organisations if o.type.casefold() == name.strip().casefold()), None)
    if found is None:
        known = ", ".join(dict.fromkeys(o.type for o in rules.organisations))
        raise CorrectionError(f"okänd organisationstyp {name!r}; tillåtna: {known}")
    return found


def _form(entry: HandEntry) -> FormData:
    if not entry.event_type.strip() or not entry.description.strip():
        raise CorrectionError("händelsetyp (--event-type) och beskrivning (--description) måste anges")
    text = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in entry.__dict__.items()}
    return FormData(
        event_type=text["event_type"], description=text["description"], proposed_action=text["proposed_action"],
        reported_date=_day(entry.reported_date) if entry.reported_date else None,
        units_involved=tuple(u.strip() for u in entry.units_involved if u.strip()),
        reporter_unit=text["reporter_unit"], reporter_contact_person=text["reporter_contact_person"],
        reporter_email=(text["reporter_email"] or "").lower() or None,
        reporter_manager_name=text["reporter_manager_name"],
        reporter_manager_email=(text["reporter_manager_email"] or "").lower() or None)


def _classification(form: FormData, parsed: ParsedEmail, entry: HandEntry, rules: Rules) -> Classification:
    """The rules' classification, with the organisation types the person entered in its place."""
    found = classify(form, parsed.sender, (*parsed.to, *parsed.cc), rules)
    rep = _org(entry.reporter_org_type, rules) if entry.reporter_org_type else None
    receivers = [_org(t, rules) for t in entry.receiver_org_types if t.strip()]
    rep_type, rep_principal = (rep.type, rep.principal) if rep else (found.reporter_org_type,
                                                                     found.reporter_principal)
    types = tuple(dict.fromkeys(o.type for o in receivers)) or found.receiver_org_types
    principals = tuple(dict.fromkeys(o.principal for o in receivers)) or found.receiver_principals
    relation = found.principal_relation
    if (rep or receivers) and rep_principal and principals:
        relation = "within" if all(p == rep_principal for p in principals) else "between"
    return Classification(reporter_org_type=rep_type, reporter_principal=rep_principal, receiver_org_types=types,
                          receiver_principals=principals, principal_relation=relation, themes=found.themes,
                          rules_used=(*found.rules_used, "entered by hand"))


def open_by_hand(session: Session, message_id: str, entry: HandEntry, who: str, rules: Rules,
                 due_months: int = 2) -> Case:
    """Open a case from an unlinked mail whose form could not be read (a PDF, a scan, no form): the fields
    as entered, receivers from the mail's To:, the mail its source message."""
    msg = find_mail(session, message_id)
    _unlinked(session, msg)
    form_data = _form(entry)
    parsed = parsed_of(msg)
    form = form_to_dict(form_data)
    classification = _classification(form_data, parsed, entry, rules)
    case = open_case(session, msg, form_data, parsed, classification, rules.secretariat_addresses, due_months,
                     list(msg.flags or []), zone=rules.local)
    entered = {k: v for k, v in form.items() if v not in (None, [], "")}
    if entry.reporter_org_type:
        entered["reporter_org_type"] = classification.reporter_org_type
    if entry.receiver_org_types:
        entered["receiver_org_types"] = list(classification.receiver_org_types)
    case.overrides = entered        # a person's values: they win over a later parse, as `case set` does
    old = msg.kind
    msg.case, msg.kind, msg.link_rule, msg.linked_by_human = case, "deviation", OPENED_BY_HAND, True
    session.flush()
    session.add(Correction(case_pk=case.id, message_pk=msg.id, field=OPEN_FIELD, old_value=old,
                           new_value=json.dumps(entered, ensure_ascii=False), who=who, at=now()))
    return case
