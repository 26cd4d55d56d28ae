"""Parsing ahead (Pipeline.prepare, pipeline/ahead.py): a batch's parse starts in the parser processes once
it is fetched.

It is a head start only: the stored result must be exactly what storing without it gives, bytes already
stored are not parsed again, and when the head start goes wrong (another batch, parser processes killed,
a broken store for the lookup) every message is still stored.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from config.rules import Rules
from ingest.types import RawMessage
from pipeline.batch import Pipeline
from store.db import Database
from store.models import Case, Message
from tests.support.busmail import realistic_bus_messages

BATCH = 60


def _raws(count: int, seed: int = 3) -> list[RawMessage]:
    return [RawMessage("bench", "INBOX", data, 1, uid)
            for uid, data in enumerate(realistic_bus_messages(count, seed=seed), 1)]


def _pipeline(db: Database, rules: Rules) -> Pipeline:
    pipeline = Pipeline(db, rules, workers=2)
    pipeline.parser.min_parallel = 8
    return pipeline


def _store(db: Database, rules: Rules, raws: list[RawMessage], ahead: bool) -> None:
    with _pipeline(db, rules) as pipeline:
        batches = [tuple(raws[i:i + BATCH]) for i in range(0, len(raws), BATCH)]
        prepared = [pipeline.prepare(b) if ahead else None for b in batches]   # all ahead: the worst case
        for batch, ready in zip(batches, prepared):
            with db.session() as session:
                pipeline.ingest_batch(session, batch, ready)


def _snapshot(db: Database) -> dict[str, Any]:
    with db.session() as s:
        cases = {c.id: c.case_id for c in s.scalars(select(Case))}
        return {m.message_id: (cases.get(m.case_pk), m.kind, m.link_rule, m.flags, m.problems, m.form)
                for m in s.scalars(select(Message))}


def test_parsed_ahead_stores_exactly_what_parsing_when_stored_does(db_url: str, rules: Rules,
                                                                   tmp_path: Path) -> None:
    count = 70 if db_url.startswith("sqlite") else 150       # two batches in the fast loop, three under integration
    raws = _raws(count)
    ahead, plain = Database(db_url), Database(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        _store(ahead, rules, raws, ahead=True)
        _store(plain, rules, raws, ahead=False)
        assert len(_snapshot(ahead)) == count
        assert _snapshot(ahead) == _snapshot(plain)
    finally:
        ahead.engine.dispose()
        plain.engine.dispose()


def test_bytes_already_stored_are_not_parsed_ahead(db: Database, rules: Rules) -> None:
    raws = _raws(40)
    _store(db, rules, raws[:30], ahead=False)
    with _pipeline(db, rules) as pipeline:
        prepared = pipeline.prepare(tuple(raws))
        assert prepared is not None
        assert sorted(prepared.slots) == list(range(30, 40))      # only the ten new ones are parsed
        with db.session() as session:
            stats = pipeline.ingest_batch(session, raws, prepared)
    assert (stats.new, stats.duplicates) == (10, 30)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 40


def test_a_head_start_for_other_messages_is_not_used(db: Database, rules: Rules) -> None:
    raws = _raws(40)
    with _pipeline(db, rules) as pipeline:
        wrong = pipeline.prepare(tuple(raws[20:]))
        with db.session() as session:
            stats = pipeline.ingest_batch(session, tuple(raws[:20]), wrong)
    assert stats.new == 20
    with db.session() as s:
        stored = set(s.scalars(select(Message.raw_sha256)))
    assert len(stored) == 20


def test_killed_parser_processes_lose_nothing(db: Database, rules: Rules,
                                              caplog: pytest.LogCaptureFixture) -> None:
    raws = _raws(80)
    with _pipeline(db, rules) as pipeline:
        prepared = pipeline.prepare(tuple(raws))
        assert prepared is not None
        for _ in range(500):   # the processes start in the pool's own thread
            pids = pipeline.parser.pids()
            if pids:
                break
            time.sleep(0.01)
        assert pids
        for pid in pids:  # the processes die with the parse under way
            os.kill(pid, signal.SIGKILL)
        with db.session() as session:
            stats = pipeline.ingest_batch(session, raws, prepared)
    assert stats.new == 80
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 80
        assert s.scalar(select(func.count()).select_from(Case)) == 40
    assert "parser process died" in caplog.text   # replaced; the message it had was parsed again


def test_a_failing_lookup_gives_no_head_start_and_no_error(rules: Rules, tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'gone.db'}")
    with _pipeline(db, rules) as pipeline:
        db.engine.dispose()
        (tmp_path / "gone.db").unlink()
        (tmp_path / "gone.db").mkdir()     # the store cannot be opened any more
        assert pipeline.prepare(tuple(_raws(20))) is None
