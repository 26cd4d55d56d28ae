"""Bulk work freezes what lives at its start out of the collector's way, and the pipeline's close undoes it."""
from __future__ import annotations

import gc

from config.rules import Rules
from ingest.types import RawMessage
from pipeline.batch import BULK, Pipeline
from store.db import Database
from tests.support.plainmail import question as _mail


def test_a_large_batch_freezes_until_close(db: Database, rules: Rules) -> None:
    gc.unfreeze()
    with Pipeline(db, rules, workers=1) as pipeline:
        with db.session() as session:
            pipeline.ingest_batch(session, [RawMessage("storsthlm", "INBOX", _mail(n), 1, n) for n in range(3)])
        assert gc.get_freeze_count() == 0              # a few new mails are not bulk work
        with db.session() as session:
            stats = pipeline.ingest_batch(session, [RawMessage("storsthlm", "INBOX", _mail(n), 1, n)
                                                    for n in range(3, 3 + BULK)])
        assert stats.new == BULK
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
