"""The login throttle's counts in the store, so that a restart does not reset them and parallel guesses are
all counted: an attempt is checked and counted in one transaction, under a row lock, before its password is
checked (web/auth.py Throttle)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import LoginAttempt


def _ensure(session: Session, keys: list[str]) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for key in keys:
        session.execute(dialect.insert(LoginAttempt).values(key=key, failures=0, last_at=0.0)
                        .on_conflict_do_nothing(index_elements=["key"]))


def wait_of(failures: int, last_at: float, limit: int, now: float, base_wait: float, window: float) -> float:
    """How long a key with `failures` counted (the last at `last_at`) must still wait; counts older than the
    window are forgotten."""
    if now - last_at >= window or failures < limit:
        return 0.0
    wait = min(base_wait * 2.0 ** (failures - limit), window)
    return float(max(0.0, last_at + wait - now))


def attempt(session: Session, limits: dict[str, int], now: float, base_wait: float, window: float) -> float:
    """Check every key against its limit and, when none must wait, count the attempt against each (it is a
    failure until `succeeded`). The seconds to wait (0: counted, go ahead and check the password)."""
    keys = sorted(limits)                       # one lock order for every caller
    _ensure(session, keys)
    rows = list(session.scalars(select(LoginAttempt).where(LoginAttempt.key.in_(keys))
                                .order_by(LoginAttempt.key).with_for_update()))
    wait = max((wait_of(r.failures, r.last_at, limits[r.key], now, base_wait, window) for r in rows), default=0.0)
    if wait > 0:
        return wait
    for row in rows:
        row.failures = 1 if now - row.last_at >= window else row.failures + 1
        row.last_at = now
    return 0.0


def cull(session: Session, before: float) -> int:
    """Forget the keys whose last attempt is older than `before` (a flood of names leaves no lasting rows)."""
    from sqlalchemy import delete

    return int(session.execute(delete(LoginAttempt).where(LoginAttempt.last_at < before)).rowcount)  # type: ignore[attr-defined]


def succeeded(session: Session, clear: str, release: list[str]) -> None:
    """The password was right: the key `clear` (name and address) starts over; the keys in `release` give
    back the attempt counted."""
    row = session.get(LoginAttempt, clear, with_for_update=True)
    if row is not None:
        session.delete(row)
    for key in release:
        other = session.get(LoginAttempt, key, with_for_update=True)
        if other is not None and other.failures > 0:
            other.failures -= 1
