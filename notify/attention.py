"""Digest rows for mail and digests the worker could not handle: set-aside mail, digests that did not go out,
mailboxes that could not be read."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.localzone import STOCKHOLM, LocalTime
from notify.rows import Row, clean
from store.models import DigestRun, MailboxStatus, SetAsideMail

MAILBOX_PROBLEMS = {   # last_error_code -> (what happened, what to do), Swedish
    "auth_failed": ("inloggningen nekades", "kontrollera lösenordet eller appens behörighet till brevlådan"),
    "tls_failed": ("den krypterade förbindelsen godtogs inte (certifikat/TLS)",
                   "kontrollera serverns certifikat och ca_file i konfigurationen"),
    "network": ("e-postservern gick inte att nå", "kontrollera nätverket och att e-postservern är uppe"),
}
OTHER_PROBLEM = ("ett fel uppstod vid läsningen", "läs arbetarens logg")

SET_ASIDE_LABELS = {"refused": "servern vägrar lämna ut det", "hung_up": "servern kopplar ned när det begärs",
                    "empty": "servern skickar det utan innehåll", "unreadable": "filen går inte att läsa"}


def set_aside_rows(session: Session, zone: LocalTime = STOCKHOLM) -> list[Row]:
    """Mail the server would not deliver (store/setaside.py), with what it gave of the message."""
    out = []
    for a in session.scalars(select(SetAsideMail).order_by(SetAsideMail.mailbox, SetAsideMail.uid)):
        if a.code == "unreadable":   # a Maildir file: its name is in the reason
            what = (f"brevlådan {clean(a.mailbox)}: en fil i Maildir går inte att läsa ({clean(a.folder)}); "
                    "nytt försök vid varje hämtning – kontrollera filens ägare och behörighet")
            why = f"{SET_ASIDE_LABELS['unreadable']} ({a.attempts} försök): {clean(a.reason, 120)}"
        else:
            what = (f"brevlådan {clean(a.mailbox)}: servern lämnar inte ut ett mejl ({clean(a.folder)}, "
                    f"UID {a.uid}); nya försök med växande mellanrum, minst ett per dygn")
            why = f"{SET_ASIDE_LABELS.get(a.code, 'okänt fel')} ({a.attempts} försök)"
        out.append(Row("–", zone.day(a.first_at).isoformat(),
                       (what, "", clean(f"{why} – {a.summary}" if a.summary else why))))
    return out


def unsent_digest_rows(session: Session, before: datetime, zone: LocalTime = STOCKHOLM) -> list[Row]:
    """Weekly digests of the two weeks before that did not go out (store/digestruns.py): failed all their
    week, or cut short. Older ones are not said again."""
    rows = session.scalars(select(DigestRun).where(DigestRun.status.in_(("failed", "unknown")),
                                                   DigestRun.scheduled_for < before,
                                                   DigestRun.scheduled_for >= before - timedelta(days=14))
                           .order_by(DigestRun.scheduled_for))
    return [Row("–", zone.day(r.scheduled_for).isoformat(),
                ("veckosammanfattningen skickades inte" if r.status == "failed"
                 else "veckosammanfattningen kanske inte skickades (kontrollera)", "", clean(r.last_error, 120)))
            for r in rows]


def _at(moment: datetime | None, zone: LocalTime = STOCKHOLM) -> str:
    return zone.text(moment, "%Y-%m-%d %H:%M") if moment else "okänd tid"


def failing_mailboxes(session: Session) -> list[MailboxStatus]:
    return list(session.scalars(select(MailboxStatus).where(MailboxStatus.last_error.is_not(None))
                                .order_by(MailboxStatus.mailbox)))


def unread_notices(rows: list[MailboxStatus], zone: LocalTime = STOCKHOLM) -> list[str]:
    """One Swedish paragraph per mailbox whose polls fail: since when, that the figures may be incomplete, and
    what to do. The error text itself (English, technical) stays in `busavvik status`."""
    out = []
    for mb in rows:
        what, todo = MAILBOX_PROBLEMS.get(mb.last_error_code or "", OTHER_PROBLEM)
        since = mb.error_since or mb.last_poll_at
        missing = (f"Mejl som kommit dit efter {_at(mb.last_success_at, zone)} finns inte med"
                   if mb.last_success_at else "Inget mejl från den har hämtats än")
        out.append(f"Brevlådan {clean(mb.mailbox)} har inte kunnat läsas sedan {_at(since, zone)} ({what}). "
                   f"{missing}, så siffrorna i den här sammanfattningen kan vara ofullständiga. "
                   f"Gör så här: {todo} (felet i detalj: `busavvik status`). När brevlådan går att läsa igen "
                   "hämtas det som saknas automatiskt.")
    return out


def mailbox_rows(rows: list[MailboxStatus], zone: LocalTime = STOCKHOLM) -> list[Row]:
    """The "needs review" rows for mailboxes whose polls fail, in Swedish."""
    out = []
    for mb in rows:
        what, todo = MAILBOX_PROBLEMS.get(mb.last_error_code or "", OTHER_PROBLEM)
        since = mb.error_since or mb.last_poll_at
        out.append(Row("–", zone.day(since).isoformat() if since else "",
                       (f"brevlådan {clean(mb.mailbox)} kunde inte läsas: {what}", "",
                        f"sedan {_at(since, zone)}, {mb.error_count} misslyckade försök i rad – {todo}")))
    return out
