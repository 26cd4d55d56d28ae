"""Single sign-on identities: the provider's tenant id + object id (`tid`, `oid`) bound once to a name."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import SsoIdentity


def bound_name(session: Session, tid: str, oid: str) -> str | None:
    return session.scalars(select(SsoIdentity.name).where(SsoIdentity.tid == tid, SsoIdentity.oid == oid)).first()


def is_bound(session: Session, name: str) -> bool:
    return session.scalars(select(SsoIdentity.id).where(SsoIdentity.name == name)).first() is not None


def bind(session: Session, tid: str, oid: str, name: str, now: datetime) -> None:
    session.add(SsoIdentity(tid=tid[:100], oid=oid[:100], name=name[:200], bound_at=now))
    session.flush()
