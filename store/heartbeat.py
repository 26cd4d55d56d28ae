"""The worker's heartbeat (table worker_heartbeat): written by the leader every minute, read by `status`.

A heartbeat older than `STALE_FACTOR` intervals (and at least `STALE_MIN`) means the worker is not running, or
hangs, or cannot reach the database; a clean stop is recorded as such.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from store.models import WorkerHeartbeat

ROLE = "leader"
STALE_FACTOR = 3
STALE_MIN = timedelta(minutes=3)


def beat(session: Session, now: datetime, started: datetime, interval_seconds: int, state: str = "running") -> None:
    row = session.get(WorkerHeartbeat, ROLE)
    if row is None:
        row = WorkerHeartbeat(role=ROLE)
        session.add(row)
    row.host, row.pid, row.started_at = socket.gethostname()[:200], os.getpid(), started
    row.beat_at, row.interval_seconds, row.state = now, interval_seconds, state


@dataclass(frozen=True)
class Liveness:
    beat_at: datetime | None
    state: str                 # never | running | stale | stopped
    host: str = ""
    pid: int = 0
    started_at: datetime | None = None
    stale_after: timedelta = STALE_MIN


def liveness(session: Session, now: datetime) -> Liveness:
    row = session.get(WorkerHeartbeat, ROLE)
    if row is None:
        return Liveness(None, "never")
    stale_after = max(STALE_MIN, timedelta(seconds=STALE_FACTOR * row.interval_seconds))
    state = row.state if row.state == "stopped" else ("stale" if now - row.beat_at > stale_after else "running")
    return Liveness(row.beat_at, state, row.host, row.pid, row.started_at, stale_after)
