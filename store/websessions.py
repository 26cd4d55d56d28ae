"""Server-side sessions of the web pages: a row per logged-in browser; the cookie holds only a signed random id.
Deleting a row ends that session at once (logout, `user disable`, a new password, `user sessions --revoke`)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.models import WebSession

TOUCH_EVERY = timedelta(seconds=60)          # `seen_at` is written at most once a minute per session


@dataclass(frozen=True)
class LiveSession:
    """A session as the pages see it."""
    key: str                        # the SHA-256 of the id in the cookie (the row's primary key)
    user: str
    sso: bool
    groups: tuple[str, ...]
    stamp: str
    csrf: str
    address: str
    created_at: datetime
    seen_at: datetime
    expires_at: datetime


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _live(row: WebSession) -> LiveSession:
    return LiveSession(row.id, row.user_name, row.sso, tuple(row.groups.split()), row.stamp, row.csrf, row.address,
                       row.created_at, row.seen_at, row.expires_at)


def create(session: Session, user: str, *, now: datetime, lifetime: timedelta, address: str = "", stamp: str = "",
           sso: bool = False, groups: tuple[str, ...] = ()) -> tuple[str, LiveSession]:
    """A new session: the random id for the cookie (never stored) and the row."""
    token = secrets.token_urlsafe(32)
    row = WebSession(id=digest(token), user_name=user[:200], sso=sso, groups=" ".join(groups), stamp=stamp,
                     csrf=secrets.token_urlsafe(24), address=address[:64], created_at=now, seen_at=now,
                     expires_at=now + lifetime)
    session.add(row)
    session.flush()
    return token, _live(row)


def peek(session: Session, token: str) -> LiveSession | None:
    """The row of a cookie's id as it is (no expiry check, nothing written)."""
    row = session.get(WebSession, digest(token))
    return _live(row) if row is not None else None


def stale(live: LiveSession, now: datetime, idle: timedelta) -> bool:
    """True when `load` has something to write: the session is over, or `seen_at` is to move on."""
    return now >= live.expires_at or now - live.seen_at >= min(idle, TOUCH_EVERY)


def load(session: Session, token: str, *, now: datetime, idle: timedelta) -> LiveSession | None:
    """The session of a cookie's id while it is neither idle too long nor past its end (an expired one is
    deleted); its `seen_at` moves on."""
    row = session.get(WebSession, digest(token))
    if row is None:
        return None
    if now >= row.expires_at or now - row.seen_at >= idle:
        session.delete(row)
        return None
    if now - row.seen_at >= TOUCH_EVERY:
        row.seen_at = now
    return _live(row)


def end(session: Session, token: str) -> bool:
    return bool(session.execute(delete(WebSession).where(WebSession.id == digest(token))).rowcount)  # type: ignore[attr-defined]


def end_all(session: Session, user: str) -> int:
    """End every session of `user` (its name as logged in); the number ended."""
    result = session.execute(delete(WebSession).where(WebSession.user_name == user))
    return int(result.rowcount)  # type: ignore[attr-defined]


def end_by_key(session: Session, user: str, key_prefix: str) -> int:
    """End the sessions of `user` whose key starts with `key_prefix` (as `user sessions` lists it)."""
    rows = [r for r in of_user(session, user) if r.key.startswith(key_prefix)]
    for r in rows:
        session.execute(delete(WebSession).where(WebSession.id == r.key))
    return len(rows)


def of_user(session: Session, user: str) -> list[LiveSession]:
    rows = session.scalars(select(WebSession).where(WebSession.user_name == user)
                           .order_by(WebSession.created_at, WebSession.id))
    return [_live(r) for r in rows]


def cull(session: Session, now: datetime, idle: timedelta) -> int:
    """Delete the sessions past their end or idle too long."""
    result = session.execute(delete(WebSession).where(
        (WebSession.expires_at <= now) | (WebSession.seen_at <= now - idle)))
    return int(result.rowcount)  # type: ignore[attr-defined]
