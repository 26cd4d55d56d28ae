"""A person's decisions on receivers and answers, each recorded as a `Correction` (who, when):
a receiver not expected to answer (and back), an answer attributed by hand, an answer's outcome."""
from __future__ import annotations

from sqlalchemy.orm import Session

from config.rules import Rules
from parsers.outcome import check_label
from store.corrections import CorrectionError, find_case, find_message
from store.message_rows import now
from store.models import Case, CaseAnswer, CaseReceiver, Correction
from store.receivers import MANUAL, mark_problem, settle


def _receiver(case: Case, email: str) -> CaseReceiver:
    wanted = email.strip().lower()
    found = next((r for r in case.receiver_rows if r.email == wanted), None)
    if found is None:
        known = ", ".join(r.email for r in case.receiver_rows) or "inga"
        raise CorrectionError(f"{case.case_id} har ingen mottagare {email!r}; mottagare: {known}")
    return found


def set_expected(session: Session, case_id: str, email: str, expected: bool, who: str) -> tuple[str, str]:
    """Mark a receiver not expected to answer (sent for information), or expected again; (old, new) state."""
    case = find_case(session, case_id)
    row = _receiver(case, email)
    old = row.state
    if not expected and old == "answered":
        raise CorrectionError(f"{row.email} har redan svarat på {case.case_id}")
    row.state = "not_expected" if not expected else ("answered" if row.answer_message else "awaited")
    if row.state != old:
        row.changed_by, row.changed_at = who, now()
        session.add(Correction(case_pk=case.id, field="receiver", old_value=f"{row.email}: {old}",
                               new_value=f"{row.email}: {row.state}", who=who, at=row.changed_at))
    return old, row.state


def _answer(case: Case, message_id: str | None, session: Session) -> CaseAnswer:
    if message_id is None:
        if len(case.answer_rows) == 1:
            return case.answer_rows[0]
        listed = ", ".join(a.message.message_id_header for a in case.answer_rows)
        raise CorrectionError(f"{case.case_id} har {len(case.answer_rows)} svar: ange vilket med --answer "
                              f"({listed or 'inga svar ännu'})")
    msg = find_message(session, message_id)
    found = next((a for a in case.answer_rows if a.message is msg), None)
    if found is None:
        raise CorrectionError(f"{message_id} är inte ett svar på {case.case_id}")
    return found


def set_outcome(session: Session, case_id: str, label: str, message_id: str | None, who: str,
                rules: Rules) -> tuple[str | None, str]:
    """Confirm or change an answer's outcome (one of the rules' labels); (old, new)."""
    try:
        value = check_label(label, rules)
    except ValueError as exc:
        raise CorrectionError(str(exc)) from None
    case = find_case(session, case_id)
    row = _answer(case, message_id, session)
    old = row.outcome
    row.outcome, row.outcome_source, row.outcome_by, row.outcome_at = value, "set", who, now()
    session.add(Correction(case_pk=case.id, message_pk=row.message.id, field="outcome",
                           old_value=old, new_value=value, who=who, at=row.outcome_at))
    return old, value


def attribute_by_hand(session: Session, case_id: str, email: str, message_id: str, who: str) -> str | None:
    """Attribute an answer to a receiver (the review of a doubtful attribution); the previous receiver."""
    case = find_case(session, case_id)
    receiver = _receiver(case, email)
    row = _answer(case, message_id, session)
    old = row.receiver_email
    row.receiver_email, row.attributed_by = receiver.email, MANUAL
    settle(case)
    mark_problem(row.message, False, [])
    session.add(Correction(case_pk=case.id, message_pk=row.message.id, field="answer_receiver",
                           old_value=old, new_value=receiver.email, who=who, at=now()))
    return old
