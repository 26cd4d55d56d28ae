"""One case as every output shows it: the stored case with a person's corrections applied.

A person's `busavvik case set` (store/corrections.py) and a case opened by hand (store/review.py) record their
values in `Case.overrides`; they win over the form and the classification the parser made.  The receivers'
states and the answers' outcomes carry a person's decisions already (store/receiver_changes.py).

The export, the digest, the reminders, the yearly report, `busavvik cases` and `show` and the web case page all
read a case through `CaseView` (docs/ARCHITECTURE.md, "One view of a case"), so a correction shows up the same
in each.
A `CaseView` is frozen and holds no database object: it can outlive its session.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from parsers.form_record import FORM_FIELDS, as_tuple, classification_from_dict, form_from_dict, form_value
from parsers.types import Classification, FormData
from store.answers import answered_at, first_answer, response_of
from store.jsontypes import Manager
from store.models import Case, CaseAnswer, CaseReceiver, CaseStatus, ReceiverState

CLASSIFICATION_KEYS = ("reporter_org_type", "receiver_org_types", "principal_relation", "themes")
RESPONDED = "responded"
WAITING_STATES = ("awaited", "bounced")     # a bounced receiver still owes its answer, but gets no reminder
TRUE_WORDS = frozenset({"1", "true", "yes", "ja", "j", "y"})

WITH_ANSWERS = (selectinload(Case.receiver_rows).selectinload(CaseReceiver.answer_message),
                selectinload(Case.answer_rows).selectinload(CaseAnswer.message))


@dataclass(frozen=True)
class ReceiverView:
    email: str
    unit: str | None
    state: ReceiverState
    answer_message_id: str | None       # the Message-ID (as in the header) of the answer that settled it
    changed_by: str | None              # a person's change of state
    changed_at: datetime | None
    bounce_reason: str | None = None    # a reminder to it bounced (state "bounced"): the server's reason


@dataclass(frozen=True)
class AnswerView:
    message_id: str | None              # the answer's Message-ID as in its header; None for another route
    received: datetime                  # the answer's Date, else when it was first seen (another route: its day)
    receiver_email: str | None
    attributed_by: str
    description: str | None
    improvements: str | None
    received_date: str | None
    manager: Manager
    outcome: str | None
    outcome_source: str | None          # suggested | set | None
    outcome_rule: str | None
    outcome_by: str | None
    outcome_at: datetime | None
    channel: str = "mail"               # mail | another route (store/answers.CHANNELS)
    from_form: bool = False             # section 4 of the form was filled


@dataclass(frozen=True)
class CaseView:
    """A case with the corrections applied.  `form` and `classification` are the corrected ones; `overrides`
    the corrections themselves; `answers` in the order they were recorded."""
    pk: int
    case_id: str
    year: int
    seq: int
    source_message_pk: int | None
    first_received: datetime
    response_due: date
    normalised_subject: str
    status: CaseStatus
    flags: tuple[Any, ...]
    form: FormData
    classification: Classification
    response: Mapping[str, Any] | None  # the first mailed answer, as the export shows it (store/answers.first_answer)
    responded: bool                     # an answer came, or a person said so
    stored_responded: bool              # an answer came (Case.responded, no correction applied)
    overrides: Mapping[str, Any]
    addressed: tuple[str, ...]          # the receivers the deviation's To: named (Case.receivers)
    reporters: tuple[str, ...]
    participants: tuple[str, ...]
    receivers: tuple[ReceiverView, ...]
    answers: tuple[AnswerView, ...]

    def corrected(self, key: str) -> bool:
        return key in self.overrides

    @property
    def waiting(self) -> bool:
        """Is an answer still awaited?  A person's `responded` correction wins; else any receiver awaited;
        a case without known receivers waits until its first answer."""
        override = self.overrides.get(RESPONDED)
        if override is not None:
            return not override
        if self.receivers:
            return any(r.state in WAITING_STATES for r in self.receivers)
        return not self.stored_responded

    @property
    def awaited(self) -> list[str]:
        """The receivers that owe an answer (a bounced one too: its address died, not its duty to answer)."""
        return [r.email for r in self.receivers if r.state in WAITING_STATES]

    @property
    def still_awaited(self) -> list[str]:
        """The receivers awaited; for a case without receiver rows, every address its To: named."""
        return self.awaited if self.receivers else list(self.addressed)

    @property
    def to_remind(self) -> list[str]:
        """Where a reminder goes: the receivers awaited, but not those whose reminder bounced (until a person
        replaces the address); for a case without receiver rows, every address its To: named."""
        return [r.email for r in self.receivers if r.state == "awaited"] if self.receivers else list(self.addressed)

    @property
    def progress(self) -> tuple[int, int]:
        """(receivers that answered, receivers expected to answer)."""
        expected = [r for r in self.receivers if r.state != "not_expected"]
        return sum(r.state == "answered" for r in expected), len(expected)

    @property
    def progress_text(self) -> str:
        """"1 av 2 mottagare har svarat" for a partly answered case, else ""."""
        done, total = self.progress
        return f"{done} av {total} mottagare har svarat" if 0 < done < total else ""


def truthy(value: Any) -> bool:
    """A `responded` value: a bool as `case set` stores it, or a word typed by hand."""
    if isinstance(value, str):
        return value.strip().lower() in TRUE_WORDS
    return bool(value)


def corrected_classification(classification: Classification | Mapping[str, Any] | None,
                             overrides: Mapping[str, Any] | None) -> Classification:
    """The classification with a person's organisation types, relation and themes in place of the parser's."""
    c = classification if isinstance(classification, Classification) else classification_from_dict(
        classification or {})
    corrected: dict[str, Any] = {k: as_tuple(v) if k in ("receiver_org_types", "themes") else v
                 for k, v in (overrides or {}).items() if k in CLASSIFICATION_KEYS}
    return replace(c, **corrected)


def corrected_form(form: FormData | Mapping[str, Any] | None, overrides: Mapping[str, Any] | None) -> FormData:
    """The form with a person's values of its fields in place of the parser's (a person's date is stored as
    text, the units as a list: they are read as the form holds them)."""
    f = form if isinstance(form, FormData) else form_from_dict(form or {})
    corrected = {k: form_value(k, v) for k, v in (overrides or {}).items() if k in FORM_FIELDS}
    return replace(f, **corrected) if corrected else f


def _receiver(r: CaseReceiver) -> ReceiverView:
    return ReceiverView(r.email, r.unit, r.state, r.answer_message.message_id_header if r.answer_message else None,
                        r.changed_by, r.changed_at, r.bounce_reason)


def _answer(a: CaseAnswer) -> AnswerView:
    return AnswerView(
        message_id=a.message.message_id_header if a.message else None, received=answered_at(a),
        receiver_email=a.receiver_email, attributed_by=a.attributed_by, description=a.description,
        improvements=a.improvements, received_date=a.received_date, manager=a.manager,
        outcome=a.outcome, outcome_source=a.outcome_source, outcome_rule=a.outcome_rule, outcome_by=a.outcome_by,
        outcome_at=a.outcome_at, channel=a.channel or "mail", from_form=bool(a.from_form))


def case_view(case: Case) -> CaseView:
    """The case with its corrections applied (its receivers and answers are loaded if they were not)."""
    overrides = dict(case.overrides or {})
    first = first_answer(case)
    response = response_of(first) if first is not None else None
    return CaseView(
        pk=case.id, case_id=case.case_id, year=case.year, seq=case.seq, source_message_pk=case.source_message_id,
        first_received=case.first_received, response_due=case.response_due,
        normalised_subject=case.normalised_subject, status=case.status, flags=tuple(case.flags or ()),
        form=corrected_form(case.form, overrides), classification=corrected_classification(case.classification,
                                                                                          overrides),
        response=response, responded=truthy(overrides.get(RESPONDED, case.responded)),
        stored_responded=bool(case.responded),
        overrides=overrides,
        addressed=tuple(case.receivers or ()), reporters=tuple(case.reporters or ()),
        participants=tuple(case.participants or ()), receivers=tuple(_receiver(r) for r in case.receiver_rows),
        answers=tuple(_answer(a) for a in case.answer_rows))


def responded_sql() -> ColumnElement[bool]:
    """`CaseView.responded` as an SQL condition: a person's `responded` correction, else the stored flag."""
    return func.coalesce(Case.overrides[RESPONDED].as_boolean(), Case.responded).is_(True)


def views(session: Session, year: int | None = None, *where: ColumnElement[bool],
          order: tuple[Any, ...] = (Case.year, Case.seq)) -> list[CaseView]:
    """Every case (of `year`, passing `where`), corrections applied, in `order` (by case id unless told)."""
    query = select(Case).options(*WITH_ANSWERS).where(*where).order_by(*order)
    if year is not None:
        query = query.where(Case.year == year)
    return [case_view(c) for c in session.scalars(query)]


def case_by_id(session: Session, case_id: str, *options: Any) -> Case | None:
    """The case a person names, e.g. " bus-2026-0007": the one look-up of the commands, corrections and pages."""
    return session.scalars(select(Case).options(*options).where(Case.case_id == case_id.strip().upper())).first()


def find_view(session: Session, case_id: str) -> CaseView | None:
    """The case `BUS-2026-0007` (any case, spaces around), or None."""
    case = case_by_id(session, case_id, *WITH_ANSWERS)
    return case_view(case) if case is not None else None


def view_of(session: Session, pk: int) -> CaseView:
    """The case with primary key `pk` (it must exist)."""
    return case_view(session.get_one(Case, pk, options=WITH_ANSWERS))
