"""The batch linker (store/batchlink.py) links exactly as the per-message queries of store/link.py do.

The same mail is ingested twice into fresh stores: once in batches (BatchIndex answers the rules from
memory) and once message by message (each message flushed and linked by queries).  Every message must
end in the same case, with the same kind and rule, and every case must have the same number, source,
response and participants.  Batches are cut small so that links cross batch boundaries too.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.rules import Rules
from ingest.files import open_source
from ingest.types import RawMessage
from store.batchlink import BatchIndex
from store.db import Database
from store.models import Case, Message
from store.pipeline import Pipeline
from tests.corpus import write_corpus
from tests.support.busmail import realistic_bus_messages


def _raws(root: Path, generated: int = 0) -> list[RawMessage]:
    """The hand-written corpus (tests/corpus.py) and, with `generated`, the benchmark's realistic mail."""
    raws = [raw for box in ("storsthlm", "hsf") for raw in open_source(root / box, box).messages()]
    return raws + [RawMessage("bench", "INBOX", data) for data in realistic_bus_messages(generated)]


def _snapshot(db: Database) -> tuple[dict[str, Any], dict[str, Any]]:
    with db.session() as s:
        cases = {c.id: c for c in s.scalars(select(Case))}
        msgs = {m.message_id: (cases[m.case_pk].case_id if m.case_pk else None, m.kind, m.link_rule)
                for m in s.scalars(select(Message))}
        by_case = {c.case_id: (s.get(Message, c.source_message_id).message_id if c.source_message_id else None,
                               c.response, sorted(c.participants), c.fingerprint, c.flags)
                   for c in cases.values()}
    return msgs, by_case


def _one_by_one(db: Database, rules: Rules, raws: list[RawMessage]) -> None:
    pipeline = Pipeline(db, rules, workers=1)
    for raw in raws:
        with db.session() as session:
            pipeline._one_by_one(session, [raw])  # the per-message route, without a BatchIndex


def test_batches_link_like_single_messages(db_url: str, rules: Rules, tmp_path: Path) -> None:
    write_corpus(tmp_path / "mail")
    raws = _raws(tmp_path / "mail", generated=160)
    batched, single = Database(db_url), Database(f"sqlite:///{tmp_path / 'single.db'}")
    try:
        with Pipeline(batched, rules, workers=1) as pipeline:
            pipeline.ingest(raws, chunk=37)
        _one_by_one(single, rules, raws)
        msgs_b, cases_b = _snapshot(batched)
        msgs_s, cases_s = _snapshot(single)
    finally:
        batched.dispose()
        single.dispose()
    assert len(msgs_b) == len(msgs_s) > 150
    assert sum(1 for v in msgs_b.values() if v[0]) > 100, "the corpus must link something"
    assert msgs_b == msgs_s
    assert cases_b == cases_s


def test_one_batch_holding_a_deviation_and_its_answers(db: Database, rules: Rules, tmp_path: Path) -> None:
    write_corpus(tmp_path / "mail")
    raws = _raws(tmp_path / "mail")
    with Pipeline(db, rules, workers=1) as pipeline:
        stats = pipeline.ingest(raws, chunk=len(raws))  # everything in one batch, nothing in the store
    assert stats.deviations > 5 and stats.answers > 3
    with db.session() as s:
        answers = s.scalars(select(Message).where(Message.kind == "answer")).all()
        assert answers and all(m.case_pk is not None for m in answers)
        seqs = sorted(c.seq for c in s.scalars(select(Case)))
        assert seqs == list(range(1, len(seqs) + 1))  # numbered without gaps or repeats


@pytest.mark.filterwarnings("ignore:New instance .* conflicts with persistent instance")
def test_an_id_taken_by_another_writer_redoes_the_batch_without_loss(tmp_path: Path, rules: Rules,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite: the batch gives ids itself; if another writer took one meanwhile, the INSERT fails and the
    batch is redone message by message, so nothing is lost and nothing is stored twice."""
    write_corpus(tmp_path / "mail")
    raws = _raws(tmp_path / "mail")
    db = Database(f"sqlite:///{tmp_path / 'clash.db'}")
    original = BatchIndex.__init__

    def stale(self: BatchIndex, session: Session) -> None:
        original(self, session)
        self._ids[Message] = 0  # as if the highest id had been read before another writer's insert

    try:
        with Pipeline(db, rules, workers=1) as pipeline:
            first = pipeline.ingest(raws[:8])
            monkeypatch.setattr(BatchIndex, "__init__", stale)
            second = pipeline.ingest(raws[8:])
        with db.session() as s:
            stored = s.scalars(select(Message.message_id)).all()
    finally:
        db.dispose()
    assert first.new + second.new == len(stored) == len(set(stored))
    assert second.new > 5
