"""A leader that loses its PostgreSQL lock stops its poll after the batch in hand, then stands by and comes back.

Before, a poll in progress (a backfill can take an hour) ran on to its end while a standby had taken the
lock and was polling beside it; and the poll job, when it noticed first, stopped the whole worker instead
of letting it stand by. The lock's connection is ended from outside with pg_terminate_backend, as a
PostgreSQL restart or a failover ends it.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

import busavvik.worker as worker_module
from busavvik.context import AppContext
from busavvik.worker import Worker
from config.settings import Settings, WorkerSettings
from store.db import make_engine
from tests.support.servers.tcpproxy import TcpProxy

pytestmark = pytest.mark.integration


def _wait(check: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


class FakePoll:
    """poll_once as a poll that would run for long: it returns once told to stop (or after 30 s)."""

    def __init__(self) -> None:
        self.started: list[float] = []
        self.halted: list[bool] = []

    def __call__(self, _app: AppContext, stop: threading.Event | None = None, **_kw: Any) -> list[Any]:
        assert stop is not None
        self.started.append(time.monotonic())
        self.halted.append(stop.wait(30))
        return []


def _backend_pid(worker: Worker) -> int:
    conn = worker.lock._conn
    assert conn is not None
    return int(conn.connection.dbapi_connection.info.backend_pid)  # type: ignore[union-attr]


def test_a_leader_whose_lock_connection_dies_stops_its_poll_and_takes_the_lock_again(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    poll = FakePoll()
    monkeypatch.setattr(worker_module, "poll_once", poll)
    app = AppContext()
    app.settings = Settings(database_url=pg_url, worker=WorkerSettings(poll_minutes=0.05, lock_id=918_273))
    worker = Worker(app)
    outside = make_engine(pg_url)
    seen: dict[str, Any] = {}

    def from_outside() -> None:
        try:
            assert _wait(lambda: len(poll.started) == 1), "the first poll never started"
            first_pid = _backend_pid(worker)
            with outside.begin() as conn:
                conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
            ended = time.monotonic()
            assert _wait(lambda: len(poll.halted) == 1), "the poll in progress was never stopped"
            seen["halted_after"] = time.monotonic() - ended
            assert _wait(lambda: len(poll.started) == 2), "the worker never took the lock again"
            seen["new_pid"] = _backend_pid(worker) != first_pid
        finally:
            worker.stop.set()

    helper = threading.Thread(target=from_outside)
    helper.start()
    try:
        worker.run()                    # in this (the main) thread: it installs signal handlers
    finally:
        helper.join(60)
        outside.dispose()
        app.db.dispose()
    assert poll.halted[0] is True and seen["halted_after"] < 10
    assert seen["new_pid"] is True
    assert len(poll.started) == 2 and not worker.lock.still_held()


def test_a_worker_that_cannot_reach_postgresql_for_the_lock_waits_for_it(
        pg_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """PostgreSQL restarting while a worker tries for the lock: it used to exit with a traceback."""
    poll = FakePoll()
    monkeypatch.setattr(worker_module, "poll_once", poll)
    with TcpProxy("127.0.0.1", 5432) as proxy:
        app = AppContext()
        app.settings = Settings(database_url=pg_url.replace(":5432/", f":{proxy.port}/"),
                                worker=WorkerSettings(poll_minutes=0.05, lock_id=918_274))
        app.db.engine.dispose()         # migrated; the lock's connection is a new one, through the cuts below
        proxy.cut_after(0, times=4)     # the next connections die at once (libpq may try twice per connect)
        worker = Worker(app)

        def stop_after_first_poll() -> None:
            _wait(lambda: len(poll.started) == 1)
            worker.stop.set()
        helper = threading.Thread(target=stop_after_first_poll)
        helper.start()
        try:
            worker.run()
        finally:
            helper.join(60)
            app.db.dispose()
    assert "cannot reach the database to take the leader lock" in caplog.text
    assert "postgres@" not in caplog.text      # the reason is the driver's message, never the URL
    assert len(poll.started) == 1 and poll.halted == [True]
