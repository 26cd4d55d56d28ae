"""Shared fixtures: a fresh database on SQLite and on PostgreSQL (127.0.0.1:5432/test, its own schema)."""
from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from config.rules import Rules, default_rules
from store.db import Database
from tests.support import browser, shared_corpus
from tests.support.servers import guard

PG_URL = os.environ.get("BUSAVVIK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """`@pytest.mark.shared("realmail")`: the corpus must be beside the repository (tests/support/shared_corpus.py)."""
    for marker in item.iter_markers("shared"):
        shared_corpus.shared_dir(marker.args[0])


def pytest_sessionstart(session: pytest.Session) -> None:
    guard.remember_children()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """A test that is not marked integration must not start a server (tests/support/servers/guard.py)."""
    guard.entering(item.nodeid, item.get_closest_marker("integration") is not None)
    try:
        return (yield)
    finally:
        guard.leaving()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Nothing the run started may outlive it (Dovecot, the SMTP sink's peers, chromium, busavvik web)."""
    left = guard.leftovers()
    if left:
        guard.stop(left)
        session.config.stash[_LEFT] = [f"{pid} {line}" for pid, line in left]
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_LEFT = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in terminalreporter.config.stash.get(_LEFT, []):
        terminalreporter.write_line(f"FAILED: left running after the tests: {line}", red=True)
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
    guard.server_started("PostgreSQL")
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


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def module_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One database for all tests of a module (SQLite, and PostgreSQL under integration): for tests that only read
    what an expensive set-up wrote once (a corpus imported), so the fast loop pays for it once per module."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path_factory.mktemp('module_db') / 'busavvik.db'}")
        yield database
        database.dispose()
        return
    schema = _pg_schema()
    database = Database(next(schema))
    yield database
    database.dispose()
    next(schema, None)


@pytest.fixture
def rules() -> Rules:
    return default_rules()


@pytest.fixture
def own_logging() -> Iterator[None]:
    """`busavvik poll` sets up logging on the root logger (to the runner's stream, closed afterwards)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes() -> Iterator[None]:
    """Argon2id with the smallest cost in the test process (a login took ~1 s of the web tests' time on 2 busy
    cores); the same code path, and `busavvik web` as a process still hashes with the defaults."""
    from argon2 import PasswordHasher

    from store import users
    saved = users._hasher, users._DUMMY_HASH
    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    users._DUMMY_HASH = users._hasher.hash("not a password of anyone")
    yield
    users._hasher, users._DUMMY_HASH = saved


@pytest.fixture
def real_password_hashes() -> Iterator[None]:
    """Argon2id at its real cost for a test that measures what a password check costs (the login flood, the
    capped queue): passwords set during the test, and the dummy hash of an unknown name, cost what they would."""
    from argon2 import PasswordHasher

    from store import users
    saved = users._hasher, users._DUMMY_HASH
    users._hasher = PasswordHasher()
    users._DUMMY_HASH = users._hasher.hash("not a password of anyone")
    yield
    users._hasher, users._DUMMY_HASH = saved
