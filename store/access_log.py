"""The access log: who logged in, failed or logged out, and who opened which case or mail, and when.
Rows are only added here; nothing in busavvik edits them (the retention rules may cull old ones)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parsers.pnr import redact
from store.models import AccessLog

EVENTS = {"login": "loggade in", "login_failed": "misslyckad inloggning", "logout": "loggade ut",
          "case": "öppnade ärende", "review": "öppnade Granska", "report": "öppnade årsrapport",
          "sso_bind": "SSO-identitet kopplad", "sessions_ended": "inloggningar avslutade",
          "access_log": "öppnade åtkomstloggen", "mail": "öppnade mejl",
          "attachment": "hämtade bilaga"}


@dataclass(frozen=True)
class Entry:
    at: datetime
    who: str
    event: str
    target: str
    address: str


def record(session: Session, who: str, event: str, *, at: datetime, target: str = "", address: str = "") -> None:
    """Add one row (the texts are cut to their columns and redacted: a name field may hold anything)."""
    session.add(AccessLog(at=at, who=redact(who)[:200], event=event[:30], target=redact(target)[:300],
                          address=address[:64]))


def page(session: Session, offset: int, limit: int, who: str = "") -> tuple[list[Entry], int]:
    """Newest first: `limit` rows from `offset`, and how many there are (of `who` when given)."""
    query = select(AccessLog)
    count = select(func.count()).select_from(AccessLog)
    if who:
        query, count = query.where(AccessLog.who == who), count.where(AccessLog.who == who)
    rows = session.scalars(query.order_by(AccessLog.at.desc(), AccessLog.id.desc()).offset(offset).limit(limit))
    return [Entry(r.at, r.who, r.event, r.target, r.address) for r in rows], int(session.scalar(count) or 0)
