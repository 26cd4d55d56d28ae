"""Digest rows for mail and digests the worker could not handle: set-aside mail, digests that did not go out."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from notify.policy import local_day
from notify.rows import Row, clean
from store.models import DigestRun, SetAsideMail

SET_ASIDE_LABELS = {"refused": "servern vägrar lämna ut det", "hung_up": "servern kopplar ned när det begärs",
                    "empty": "servern skickar det utan innehåll", "unreadable": "filen går inte att läsa"}


def set_aside_rows(session: Session) -> list[Row]:
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
        out.append(Row("–", local_day(a.first_at).isoformat(),
                       (what, "", clean(f"{why} – {a.summary}" if a.summary else why))))
    return out


def unsent_digest_rows(session: Session, before: datetime) -> list[Row]:
    """Weekly digests of the two weeks before that did not go out (store/digestruns.py): failed all their
    week, or cut short. Older ones are not said again."""
    rows = session.scalars(select(DigestRun).where(DigestRun.status.in_(("failed", "unknown")),
                                                   DigestRun.scheduled_for < before,
                                                   DigestRun.scheduled_for >= before - timedelta(days=14))
                           .order_by(DigestRun.scheduled_for))
    return [Row("–", local_day(r.scheduled_for).isoformat(),
                ("veckosammanfattningen skickades inte" if r.status == "failed"
                 else "veckosammanfattningen kanske inte skickades (kontrollera)", "", clean(r.last_error, 120)))
            for r in rows]
