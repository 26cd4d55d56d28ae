"""Migration 0008 fills receivers and answers for cases stored before it, as linking would have."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command

from config.rules import Rules
from store import export
from store.db import Database, alembic_config, migrate
from store.models import Case
from tests.support.receivers_corpus import BUP, BUP_ANSWER, HAB, HAB_ANSWER, answer, deviation
from tests.support.receivers_corpus import ingest as _ingest


def _to(db: Database, revision: str, down: bool = False) -> None:
    with db.engine.begin() as conn:
        cfg = alembic_config(db.engine)
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def _deviations(db: Database) -> list[dict[str, Any]]:
    with db.session() as s:
        return export.deviations(s)


def test_migration_fills_receivers_and_answers_of_stored_cases(db: Database, rules: Rules) -> None:
    _ingest(db, rules, deviation(), answer(BUP, "bup-answers", 8, section4=BUP_ANSWER),
            answer("assistent@habilitering.se", "hab-answers", 11, section4=HAB_ANSWER))
    linked = _deviations(db)
    assert linked[0]["awaiting"] == ["rektor.exempelskolan@stockholm.se"]
    with db.session() as s:   # a person's outcome recorded the old, undocumented way
        case = s.scalars(sa.select(Case)).one()
        case.overrides = {"response_outcome": "Ej löst"}
    _to(db, "0006", down=True)            # the store as it was before the receivers were tracked
    with db.engine.connect() as conn:
        assert not sa.inspect(conn).has_table("case_receiver")
    migrate(db.engine)
    filled = _deviations(db)
    assert filled[0]["receivers"] == linked[0]["receivers"] and filled[0]["awaiting"] == linked[0]["awaiting"]
    answers = {a["receiver_email"]: a for a in filled[0]["answers"]}
    assert set(answers) == {BUP, HAB}
    assert (answers[BUP]["outcome"], answers[BUP]["outcome_source"]) == ("Ej löst", "set")
    assert (answers[HAB]["outcome"], answers[HAB]["outcome_source"]) == ("Förbättringsförslag", "suggested")
    assert answers[HAB] == {a["receiver_email"]: a for a in linked[0]["answers"]}[HAB]
