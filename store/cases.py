"""Opening a case for a new deviation and recording what linked messages add to it."""
from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.localzone import STOCKHOLM, LocalTime
from parsers.types import Classification, FormData, ParsedEmail
from store.answers import new_receivers, receivers_of
from store.models import Case, Message

PNR_FLAG = "personal_identity_number"


def add_months(day: date, months: int) -> date:
    """Calendar months; the 31st of a shorter month becomes its last day."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_date(moment: datetime, zone: LocalTime = STOCKHOLM) -> date:
    """The day `moment` falls on in `zone` (worker.timezone)."""
    return zone.day(moment)


def _next_seq(session: Session, year: int) -> int:
    current = session.scalar(select(func.max(Case.seq)).where(Case.year == year))
    return (current or 0) + 1


def _emails(parsed: ParsedEmail) -> list[str]:
    people = [parsed.sender] if parsed.sender else []
    return list(dict.fromkeys(a.email for a in (*people, *parsed.to, *parsed.cc)))


def open_case(session: Session, msg: Message, form: FormData, parsed: ParsedEmail,
              classification: Classification, secretariat: tuple[str, ...], due_months: int,
              flags: list[str], seq: Callable[[int], int] | None = None,
              keys: tuple[str, str] | None = None, zone: LocalTime = STOCKHOLM) -> Case:
    """A new case; `seq` numbers it (the batch's counter during an ingest, else a query); `keys` are the
    form's fingerprints as the parser worked them out (FormData.fingerprint), else worked out here."""
    received = msg.date or msg.first_seen
    year = local_date(received, zone).year
    number = seq(year) if seq else _next_seq(session, year)
    reporters = [e for e in dict.fromkeys([parsed.sender.email if parsed.sender else "",
                                           (form.reporter_email or "").lower(),
                                           (form.reporter_manager_email or "").lower()]) if e]
    sec = {a.lower() for a in secretariat}
    fingerprint, text_fingerprint = keys or (form.fingerprint, form.text_fingerprint)
    receivers = receivers_of([a.email for a in parsed.to], secretariat, reporters)
    case = Case(
        case_id=f"BUS-{year}-{number:04d}", year=year, seq=number, source_message=msg,
        first_received=received, response_due=add_months(local_date(received, zone), due_months),
        fingerprint=fingerprint, text_fingerprint=text_fingerprint,
        normalised_subject=parsed.normalised_subject, form=form,
        classification=classification,
        participants=[e for e in _emails(parsed) if e not in sec],
        receivers=receivers, receiver_rows=new_receivers(receivers, form), reporters=reporters,
        flags=list(flags), responded=False, status="open", overrides={},
    )
    session.add(case)  # flushed with the message's link (one flush less per new case)
    return case


def note_participants(case: Case, parsed: ParsedEmail, secretariat: tuple[str, ...]) -> None:
    sec = {a.lower() for a in secretariat}
    known = list(case.participants or [])
    extra = [e for e in _emails(parsed) if e not in sec and e not in known]
    if extra:
        case.participants = known + extra

