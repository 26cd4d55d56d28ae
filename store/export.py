"""The export contract: deviations, messages and the overdue list as plain dicts."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from store.models import Case, CaseAnswer, CaseReceiver, Message
from store.receivers import awaited, waiting

OVERRIDABLE = ("event_type", "description", "proposed_action", "personal_data_contact", "reported_date",
               "units_involved", "reporter_org_type", "receiver_org_types", "principal_relation", "themes",
               "responded")


def _form_value(case: Case, key: str) -> Any:
    if key in (case.overrides or {}):
        return case.overrides[key]
    return (case.form or {}).get(key)


def _classification(case: Case) -> dict[str, Any]:
    c = dict(case.classification or {})
    for key in ("reporter_org_type", "receiver_org_types", "principal_relation", "themes"):
        if key in (case.overrides or {}):
            c[key] = case.overrides[key]
    return {"reporter_org_type": c.get("reporter_org_type"), "receiver_org_types": c.get("receiver_org_types", []),
            "principal_relation": c.get("principal_relation"), "themes": c.get("themes", []),
            "reporter_principal": c.get("reporter_principal"), "receiver_principals": c.get("receiver_principals", [])}


def _response(case: Case) -> dict[str, Any] | None:
    if not case.response:
        return None
    return {k: v for k, v in case.response.items() if k != "from_form"}


def _receivers(case: Case) -> list[dict[str, Any]]:
    return [{"email": r.email, "unit": r.unit, "answered": r.state == "answered",
             "answer_message_id": r.answer_message.message_id_header if r.answer_message else None}
            for r in case.receiver_rows]


def _answers(case: Case) -> list[dict[str, Any]]:
    rows = sorted(case.answer_rows, key=lambda a: (a.message.date or a.message.first_seen, a.id or 0))
    return [{"message_id": a.message.message_id_header, "receiver_email": a.receiver_email,
             "description": a.description, "improvements": a.improvements, "received_date": a.received_date,
             "manager": {k: (a.manager or {}).get(k) for k in ("name", "unit", "email", "phone")},
             "outcome": a.outcome, "outcome_source": a.outcome_source} for a in rows]


WITH_ANSWERS = (selectinload(Case.receiver_rows).selectinload(CaseReceiver.answer_message),
                selectinload(Case.answer_rows).selectinload(CaseAnswer.message))


def deviation_dict(case: Case, messages: list[Message]) -> dict[str, Any]:
    f = lambda key: _form_value(case, key)  # noqa: E731
    source = next((m for m in messages if m.id == case.source_message_id), None)
    responded = case.overrides.get("responded", case.responded) if case.overrides else case.responded
    return {
        "source_message_id": source.message_id_header if source else None,
        "case_id": case.case_id,
        "message_ids": [m.message_id_header for m in messages],
        "event_type": f("event_type"),
        "units_involved": f("units_involved") or [],
        "description": f("description"),
        "proposed_action": f("proposed_action"),
        "personal_data_contact": f("personal_data_contact"),
        "reported_date": f("reported_date"),
        "reporter": {"unit": f("reporter_unit"), "contact_person": f("reporter_contact_person"),
                     "email": f("reporter_email"), "phone": f("reporter_phone")},
        "reporter_manager": {"name": f("reporter_manager_name"), "unit": f("reporter_manager_unit"),
                             "email": f("reporter_manager_email"), "phone": f("reporter_manager_phone")},
        "response": _response(case),
        "responded": bool(responded),
        "response_due": case.response_due.isoformat(),
        "first_received": case.first_received.isoformat(),
        "status": case.status,
        "flags": list(case.flags or []),
        "classification": _classification(case),
        "receivers": _receivers(case),
        "awaiting": awaited(case),
        "answers": _answers(case),
    }


def _sorted_messages(case: Case, session: Session) -> list[Message]:
    msgs = session.scalars(select(Message).where(Message.case_pk == case.id)).all()
    return sorted(msgs, key=lambda m: (m.id != case.source_message_id, m.date or m.first_seen, m.id))


def deviations(session: Session) -> list[dict[str, Any]]:
    cases = session.scalars(select(Case).options(*WITH_ANSWERS).order_by(Case.year, Case.seq)).all()
    return [deviation_dict(c, _sorted_messages(c, session)) for c in cases]


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
    """Open and paused cases past their due date while a receiver is still awaited (or, for a case whose
    To: named no receiver, while it has no answer); `receivers` and `awaiting` list those awaited."""
    out = []
    q = select(Case).options(*WITH_ANSWERS).where(Case.response_due < as_of).order_by(Case.response_due)
    for case in session.scalars(q):
        if case.status == "closed" or not waiting(case):
            continue
        source = session.get(Message, case.source_message_id) if case.source_message_id else None
        late = awaited(case) if case.receiver_rows else list(case.receivers or [])
        out.append({"source_message_id": source.message_id_header if source else None,
                    "case_id": case.case_id, "response_due": case.response_due.isoformat(),
                    "days_overdue": (as_of - case.response_due).days,
                    "status": case.status,
                    "receivers": late,
                    "awaiting": late,
                    "answered": sum(r.state == "answered" for r in case.receiver_rows),
                    "expected": sum(r.state != "not_expected" for r in case.receiver_rows)})
    return out
