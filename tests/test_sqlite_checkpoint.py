"""SQLite: WAL checkpoints run in a background thread (store/db.py `Checkpointer`), not in the commit.

A commit leaves its pages in the WAL (below the backstop nothing copies them in the committing
connection); the checkpointer then copies them into the database file, and everything stays readable
through a fresh connection after the process lets go.
"""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from store.db import CATCH_UP_SECONDS, CHECKPOINT_ROWS, WAL_BACKSTOP_PAGES, Database
from store.message_rows import now
from store.models import RawBlob

pytestmark = pytest.mark.integration

MB = 1024 * 1024


def _write(db: Database, count: int, size: int = 50_000, first: int = 0) -> None:
    with db.session() as session:
        for n in range(first, first + count):
            data = os.urandom(size)
            session.add(RawBlob(sha256=f"{n:064d}", size=len(data), data=data, stored_at=now()))


def _wait_for(predicate: object, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_commit_leaves_the_copy_to_the_checkpointer(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    db = Database(f"sqlite:///{path}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == WAL_BACKSTOP_PAGES
    _write(db, 80)                                   # ~4 MB: far below the backstop, above SQLite's default
    assert db.checkpointer is not None
    assert _wait_for(lambda: path.stat().st_size > 3 * MB), "the checkpointer never copied the WAL"
    db.dispose()
    assert db.checkpointer._thread is None or not db.checkpointer._thread.is_alive()
    with sqlite3.connect(path) as plain:
        assert plain.execute("SELECT count(*), sum(size) FROM raw_blob").fetchone() == (80, 80 * 50_000)


def test_only_sessions_that_wrote_many_rows_wake_the_checkpointer(tmp_path: Path) -> None:
    """An idle poll reads and writes its status row: neither starts the thread; a batch of mail does."""
    from sqlalchemy import func, select
    db = Database(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        assert db.checkpointer is not None
        db.checkpointer._last_poke = time.monotonic()      # as if it had just run
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(RawBlob)) == 0
        assert db.checkpointer._thread is None, "a read-only session woke the checkpointer"
        _write(db, CHECKPOINT_ROWS - 1)
        assert db.checkpointer._thread is None, "a small write woke the checkpointer"
        _write(db, CHECKPOINT_ROWS, first=CHECKPOINT_ROWS)
        assert db.checkpointer._thread is not None, "a large write did not wake the checkpointer"
    finally:
        db.dispose()


def test_a_small_write_wakes_the_checkpointer_when_it_has_long_slept(tmp_path: Path) -> None:
    """A quiet store (only status rows and cursors) still gets its WAL copied now and then."""
    db = Database(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        assert db.checkpointer is not None
        db.checkpointer._last_poke = time.monotonic() - CATCH_UP_SECONDS - 1
        _write(db, 1)
        assert db.checkpointer._thread is not None, "a small write after a long sleep did not wake it"
    finally:
        db.dispose()


def test_no_checkpointer_on_postgresql(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        assert db.checkpointer is None
    finally:
        db.dispose()


def test_checkpointer_failing_never_fails_a_commit(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'store.db'}")
    assert db.checkpointer is not None

    class Broken:
        def connect(self) -> None:
            raise sqlite3.OperationalError("disk I/O error")

    db.checkpointer.engine = Broken()  # type: ignore[assignment]
    _write(db, CHECKPOINT_ROWS)
    _write(db, 3, first=CHECKPOINT_ROWS)
    _write(db, CHECKPOINT_ROWS, first=100)           # this commit pokes a thread that has failed once
    db.dispose()
    db2 = Database(f"sqlite:///{tmp_path / 'store.db'}")
    with db2.session() as session:
        assert session.query(RawBlob).count() == 2 * CHECKPOINT_ROWS + 3   # type: ignore[attr-defined]
    db2.dispose()
