"""What the case page shows of each receiver and each answer (section 4), and the outcomes a person has yet to
confirm.  Frozen dataclasses, every mail-derived text redacted (store/views.text)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from store.answers import answered_at
from store.models import CaseAnswer, CaseReceiver, Message
from store.views import text


@dataclass(frozen=True)
class AnswerItem:
    pk: int                             # the answer message's number in the store (what the forms send); 0: none
    sender: str
    date: datetime | None
    receiver: str                       # the receiver it is attributed to ("" when none)
    attributed_by: str
    description: str
    improvements: str
    received_date: str
    manager: tuple[tuple[str, str], ...]    # (field, value): manager_name, manager_unit, manager_email
    outcome: str
    outcome_source: str                 # suggested | set | ""
    outcome_rule: str
    outcome_by: str
    outcome_at: datetime | None
    answer_pk: int = 0                  # the answer's own number (what the forms of another route send)
    channel: str = "mail"               # mail | phone | meeting | mail_to_reporter | other (store/answers.CHANNELS)
    recorded_by: str = ""               # the person who recorded an answer by another route


@dataclass(frozen=True)
class ReceiverItem:
    email: str
    unit: str
    state: str                          # awaited | answered | not_expected | bounced
    changed_by: str
    changed_at: datetime | None
    answers: tuple[AnswerItem, ...]
    bounce_reason: str = ""             # a reminder to it bounced: the server's reason (short, redacted)
    bounced_at: datetime | None = None


@dataclass(frozen=True)
class Receivers:
    receivers: tuple[ReceiverItem, ...]
    unattributed: tuple[AnswerItem, ...]    # answers no receiver could be given

    @property
    def suggested(self) -> int:
        """Answers whose outcome only a rule suggested ("Bekräfta föreslagna" confirms them)."""
        every = [a for r in self.receivers for a in r.answers] + list(self.unattributed)
        return sum(a.outcome_source == "suggested" for a in every)


def _answer(a: CaseAnswer, msg: Message | None) -> AnswerItem:
    m = a.manager.as_dict()
    return AnswerItem(
        pk=msg.id if msg else 0, sender=text(msg.sender) if msg else "",
        date=(msg.date or msg.first_seen) if msg else answered_at(a), receiver=text(a.receiver_email),
        attributed_by=a.attributed_by, description=text(a.description), improvements=text(a.improvements),
        received_date=text(a.received_date), manager=tuple((k, text(m.get(f))) for k, f in
                                                           (("manager_name", "name"), ("manager_unit", "unit"),
                                                            ("manager_email", "email"))),
        outcome=text(a.outcome), outcome_source=a.outcome_source or "", outcome_rule=text(a.outcome_rule),
        outcome_by=text(a.outcome_by), outcome_at=a.outcome_at, answer_pk=a.id, channel=a.channel or "mail",
        recorded_by=text(a.recorded_by))


def receivers_of(session: Session, case_pk: int) -> Receivers:
    answers = [_answer(a, m) for a, m in session.execute(
        select(CaseAnswer, Message).outerjoin(Message, Message.id == CaseAnswer.message_pk)
        .where(CaseAnswer.case_pk == case_pk)).tuples()]
    answers.sort(key=lambda a: (a.date or datetime.min.replace(tzinfo=UTC), a.answer_pk))
    rows = session.scalars(select(CaseReceiver).where(CaseReceiver.case_pk == case_pk).order_by(CaseReceiver.id))
    items = tuple(ReceiverItem(email=text(r.email), unit=text(r.unit), state=r.state, changed_by=text(r.changed_by),
                               changed_at=r.changed_at, answers=tuple(a for a in answers if a.receiver == r.email),
                               bounce_reason=text(r.bounce_reason), bounced_at=r.bounced_at)
                  for r in rows)
    known = {r.email for r in items}
    return Receivers(items, tuple(a for a in answers if a.receiver not in known))


def to_confirm() -> ColumnElement[bool]:
    return or_(CaseAnswer.outcome_source.is_(None), CaseAnswer.outcome_source != "set")


def outcomes_to_confirm(session: Session) -> int:
    """Answers whose outcome no person has set yet (suggested by a rule, or none)."""
    return int(session.scalar(select(func.count()).select_from(CaseAnswer).where(to_confirm())) or 0)
