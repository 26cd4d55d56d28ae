"""Exactly one active worker per database.

PostgreSQL: a session-level advisory lock held on a dedicated connection; a standby retries and takes
over when the leader's connection dies (the server releases the lock).  SQLite: an exclusive lock on a
file beside the database; a second worker refuses to start.
"""
from __future__ import annotations

import fcntl
import logging
import threading
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text

log = logging.getLogger("busavvik.leader")


class AlreadyRunning(Exception):
    """Another worker holds the lock (SQLite: this is fatal; PostgreSQL: stay standby)."""


class LeaderLock:
    def __init__(self, engine: Engine, lock_id: int) -> None:
        self.engine, self.lock_id = engine, lock_id
        self._conn: Connection | None = None
        self._file: IO[str] | None = None
        # the worker's main loop and its poll job both ask `still_held`: one statement at a time on the connection
        self._guard = threading.Lock()

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def try_acquire(self) -> bool:
        if self.is_postgres:
            return self._try_pg()
        return self._try_file()

    def _try_pg(self) -> bool:
        with self._guard:
            try:
                if self._conn is None:
                    self._conn = self.engine.connect()
                got = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:id)"),
                                              {"id": self.lock_id}).scalar())
                self._conn.commit()
            except Exception:
                self._drop()          # the database is unreachable: the caller retries on a new connection
                raise
            if not got:
                self._conn.close()
                self._conn = None
            return got

    def still_held(self) -> bool:
        """False when the dedicated connection is gone (then the lock is gone too)."""
        if not self.is_postgres:
            return self._file is not None
        with self._guard:
            if self._conn is None:
                return False
            try:
                self._conn.execute(text("SELECT 1"))
                self._conn.commit()
                return True
            except Exception:  # noqa: BLE001 - any failure means we lost the session and the lock
                log.error("lost the leader connection; stepping down")
                self._drop()
                return False

    def _drop(self) -> None:
        """Let go of the connection for good: should its session still live, it must not keep the lock."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # noqa: BLE001 - already broken: nothing more to release
                log.debug("closing the lost leader connection failed", exc_info=True)

    def _lock_path(self) -> Path:
        database = self.engine.url.database or ""
        if not database or database == ":memory:":
            return Path.cwd() / ".busavvik-worker.lock"
        return Path(database + ".worker.lock")

    def _try_file(self) -> bool:
        path = self._lock_path()
        handle = path.open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.write("locked by busavvik worker\n")
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        with self._guard:
            if self._conn is not None:
                try:
                    self._conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": self.lock_id})
                    self._conn.commit()
                except Exception:  # noqa: BLE001 - the session is gone, and its lock with it
                    log.warning("could not unlock the leader lock; dropping its connection", exc_info=True)
                finally:
                    self._drop()
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
