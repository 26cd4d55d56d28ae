"""The weekly digest's runs, one row per scheduled digest (table digest_run), claimed before it is sent.

A digest missed at its hour (the worker stopped, the database or the SMTP server down) is then sent by a
later try that week (busavvik/jobs.py), and none is sent twice: a claim that finds the digest sent, or being
sent, does nothing. A run left "sending" (the worker died while sending) may or may not have gone out; after
STUCK it is marked "unknown", said once in the log, and left to a person: `busavvik digest --as-of DAY --send`
then marks that day's run sent.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import DigestRun

STUCK = timedelta(minutes=30)


def claim(session: Session, moment: datetime, stamp: datetime) -> str:
    """"claimed" when the caller is to send the digest scheduled for `moment` now; "stuck" when a send
    was cut short and is given up; else the run's status (sent, sending, unknown)."""
    row = session.get(DigestRun, moment)
    if row is None:
        session.add(DigestRun(scheduled_for=moment, status="sending", attempts=1, updated_at=stamp))
        return "claimed"
    if row.status == "failed":
        row.status, row.attempts, row.updated_at = "sending", row.attempts + 1, stamp
        return "claimed"
    if row.status == "sending" and stamp - row.updated_at > STUCK:
        row.status, row.updated_at = "unknown", stamp
        return "stuck"
    return row.status


def finish(session: Session, moment: datetime, stamp: datetime, error: str | None) -> None:
    """After a claimed send: sent, or failed with its error (then a later try sends it again)."""
    row = session.get(DigestRun, moment)
    if row is None:   # cannot happen after a claim; recorded all the same
        row = DigestRun(scheduled_for=moment, attempts=1)
        session.add(row)
    row.status = "sent" if error is None else "failed"
    row.last_error = error[:1000] if error else None
    row.updated_at = stamp


def sent_by_hand(session: Session, start: datetime, end: datetime, stamp: datetime) -> int:
    """`busavvik digest --send` for a day: the scheduled runs of that day (start <= scheduled_for < end)
    that did not go out are done now. How many."""
    rows = session.scalars(select(DigestRun).where(DigestRun.scheduled_for >= start, DigestRun.scheduled_for < end,
                                                   DigestRun.status.in_(("failed", "unknown"))))
    done = 0
    for row in rows:
        row.status, row.last_error, row.updated_at, done = "sent", "sent by hand", stamp, done + 1
    return done


def runs(session: Session) -> list[DigestRun]:
    return list(session.scalars(select(DigestRun).order_by(DigestRun.scheduled_for)))
