"""Reminders a human must look at (unknown, failed, held), and a human's decision on one (`remind-resolve`)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.rules import Rules
from config.settings import Settings
from notify.recipients import over_cap, recipients
from parsers.pnr import redact
from store.caseview import view_of
from store.db import Database
from store.jsontypes import Recipients
from store.models import Case, Reminder

REVIEW_STATES = ("unknown", "failed", "held")


def attention(db: Database) -> list[Reminder]:
    """Rows a human must look at: unknown (maybe sent), failed and held (too many recipients)."""
    with db.session() as session:
        return list(session.scalars(select(Reminder).where(Reminder.status.in_(REVIEW_STATES))
                                    .order_by(Reminder.id)))


def resolve(db: Database, case_id: str, step: str, sent: bool, now: datetime,
            settings: Settings | None = None, rules: Rules | None = None) -> str:
    """A human's decision on an unknown/failed/held row: it was sent, or send it again (same Message-ID).
    A held row sent again gets its recipients anew (with `settings` and `rules`), and only within the cap."""
    with db.session() as session:
        row = session.scalars(select(Reminder).join(Case, Case.id == Reminder.case_pk)
                              .where(Case.case_id == case_id.upper(), Reminder.step == step)).first()
        if row is None:
            raise LookupError(f"no {step!r} reminder for {case_id}")
        if row.status not in REVIEW_STATES:
            raise LookupError(f"the {step!r} reminder for {case_id} is {row.status}, not unknown/failed/held")
        if row.status == "held" and not sent:
            _refill(session, row, settings, rules)
        row.status = "sent" if sent else "pending"
        row.sent_at = now if sent else None
        row.attempts = 0 if not sent else row.attempts     # a resend has its own attempt limit
        row.last_error = f"resolved by hand: {'sent' if sent else 'resend'}"
        return row.status


def _refill(session: Session, row: Reminder, settings: Settings | None, rules: Rules | None) -> None:
    if settings is None or rules is None:
        raise LookupError("a held reminder is sent again only with the settings and rules at hand")
    to, cc = recipients(view_of(session, row.case_pk), row.step, settings, rules)
    held = over_cap(to, cc, settings)
    if held or not to:
        raise LookupError(held or "inga mottagare kända")
    row.recipients = Recipients(tuple(to), tuple(cc))


NEXT = {
    "sent": "skickad",
    "pending": "inte skickad – nytt försök vid nästa körning",
    "sending": "skickas (avbröts körningen tas den om hand efter 15 minuter)",
    "delivering": "skickas (avbröts körningen tas den om hand efter 15 minuter)",
    "failed": ("MISSLYCKADES – skickas inte igen av sig själv; rätta felet och kör "
               "`busavvik remind-resolve {case} {step} --resend` (eller --sent om den gått ut på annat sätt)"),
    "unknown": ("OKÄNT om den kom fram (förbindelsen bröts när servern hade meddelandet) – kontrollera skickad "
                "post och kör `busavvik remind-resolve {case} {step} --sent` eller `--resend`"),
    "held": ("STOPPAD – skickas inte; se över ärendets mottagare, skicka för hand och kör "
             "`busavvik remind-resolve {case} {step} --sent`, eller stäng ärendet"),
    "aborted": "togs över av en annan körning",
    "error": "internt fel – se loggen",
}


def state_text(status: str, case_id: str, step: str) -> str:
    """A reminder's state and what happens next, in Swedish."""
    return NEXT.get(status, status).format(case=case_id, step=step)


def attention_lines(db: Database) -> list[str]:
    """One line per reminder a human must look at: case, step, state, why and what to do (Swedish)."""
    with db.session() as session:
        rows = session.execute(select(Case.case_id, Reminder).join(Case, Case.id == Reminder.case_pk)
                               .where(Reminder.status.in_(REVIEW_STATES)).order_by(Reminder.id)).tuples().all()
        return [f"{case_id} [{r.step}]: {state_text(r.status, case_id, r.step)} "
                f"(försök: {r.attempts}; senaste fel: {redact(r.last_error or '–')})" for case_id, r in rows]
