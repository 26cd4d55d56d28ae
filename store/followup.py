"""One answer to "which answers are overdue": the cases still open whose answer is awaited past the due date
(store/views_list.state_filter "overdue", the case list's own filter), and per awaited receiver of those cases
the row the follow-up list /att-folja-upp shows.  The overview, the case list, the digest and
`busavvik overdue` count from here, so each shows the same number."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Case, CaseReceiver, Reminder
from store.views import text
from store.views_list import state_filter


def overdue_pks(session: Session, today: date) -> set[int]:
    """The cases overdue on `today`: open, an answer awaited, past the due date."""
    cond = state_filter("overdue", today)
    assert cond is not None
    return set(session.scalars(select(Case.id).where(cond)))


def overdue_count(session: Session, today: date) -> int:
    cond = state_filter("overdue", today)
    assert cond is not None
    return int(session.scalar(select(func.count()).select_from(Case).where(cond)) or 0)


@dataclass(frozen=True)
class FollowUp:
    case_id: str
    event_type: str
    email: str                          # the awaited receiver's address
    unit: str                           # its unit, "" when unknown
    due: date
    days_overdue: int
    reminders_sent: int                 # reminders of the case sent to this address
    last_reminder: datetime | None


def _event_type(case: Case) -> str:
    value = (case.overrides or {}).get("event_type") or (case.form.event_type if case.form else None)
    return text(value)


def followups(session: Session, today: date) -> list[FollowUp]:
    """Per awaited receiver of each overdue case (every address its To: named when it has no receiver rows),
    the most overdue first."""
    pks = overdue_pks(session, today)
    if not pks:
        return []
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(pks)))}
    rows: dict[int, list[CaseReceiver]] = {}
    for r in session.scalars(select(CaseReceiver).where(CaseReceiver.case_pk.in_(pks)).order_by(CaseReceiver.id)):
        rows.setdefault(r.case_pk, []).append(r)
    sent: dict[tuple[int, str], list[datetime]] = {}
    for rem in session.scalars(select(Reminder).where(Reminder.case_pk.in_(pks), Reminder.status == "sent")):
        for to in rem.recipients.addresses:
            address = to.lower()
            if address and rem.sent_at is not None:
                sent.setdefault((rem.case_pk, address), []).append(rem.sent_at)
    out = []
    for pk, case in cases.items():
        awaited = [(r.email, r.unit or "") for r in rows.get(pk, []) if r.state in ("awaited", "bounced")]
        if not awaited:             # no receiver rows (or a person said it waits): the addresses its To: named
            awaited = [(str(e), "") for e in case.receivers or []] or [("", "")]
        for email, unit in awaited:
            times = sent.get((pk, email.lower()), [])
            out.append(FollowUp(case_id=case.case_id, event_type=_event_type(case), email=text(email),
                                unit=text(unit), due=case.response_due, days_overdue=(today - case.response_due).days,
                                reminders_sent=len(times), last_reminder=max(times) if times else None))
    out.sort(key=lambda f: (-f.days_overdue, f.case_id, f.email))
    return out
