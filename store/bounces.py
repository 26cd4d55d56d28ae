"""Bounced reminders: a bounce of one of our reminders marks the receivers it names "bounced" (studsade) with the
server's reason; a person replaces such a receiver's address (a `Correction`, kept in the history), and the
receiver is awaited again at the new address, where the next reminder goes."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers.bounce import Bounce, short
from parsers.headers import normalise_id
from store.corrections import CorrectionError, find_case
from store.message_rows import now
from store.models import Case, CaseReceiver, Correction, Message, Reminder

BOUNCED: Final = "bounced"
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def _reminder(session: Session, original_id: str | None) -> Reminder | None:
    if not original_id:
        return None
    wanted = normalise_id(original_id)
    return session.scalars(select(Reminder).where(Reminder.message_id.in_(
        (f"<{wanted}>", wanted)))).first() or next(
        (r for r in session.scalars(select(Reminder).where(Reminder.message_id.ilike(f"%{wanted}%")))
         if normalise_id(r.message_id) == wanted), None)


def record_bounce(session: Session, msg: Message, bounce: Bounce) -> list[CaseReceiver]:
    """Mark the receivers a bounce of our reminder names as bounced (those still awaited, or bounced
    before); the receivers marked.  A bounce of anything else (the digest, an unknown mail) changes nothing."""
    reminder = _reminder(session, bounce.original_id)
    if reminder is None:
        return []
    case = session.get(Case, reminder.case_pk)
    if case is None:
        return []
    when = msg.date or msg.first_seen or now()
    marked = []
    for failed in bounce.failed:
        row = next((r for r in case.receiver_rows if r.email == failed.email), None)
        if row is None or row.state not in ("awaited", BOUNCED):
            continue
        reason = failed.reason
        if failed.status and failed.status not in reason:
            reason = f"{failed.status} {reason}"
        row.state, row.bounce_reason, row.bounced_at = BOUNCED, short(reason or "kunde inte levereras"), when
        marked.append(row)
    return marked


def looks_like_address(text: str) -> bool:
    return len(text) <= 320 and bool(_EMAIL.match(text))


def replace_address(session: Session, case_id: str, old: str, new: str, who: str) -> CaseReceiver:
    """Byt adress: the receiver `old` of the case is awaited again at `new` (recorded as a Correction)."""
    case = find_case(session, case_id)
    wanted, address = old.strip().lower(), new.strip().lower()
    row = next((r for r in case.receiver_rows if r.email == wanted), None)
    if row is None:
        known = ", ".join(r.email for r in case.receiver_rows) or "inga"
        raise CorrectionError(f"{case.case_id} har ingen mottagare {old.strip()!r}; mottagare: {known}")
    if not looks_like_address(address):
        raise CorrectionError(f"{new.strip()!r} är ingen e-postadress; skriv t.ex. namn.efternamn@exempel.se")
    if address == row.email:
        raise CorrectionError(f"{row.email} är redan mottagarens adress")
    if any(r.email == address for r in case.receiver_rows):
        raise CorrectionError(f"{address} är redan mottagare i {case.case_id}")
    if row.state == "answered":
        raise CorrectionError(f"{row.email} har redan svarat på {case.case_id}")
    before = row.email
    row.email, row.state, row.bounce_reason, row.bounced_at = address, "awaited", None, None
    row.changed_by, row.changed_at = who, now()
    case.receivers = [address if str(a).lower() == before else a for a in case.receivers or []]
    session.add(Correction(case_pk=case.id, field="receiver_address", old_value=before, new_value=address,
                           who=who, at=row.changed_at))
    return row


@dataclass(frozen=True)
class BouncedRow:
    case_id: str
    email: str
    unit: str
    reason: str
    bounced_at: datetime | None


def bounced(session: Session) -> list[BouncedRow]:
    """Every receiver whose reminder bounced and whose address nobody has replaced yet, newest first."""
    q = (select(CaseReceiver, Case.case_id).join(Case, Case.id == CaseReceiver.case_pk)
         .where(CaseReceiver.state == BOUNCED, Case.status != "closed"))
    rows = [BouncedRow(case_id, r.email, r.unit or "", r.bounce_reason or "", r.bounced_at)
            for r, case_id in session.execute(q)]
    rows.sort(key=lambda b: (b.bounced_at is None, -(b.bounced_at.timestamp() if b.bounced_at else 0), b.case_id))
    return rows
