"""`busavvik run`: one leader per database; a standby takes over; SQLite refuses a second worker; SIGTERM."""
from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from store.db import Database
from store.models import MailboxStatus
from tests.support.worker import SAMPLE
from tests.support.worker import start as _start
from tests.support.worker import wait as _wait

pytestmark = pytest.mark.integration

def _config(tmp_path: Path, db_url: str) -> Path:
    maildir = tmp_path / "maildir"
    shutil.copytree(SAMPLE, maildir)
    cfg = tmp_path / "busavvik.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\n[[mailboxes]]\nname = "storsthlm"\ntype = "maildir"\n'
                   f'path = "{maildir}"\n[worker]\npoll_minutes = 0.05\n[logging]\nformat = "json"\n')
    return cfg


def _last_poll(db: Database) -> datetime | None:
    with db.session() as s:
        row = s.scalars(select(MailboxStatus)).first()
        return row.last_poll_at if row else None


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait(10)


def test_sqlite_second_worker_refuses_and_sigterm_stops_cleanly(tmp_path: Path, procs: list) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    cfg = _config(tmp_path, url)
    first = _start(cfg, tmp_path, "first")
    procs.append(first)
    db = Database(url)
    assert _wait(lambda: _last_poll(db) is not None, 60), (tmp_path / "first.log").read_text()
    second = _start(cfg, tmp_path, "second")
    procs.append(second)
    assert second.wait(60) == 1
    assert "already running" in (tmp_path / "second.log").read_text()
    first.send_signal(signal.SIGTERM)
    assert first.wait(60) == 0
    log = (tmp_path / "first.log").read_text()
    assert '"level": "INFO"' in log and "leader" in log
    assert "SIGTERM received: finishing the batch in hand" in log and "worker stopped" in log
    assert '"logger": "apscheduler' not in log      # the scheduler's INFO chatter stays out at level INFO


def test_postgres_standby_takes_over_when_the_leader_dies(pg_url: str, tmp_path: Path, procs: list) -> None:
    db_url = pg_url
    cfg = _config(tmp_path, db_url)
    leader = _start(cfg, tmp_path, "leader")
    procs.append(leader)
    db = Database(db_url)
    assert _wait(lambda: _last_poll(db) is not None, 60), (tmp_path / "leader.log").read_text()
    standby = _start(cfg, tmp_path, "standby")
    procs.append(standby)
    assert _wait(lambda: "standing by" in (tmp_path / "standby.log").read_text(), 60)
    leader.kill()  # kill -9: the server drops its session and with it the advisory lock
    leader.wait(10)
    killed = datetime.now(timezone.utc)
    taken_over = _wait(lambda: (_last_poll(db) or killed) > killed, 30)
    assert taken_over, (tmp_path / "standby.log").read_text()
    assert standby.poll() is None
    standby.send_signal(signal.SIGTERM)
    assert standby.wait(60) == 0
