"""Each receiver of a deviation and each answer: who is still awaited, whose answer a message is.

A case's receivers are made when it is opened (store/cases.py); every message linked as an answer is
recorded here (`record_answer`), attributed to a receiver (store/attribution.py) and given a suggested
outcome (parsers/outcome.py) unless a person has set one.  A receiver's state follows from its answers,
except "not_expected", which only a person sets (store/receiver_changes.py).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.rules import Rules
from parsers.outcome import suggest_outcome
from parsers.types import FormData
from store.attribution import DOUBTFUL, PROBLEM, Attribution, answer_fields, attribute, unit_for
from store.models import Case, CaseAnswer, CaseReceiver, Message

MANUAL = "manual"


def new_receivers(emails: Iterable[str], form: FormData | None) -> list[CaseReceiver]:
    units = form.units_involved if form else ()
    reporter_unit = form.reporter_unit if form else None
    return [CaseReceiver(email=e, unit=unit_for(e, units, reporter_unit), state="awaited")
            for e in dict.fromkeys(emails)]


def waiting(case: Case) -> bool:
    """Is an answer still awaited?  A person's `responded` correction wins; else any receiver awaited;
    a case without known receivers waits until its first answer."""
    override = (case.overrides or {}).get("responded")
    if override is not None:
        return not override
    if case.receiver_rows:
        return any(r.state == "awaited" for r in case.receiver_rows)
    return not case.responded


def awaited(case: Case) -> list[str]:
    return [r.email for r in case.receiver_rows if r.state == "awaited"]


def progress(case: Case) -> tuple[int, int]:
    """(receivers that answered, receivers expected to answer)."""
    expected = [r for r in case.receiver_rows if r.state != "not_expected"]
    return sum(r.state == "answered" for r in expected), len(expected)


def progress_text(case: Case) -> str:
    """"1 av 2 mottagare har svarat" for a partly answered case, else ""."""
    done, total = progress(case)
    return f"{done} av {total} mottagare har svarat" if 0 < done < total else ""


def _when(msg: Message) -> datetime:
    return msg.date or msg.first_seen


def settle(case: Case) -> None:
    """Each receiver's state and answer from the answers attributed to it: the first answer, or the first
    with a filled section 4 when there is one."""
    by_email: dict[str, list[CaseAnswer]] = {}
    for a in sorted(case.answer_rows, key=lambda a: _when(a.message)):
        if a.receiver_email:
            by_email.setdefault(a.receiver_email, []).append(a)
    for r in case.receiver_rows:
        answers = by_email.get(r.email, [])
        if answers:
            best = next((a for a in answers if a.from_form), answers[0])
            r.state, r.answer_message = "answered", best.message
        elif r.state == "answered":
            r.state, r.answer_message = "awaited", None


def _identity(msg: Message, form: FormData | None, case: Case, rules: Rules) -> str | None:
    """The answering side's address, for a case whose To: named no receiver."""
    email = str(form.response_manager_email or "").strip().lower() if form and form.has_response else ""
    for candidate in (email, (msg.sender or "").lower()):
        if candidate and not rules.is_secretariat(candidate) and candidate not in (case.reporters or []):
            return candidate
    return None


def _attribution(case: Case, msg: Message, form: FormData | None, rules: Rules,
                 row: CaseAnswer | None) -> Attribution:
    if row is not None and row.attributed_by == MANUAL:
        return Attribution(row.receiver_email, MANUAL)
    who = attribute(msg.sender, form, [(r.email, r.unit) for r in case.receiver_rows], rules.secretariat_addresses)
    if who.rule == "none":
        email = _identity(msg, form, case, rules)
        if email is not None:
            case.receiver_rows.append(new_receivers([email], case.form)[0])
            return Attribution(email, "added")
    return who


def _suggest(row: CaseAnswer, rules: Rules) -> None:
    if row.outcome_source == "set":
        return
    found = suggest_outcome(row.description, row.improvements, rules)
    row.outcome, row.outcome_rule = found if found else (None, None)
    row.outcome_source = "suggested" if found else None


def mark_problem(msg: Message, doubtful: bool, candidates: list[str]) -> None:
    others = [p for p in msg.problems or [] if p.get("code") != PROBLEM]
    if doubtful:
        others.append({"code": PROBLEM, "detail": "svaret kunde inte knytas till en mottagare: "
                                                  + ", ".join(candidates)})
    if others != list(msg.problems or []):
        msg.problems = others


def _detach_elsewhere(session: Session, case: Case, msg: Message) -> None:
    """A message linked again to another case (by hand) is no longer the other case's answer."""
    if msg.id is None:
        return
    old = session.scalars(select(CaseAnswer).where(CaseAnswer.message_pk == msg.id)).first()
    if old is not None and old.case is not case:
        other = old.case
        other.answer_rows.remove(old)
        session.delete(old)
        session.flush()
        settle(other)


def record_answer(session: Session, case: Case, msg: Message, form: FormData | None, body: str,
                  rules: Rules) -> CaseAnswer:
    """Record `msg` as an answer of `case` (again, on re-parse: a person's attribution and outcome stay)."""
    with session.no_autoflush:
        row = next((a for a in case.answer_rows if a.message is msg), None)
        if row is None:
            _detach_elsewhere(session, case, msg)
            row = CaseAnswer(message=msg, attributed_by="none", manager={})
            case.answer_rows.append(row)
        fields = answer_fields(form, msg.sender, msg.sender_name, body, rules.local.day(_when(msg)).isoformat())
        for key, value in fields.items():
            setattr(row, key, value)
        who = _attribution(case, msg, form, rules, row)
        row.receiver_email, row.attributed_by = who.email, who.rule
        _suggest(row, rules)
        settle(case)
        mark_problem(msg, who.rule == DOUBTFUL, [r.email for r in case.receiver_rows])
    return row
