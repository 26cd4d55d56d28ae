"""Linking a message to its case: a pure decision over evidence gathered by queries (docs/ARCHITECTURE.md order)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Case, Message, Reminder

_WORDS = re.compile(r"\w+")
CASE_ID_RE = re.compile(r"\bBUS-(\d{4})-(\d{4})\b", re.IGNORECASE)
SUBJECT_WINDOW = timedelta(days=365)
CaseRef = int | Case  # a case's id, or the row itself


@dataclass(frozen=True)
class Evidence:
    """Cases each rule would link to, in rule order: ids from `gather`, Case rows from store/batchlink.py."""
    references: tuple[CaseRef, ...] = ()
    thread_index: tuple[CaseRef, ...] = ()
    form_content: tuple[CaseRef, ...] = ()
    case_id: tuple[CaseRef, ...] = ()
    subject: tuple[CaseRef, ...] = ()


RULE_ORDER = ("references", "thread_index", "form_content", "case_id", "subject")


def decide(evidence: Evidence) -> tuple[CaseRef | None, str | None]:
    """The first rule with a candidate wins; within a rule, the most recent case (last listed)."""
    for rule in RULE_ORDER:
        candidates: tuple[CaseRef, ...] = getattr(evidence, rule)
        if candidates:
            return candidates[-1], rule
    return None, None


@dataclass(frozen=True)
class Probe:
    """What the linker needs to know about a message."""
    message_pk: int | None
    refs: tuple[str, ...]
    thread_guid: str | None
    fingerprints: tuple[str, ...]
    text_fingerprints: tuple[str, ...]
    subject: str
    normalised_subject: str
    sender: str | None
    date: datetime | None
    form: dict[str, Any] | None = None
    new_report: bool = False   # a form with sections 1–3 and no answer: only exact evidence may link it


def _by_refs(session: Session, probe: Probe) -> tuple[int, ...]:
    if not probe.refs:
        return ()
    rows = session.execute(select(Message.case_pk, Message.message_id)
                           .where(Message.message_id.in_(probe.refs), Message.case_pk.is_not(None))).all()
    own = [(pk, mid.strip("<>").lower()) for pk, mid in session.execute(
        select(Reminder.case_pk, Reminder.message_id)
        .where(func.lower(Reminder.message_id).in_([f"<{ref}>" for ref in probe.refs]))).all()]
    order = {ref: i for i, ref in enumerate(probe.refs)}
    found = sorted([*rows, *own], key=lambda r: order.get(r[1], -1))  # nearest ancestor last
    return tuple(r[0] for r in found if r[0] is not None)


def _by_thread(session: Session, probe: Probe) -> tuple[int, ...]:
    if not probe.thread_guid:
        return ()
    q = (select(Message.case_pk).where(Message.thread_index_guid == probe.thread_guid,
                                       Message.case_pk.is_not(None), Message.id != (probe.message_pk or -1))
         .order_by(Message.id))
    return tuple(pk for pk in session.scalars(q) if pk is not None)


# Who reports and about whom: two forms with the same event, text and date but another contact, manager
# or units involved are two deviations (two colleagues report one meeting, or one unit reports it to two
# receivers separately).  Not in the fingerprint, which answers keep matching on.
REPORTER_FIELDS = ("reporter_contact_person", "reporter_email", "reporter_manager_name",
                   "reporter_manager_email", "units_involved")


def _field_words(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, (list, tuple)) else [value]
    return tuple(sorted({" ".join(_WORDS.findall(str(v).casefold())) for v in items if v}))


def same_reporter(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """The reporting contact, their manager and the units involved agree (case and spacing aside)."""
    a, b = a or {}, b or {}
    return all(_field_words(a.get(k)) == _field_words(b.get(k)) for k in REPORTER_FIELDS)


def _by_form(session: Session, probe: Probe) -> tuple[int, ...]:
    """Exact sections 1–3 (for a new report also the same reporter); for an answer form also the
    description alone, then a similar form."""
    exact: list[Case] = list(session.scalars(select(Case).where(Case.fingerprint.in_(probe.fingerprints))
                                             .order_by(Case.id))) if probe.fingerprints else []
    found = tuple(c.id for c in reporter_first(probe, exact))
    if found or probe.new_report:
        return found
    if probe.text_fingerprints:
        found = tuple(session.scalars(select(Case.id).where(Case.text_fingerprint.in_(probe.text_fingerprints))
                                      .order_by(Case.id)))
    return found or _by_similar_form(session, probe)


def reporter_first(probe: Probe, cases: list[Case]) -> list[Case]:
    """Of the cases with the probe's sections 1–3: a new report only joins one with the same reporter;
    an answer goes to such a one when there is one (two units reported the same event separately)."""
    same = [c for c in cases if same_reporter(probe.form, c.form)]
    return same if same or probe.new_report else cases


def _tokens(text: Any) -> set[str]:
    return set(_WORDS.findall(str(text or "").casefold()))


def _same(a: dict[str, Any], b: dict[str, Any], key: str) -> bool:
    return bool(a.get(key)) and _tokens(a.get(key)) == _tokens(b.get(key))


def similar_forms(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Sections 1–3 retyped or edited a little: at least two of a mostly equal description, the same
    reporting unit, the same report date and the same event type (one alone is common to many cases)."""
    da, db = _tokens(a.get("description")), _tokens(b.get("description"))
    close_text = len(da) >= 4 and len(da & db) / len(da | db) >= 0.6
    same_date = bool(a.get("reported_date")) and a.get("reported_date") == b.get("reported_date")
    return close_text + _same(a, b, "reporter_unit") + same_date + _same(a, b, "event_type") >= 2


