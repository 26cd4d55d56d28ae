"""The migrations build exactly the schema the models declare, on SQLite and on PostgreSQL.

Migration 0001 declared bus_case.source_message_id's foreign key with use_alter=True, which Alembic's
create_table silently leaves out: on PostgreSQL nothing checked the column until migration 0005.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from store.db import Database, alembic_config, make_engine, migrate
from store.models import Base, Case

pytestmark = pytest.mark.integration


def _not_the_search_index(name: str | None, type_: str, parent: dict[str, str | None]) -> bool:
    """The full-text index (store/search.py, 0018_search) is no model: an FTS5 virtual table (and its shadow
    tables) on SQLite, a tsvector table on PostgreSQL, written only in SQL."""
    table = name if type_ == "table" else parent.get("table_name")
    return not (table or "").startswith("case_search")


def _schema_diff(conn: sa.Connection) -> list[object]:
    context = MigrationContext.configure(conn, opts={"include_name": _not_the_search_index})
    return list(compare_metadata(context, Base.metadata))


def test_the_migrated_schema_is_the_models_schema(db: Database) -> None:
    with db.engine.connect() as conn:
        assert _schema_diff(conn) == []
        assert sa.inspect(conn).has_table("case_search")


def _case(source: int | None) -> Case:
    return Case(case_id="BUS-2026-0001", year=2026, seq=1, source_message_id=source,
                first_received=datetime(2026, 1, 2, tzinfo=UTC), response_due=date(2026, 3, 2),
                fingerprint="f", text_fingerprint="t")


def test_a_case_cannot_point_at_a_message_that_does_not_exist(db: Database) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        with db.session() as s:
            s.add(_case(4711))


def _upgrade(engine: sa.Engine, revision: str) -> None:
    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_upgrading_postgresql_clears_a_dangling_source_and_adds_the_key(pg_url: str,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine(pg_url)
    try:
        _upgrade(engine, "0004")
        with engine.begin() as conn:   # no key yet: a case can point anywhere
            conn.execute(sa.insert(Case.__table__).values(
                case_id="BUS-2026-0001", year=2026, seq=1, source_message_id=4711,
                first_received=datetime(2026, 1, 2, tzinfo=UTC), response_due=date(2026, 3, 2),
                fingerprint="f", text_fingerprint="t", normalised_subject="", form={}, classification={},
                participants=[], receivers=[], reporters=[], flags=[], responded=False, status="open",
                overrides={}))
        migrate(engine)
        assert "now cleared: BUS-2026-0001" in caplog.text
        with engine.connect() as conn:
            assert conn.scalar(sa.select(Case.__table__.c.source_message_id)) is None
            assert _schema_diff(conn) == []
    finally:
        engine.dispose()
