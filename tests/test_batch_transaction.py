"""A batch and its cursor are one transaction, on SQLite too (ingest/imap.py's seam promises it).

pysqlite begins a transaction only before a write statement; a SAVEPOINT issued first (the pipeline's
`begin_nested`) then begins it itself, and its RELEASE commits it: the batch was committed before its cursor
was even written. A session opened with `write=True` begins the transaction first (BEGIN IMMEDIATE).
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from config.rules import Rules
from ingest.types import FolderCursor, RawMessage
from pipeline.batch import Pipeline
from store.db import Database
from store.message_rows import get_cursor, set_cursor
from tests.support.mailbuilder import make_mail

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _mail(n: int) -> bytes:
    return make_mail(subject=f"Mail {n}", sender="a@solna.se", to=["b@sll.se"], when=WHEN,
                     message_id=f"<tx{n}@x.se>", body="Hej")


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as plain:   # another connection: sees only what is committed
        return int(plain.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_batch_and_cursor_commit_together_on_sqlite(tmp_path: Path, rules: Rules) -> None:
    path = tmp_path / "store.db"
    db = Database(f"sqlite:///{path}")
    raws = [RawMessage("storsthlm", "INBOX", _mail(n), 7, n) for n in range(1, 6)]
    try:
        with Pipeline(db, rules, workers=1) as pipeline:
            with db.session(write=True) as session:
                stats = pipeline.ingest_batch(session, raws)
                assert stats.new == 5
                assert _count(path, "message") == 0, "the batch was committed before its cursor"
                set_cursor(session, "storsthlm", "INBOX", FolderCursor(7, 5))
            assert _count(path, "message") == 5
        with db.session() as session:
            assert get_cursor(session, "storsthlm", "INBOX") == FolderCursor(7, 5)
    finally:
        db.dispose()


def test_a_failed_batch_leaves_neither_messages_nor_cursor(tmp_path: Path, rules: Rules) -> None:
    path = tmp_path / "store.db"
    db = Database(f"sqlite:///{path}")
    raw = RawMessage("storsthlm", "INBOX", _mail(99), 7, 1)
    try:
        with Pipeline(db, rules, workers=1) as pipeline:
            try:
                with db.session(write=True) as session:
                    pipeline.ingest_batch(session, [raw])
                    set_cursor(session, "storsthlm", "INBOX", FolderCursor(7, 1))
                    raise RuntimeError("the process fails before the commit")
            except RuntimeError:
                pass
        assert _count(path, "message") == 0 and _count(path, "sync_cursor") == 0
    finally:
        db.dispose()
