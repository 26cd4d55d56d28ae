"""The export contract: deviations, messages and the overdue list as plain dicts.

A deviation is exported as its `CaseView` shows it (store/caseview.py): a person's corrections applied."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from parsers.types import Classification
from store.caseview import CaseView, views
from store.models import Case, Message


def _receivers(view: CaseView) -> list[dict[str, Any]]:
    return [{"email": r.email, "unit": r.unit, "answered": r.state == "answered",
             "answer_message_id": r.answer_message_id} for r in view.receivers]


def _answers(view: CaseView) -> list[dict[str, Any]]:
    return [{"message_id": a.message_id, "receiver_email": a.receiver_email,
             "description": a.description, "improvements": a.improvements, "received_date": a.received_date,
             "manager": a.manager.as_dict(),
             "outcome": a.outcome, "outcome_source": a.outcome_source}
            for a in sorted(view.answers, key=lambda a: a.received)]


def _plain(value: Any) -> Any:
    """A form's value as the export has always written it: dates as ISO text, tuples as lists."""
    if isinstance(value, date):
        return value.isoformat()
    return list(value) if isinstance(value, tuple) else value


def _classification(c: Classification) -> dict[str, Any]:
    return {"reporter_org_type": c.reporter_org_type, "receiver_org_types": list(c.receiver_org_types),
            "principal_relation": c.principal_relation, "themes": list(c.themes),
            "reporter_principal": c.reporter_principal, "receiver_principals": list(c.receiver_principals)}


def deviation_dict(view: CaseView, messages: list[Message]) -> dict[str, Any]:
    f = view.form
    source = next((m for m in messages if m.id == view.source_message_pk), None)
    return {
        "source_message_id": source.message_id_header if source else None,
        "case_id": view.case_id,
        "message_ids": [m.message_id_header for m in messages],
        "event_type": f.event_type,
        "units_involved": list(f.units_involved),
        "description": f.description,
        "proposed_action": f.proposed_action,
        "personal_data_contact": f.personal_data_contact,
        "reported_date": _plain(f.reported_date),
        "reporter": {"unit": f.reporter_unit, "contact_person": f.reporter_contact_person,
                     "email": f.reporter_email, "phone": f.reporter_phone},
        "reporter_manager": {"name": f.reporter_manager_name, "unit": f.reporter_manager_unit,
                             "email": f.reporter_manager_email, "phone": f.reporter_manager_phone},
        "response": dict(view.response) if view.response is not None else None,
        "responded": view.responded,
        "response_due": view.response_due.isoformat(),
        "first_received": view.first_received.isoformat(),
        "status": view.status,
        "flags": list(view.flags),
        "classification": _classification(view.classification),
        "receivers": _receivers(view),
        "awaiting": view.awaited,
        "answers": _answers(view),
    }


def _messages_by_case(session: Session) -> dict[int, list[Message]]:
    by_case: dict[int, list[Message]] = {}
    for m in session.scalars(select(Message).where(Message.case_pk.is_not(None))):
        by_case.setdefault(m.case_pk or 0, []).append(m)
    return by_case


def thread(view: CaseView, msgs: list[Message]) -> list[Message]:
    """The case's messages, its deviation first, then by date."""
    return sorted(msgs, key=lambda m: (m.id != view.source_message_pk, m.date or m.first_seen, m.id))


def deviations(session: Session) -> list[dict[str, Any]]:
    by_case = _messages_by_case(session)
    return [deviation_dict(v, thread(v, by_case.get(v.pk, []))) for v in views(session)]


def message_dict(msg: Message) -> dict[str, Any]:
    return {
        "message_id": msg.message_id_header,
        "mailboxes": sorted({loc.mailbox for loc in msg.locations}),
        "folders": sorted({f"{loc.mailbox}/{loc.folder}" for loc in msg.locations}),
        "subject": msg.subject,
        "date": msg.date.isoformat() if msg.date else None,
        "from": msg.sender,
        "kind": msg.kind,
        "case_id": msg.case.case_id if msg.case else None,
        "link_rule": msg.link_rule,
        "problems": sorted({p["code"] for p in msg.problems or []}),
        "flags": list(msg.flags or []),
    }


def messages(session: Session) -> list[dict[str, Any]]:
    q = (select(Message).options(selectinload(Message.locations), selectinload(Message.case))
         .order_by(Message.date.is_(None), Message.date, Message.id))
    return [message_dict(m) for m in session.scalars(q)]


def overdue(session: Session, as_of: date) -> list[dict[str, Any]]:
    """Open cases past their due date while a receiver is still awaited (or, for a case whose To: named no
    receiver, while it has no answer): store/followup.py, as the overview, the case list and the digest count
    them; `receivers` and `awaiting` list those awaited."""
    from store.followup import overdue_pks

    out = []
    for view in views(session, None, Case.id.in_(overdue_pks(session, as_of)), order=(Case.response_due,)):
        source = session.get(Message, view.source_message_pk) if view.source_message_pk else None
        late = view.still_awaited
        out.append({"source_message_id": source.message_id_header if source else None,
                    "case_id": view.case_id, "response_due": view.response_due.isoformat(),
                    "days_overdue": (as_of - view.response_due).days,
                    "status": view.status,
                    "receivers": late,
                    "awaiting": late,
                    "answered": sum(r.state == "answered" for r in view.receivers),
                    "expected": sum(r.state != "not_expected" for r in view.receivers)})
    return out
