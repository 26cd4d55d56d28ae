"""Linking a batch (store/link_batch_index.py): a deviation and its answers in one batch, ids the batch
gives itself.  That the batch index and the per-message queries decide alike is tests/test_link_rules.py.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.rules import Rules
from ingest.files import open_source
from ingest.types import RawMessage
from pipeline.batch import Pipeline
from store.batch_writes import BatchWrites
from store.db import Database
from store.models import Case, Message
from tests.support.corpus import write_corpus


def _raws(root: Path) -> list[RawMessage]:
    """The hand-written corpus (tests/support/corpus.py)."""
    return [raw for box in ("storsthlm", "hsf") for raw in open_source(root / box, box).messages()]


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
    original = BatchWrites.__init__

    def stale(self: BatchWrites, session: Session) -> None:
        original(self, session)
        self._ids[Message] = 0  # as if the highest id had been read before another writer's insert

    try:
        with Pipeline(db, rules, workers=1) as pipeline:
            first = pipeline.ingest(raws[:8])
            monkeypatch.setattr(BatchWrites, "__init__", stale)
            second = pipeline.ingest(raws[8:])
        with db.session() as s:
            stored = s.scalars(select(Message.message_id)).all()
    finally:
        db.dispose()
    assert first.new + second.new == len(stored) == len(set(stored))
    assert second.new > 5
