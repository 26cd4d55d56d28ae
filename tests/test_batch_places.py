"""Where a new message was seen is written with its batch in one statement (store/batch_writes.py `add_place`).

The places must come out as the ORM route wrote them: one per (message, mailbox, folder), the same
Message-ID with other bytes in the same batch and folder adds no second place, and the batch is never
redone message by message for it.
"""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from config.rules import Rules
from ingest.types import RawMessage
from pipeline.batch import Pipeline
from store.db import Database
from store.models import Location, Message, RawBlob
from tests.support.plainmail import question as _mail


def _places(db: Database) -> dict[str, list[tuple[str, str, int | None]]]:
    with db.session() as s:
        rows = s.execute(select(Message.message_id, Location.mailbox, Location.folder, Location.uid)
                         .join(Location, Location.message_pk == Message.id).order_by(Location.id)).all()
    out: dict[str, list[tuple[str, str, int | None]]] = {}
    for mid, box, folder, uid in rows:
        out.setdefault(mid, []).append((box, folder, uid))
    return out


def test_each_new_message_gets_its_place_in_one_batch(db: Database, rules: Rules,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    raws = [RawMessage("storsthlm", "INBOX", _mail(n), 7, n) for n in range(1, 61)]
    raws.append(RawMessage("storsthlm", "INBOX", _mail(1, body="edited copy"), 7, 61))   # same id, other bytes
    raws.append(RawMessage("storsthlm", "Arkiv", _mail(2, body="moved copy"), 9, 1))     # same id, other folder
    raws.append(RawMessage("hsf", "INBOX", _mail(3), 5, 1))                              # same bytes, other box
    with caplog.at_level(logging.WARNING, logger="busavvik.pipeline"), Pipeline(db, rules, workers=1) as p:
        with db.session() as session:
            stats = p.ingest_batch(session, raws)
    assert "redone message by message" not in caplog.text
    assert stats.new == 60
    places = _places(db)
    assert len(places) == 60
    assert places["m1@solna.se"] == [("storsthlm", "INBOX", 61)]   # the place now holds the later uid
    assert places["m2@solna.se"] == [("storsthlm", "INBOX", 2), ("storsthlm", "Arkiv", 1)]
    assert places["m3@solna.se"] == [("storsthlm", "INBOX", 3), ("hsf", "INBOX", 1)]
    assert all(places[f"m{n}@solna.se"] == [("storsthlm", "INBOX", n)] for n in range(4, 61))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(RawBlob)) == 62   # every distinct byte string kept


def test_places_and_blobs_of_later_batches_follow_on(db: Database, rules: Rules) -> None:
    """Ids given by the batch (SQLite) and by the sequence (PostgreSQL) never collide across batches."""
    with Pipeline(db, rules, workers=1) as p:
        for start in (1, 41, 81):
            with db.session() as session:
                p.ingest_batch(session, [RawMessage("storsthlm", "INBOX", _mail(n), 7, n)
                                         for n in range(start, start + 40)])
        with db.session() as session:   # the same mail seen again in another folder: places only
            stats = p.ingest_batch(session, [RawMessage("hsf", "INBOX", _mail(n), 3, n) for n in range(1, 121)])
    assert stats.new == 0 and stats.duplicates == 120
    places = _places(db)
    assert len(places) == 120
    assert all(len(found) == 2 for found in places.values())
