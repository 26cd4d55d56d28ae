"""Shared fixtures: a fresh database on SQLite and on PostgreSQL (127.0.0.1:5432/test, its own schema)."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from config.rules import Rules, default_rules
from store.db import Database
from tests import browser, shared_corpus

PG_URL = os.environ.get("BUSAVVIK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """`@pytest.mark.shared("realmail")`: the corpus must be beside the repository (see tests/shared_corpus.py)."""
    for marker in item.iter_markers("shared"):
        shared_corpus.shared_dir(marker.args[0])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if shared_corpus.missing:
        names = ", ".join(f"{name} ({count} tests)" for name, count in sorted(shared_corpus.missing.items()))
        outcome = "failed (CI=true)" if shared_corpus.in_ci() else "skipped"
        terminalreporter.write_line(f"{outcome}, shared corpus absent beside the repository: {names}", yellow=True)
    for folder in browser.screenshot_folders:
        terminalreporter.write_line(f"browser screenshots: {folder}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'busavvik.db'}"
        return
    yield from _pg_schema()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """PostgreSQL only: for what SQLite cannot do (advisory locks, several workers)."""
    yield from _pg_schema()


def _pg_schema() -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_URL)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {PG_URL} is not reachable: {exc.orig}")
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def rules() -> Rules:
    return default_rules()