def _by_similar_form(session: Session, probe: Probe) -> tuple[int, ...]:
    if not probe.form or not (probe.form.get("description") or probe.form.get("reported_date")):
        return ()
    q = select(Case).order_by(Case.first_received)
    if probe.date is not None:
        q = q.where(Case.first_received <= probe.date + timedelta(days=1),
                    Case.first_received >= probe.date - SUBJECT_WINDOW)
    return tuple(c.id for c in session.scalars(q) if similar_forms(probe.form, c.form or {}))


def _by_case_id(session: Session, probe: Probe) -> tuple[int, ...]:
    ids = tuple(dict.fromkeys(f"BUS-{y}-{n}" for y, n in CASE_ID_RE.findall(probe.subject)))
    if not ids:
        return ()
    return tuple(session.scalars(select(Case.id).where(Case.case_id.in_(ids)).order_by(Case.id)))


def _by_subject(session: Session, probe: Probe) -> tuple[int, ...]:
    if not probe.normalised_subject or not probe.sender:
        return ()
    cases = session.scalars(select(Case).where(Case.normalised_subject == probe.normalised_subject)
                            .order_by(Case.first_received)).all()
    return tuple(case.id for case in cases if subject_matches(probe, case))


def subject_matches(probe: Probe, case: Case) -> bool:
    """The subject rule's participant and time check."""
    if probe.sender not in (case.participants or []):
        return False
    return not probe.date or (case.first_received - timedelta(days=1) <= probe.date
                              <= case.first_received + SUBJECT_WINDOW)


def gather(session: Session, probe: Probe) -> Evidence:
    """Run the rule queries lazily: stop at the first rule that finds something.  A new report (a form
    with sections 1–3 and no answer) is never tied to a case by its subject alone: reporters send many
    deviations with the same subject."""
    found: dict[str, tuple[int, ...]] = {}
    rules = [("references", _by_refs), ("thread_index", _by_thread), ("form_content", _by_form)]
    if not probe.new_report:
        rules += [("case_id", _by_case_id), ("subject", _by_subject)]
    for rule, query in rules:
        found[rule] = query(session, probe)
        if found[rule]:
            break
    return Evidence(**found)
