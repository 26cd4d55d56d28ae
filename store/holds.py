"""Legal hold (a request for public records, a JO/IVO matter): a held case is never culled until released."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Case, CaseHold


def active_hold(session: Session, case_pk: int) -> CaseHold | None:
    return session.scalars(select(CaseHold).where(CaseHold.case_pk == case_pk, CaseHold.released_at.is_(None))
                           .order_by(CaseHold.id)).first()


def held_cases(session: Session) -> set[int]:
    """The primary keys of every case under a hold now."""
    return set(session.scalars(select(CaseHold.case_pk).where(CaseHold.released_at.is_(None))))


def hold(session: Session, case: Case, reason: str, who: str) -> CaseHold | None:
    """Put `case` under hold; None when it already is (the first hold's reason stands)."""
    if active_hold(session, case.id) is not None:
        return None
    row = CaseHold(case_pk=case.id, reason=reason.strip(), held_by=who, held_at=datetime.now(UTC))
    session.add(row)
    session.flush()
    return row


def release(session: Session, case: Case, who: str) -> CaseHold | None:
    """Release the case's hold; None when it had none."""
    row = active_hold(session, case.id)
    if row is not None:
        row.released_by, row.released_at = who, datetime.now(UTC)
    return row
