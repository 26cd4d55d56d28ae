"""Operations an admin can read: `status` (mailbox errors cleared on recovery, cursors in words, whether the
worker is alive, reminders), the digest when a mailbox cannot be read, and the worker's log of a digest sent.
Real Maildir source, real `busavvik run` process, real SMTP sink; SQLite and PostgreSQL."""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from busavvik.cli import app as cli
from busavvik.jobs import run_digest
from config.localzone import local_day
from config.rules import Rules
from notify import digest as dg
from store.db import Database
from store.models import Cursor
from tests.support.digests import MONDAY
from tests.support.digests import send as _send
from tests.support.reminders import RECEIVER, add_case, at, make_app, run
from tests.support.servers.smtpsink import SmtpSink
from tests.support.worker import SAMPLE
from tests.support.worker import start as _start
from tests.support.worker import wait as _wait


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[SmtpSink]:
    with SmtpSink(tmp_path / "sink") as server:
        yield server


def _config(tmp_path: Path, db_url: str, maildir: Path, extra: str = "") -> Path:
    cfg = tmp_path / "busavvik.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\n[[mailboxes]]\nname = "storsthlm"\ntype = "maildir"\n'
                   f'path = "{maildir}"\n[worker]\npoll_minutes = 0.05\n' + extra)
    return cfg


def _cli(cfg: Path, *args: str) -> str:
    res = CliRunner().invoke(cli, ["--config", str(cfg), *args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    return res.output


# ---- mailboxes ------------------------------------------------------------------------------------------

@pytest.mark.usefixtures("own_logging")
def test_a_mailbox_error_is_cleared_when_the_mailbox_recovers(db_url: str, tmp_path: Path) -> None:
    maildir = tmp_path / "maildir"
    cfg = _config(tmp_path, db_url, maildir)
    _cli(cfg, "poll", "--once")                                  # no Maildir there yet: the poll fails
    [failing] = json.loads(_cli(cfg, "status", "--json"))
    assert failing["errors"] == 1 and "not a Maildir" in failing["last_error"] and failing["error_since"]
    assert failing["cursors_text"] == ["ingen post ännu"]
    shutil.copytree(SAMPLE, maildir)
    _cli(cfg, "poll", "--once")
    [row] = json.loads(_cli(cfg, "status", "--json"))
    assert row["last_error"] is None and row["errors"] == 0 and row["error_since"] is None
    assert row["last_success"] == row["last_poll"] and row["fetched"] == 18
    assert row["cursors"]["INBOX"].startswith("0:")              # the existing key, as it was
    assert row["cursors_text"][0].startswith("INBOX: Maildir, filer t.o.m. 20")
    table = " ".join(_cli(cfg, "status").split())
    assert "INBOX=0:" not in table and "not a Maildir" not in table


def test_cursors_are_said_in_words() -> None:
    from busavvik.status_info import cursor_text  # here: the rest of this module runs on older code too
    imap = Cursor(mailbox="hsf", folder="INBOX", uidvalidity=1_700_000_017, last_uid=3)
    assert cursor_text("imap", imap) == "INBOX: UIDVALIDITY 1700000017, senast hämtade UID 3"
    empty = Cursor(mailbox="hsf", folder="Inkorg/BUS", uidvalidity=17, last_uid=0)
    assert cursor_text("imap", empty) == "Inkorg/BUS: ingen post ännu (UIDVALIDITY 17)"
    mark = int(datetime(2026, 12, 1, 9, 22, 38, tzinfo=UTC).timestamp() * 1e9)
    maildir = Cursor(mailbox="storsthlm", folder="INBOX", uidvalidity=0, last_uid=mark)
    assert cursor_text("maildir", maildir) == "INBOX: Maildir, filer t.o.m. 2026-12-01 10:22:38 lästa"


# ---- the worker's heartbeat --------------------------------------------------------------------------------

@pytest.mark.integration
def test_the_worker_process_beats_and_its_stop_is_shown(db_url: str, tmp_path: Path) -> None:
    """`busavvik run` as a real process: its heartbeat is seen by status, SIGTERM stops it cleanly."""
    maildir = tmp_path / "maildir"
    shutil.copytree(SAMPLE, maildir)
    cfg = _config(tmp_path, db_url, maildir)
    assert "har aldrig kört mot den här databasen" in _cli(cfg, "status")
    db = Database(db_url)
    try:
        worker = _start(cfg, tmp_path, "worker")
        try:
            assert _wait(lambda: _beat(db) is not None, 60), (tmp_path / "worker.log").read_text()
            alive = " ".join(_cli(cfg, "status").split())
            assert "Arbetaren (busavvik run): kör – senast aktiv 20" in alive and f"(pid {worker.pid})" in alive
            full = json.loads(_cli(cfg, "status", "--json", "--full"))
            assert full["worker"]["state"] == "running" and full["mailboxes"][0]["mailbox"] == "storsthlm"
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(60) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)
        assert "Arbetaren (busavvik run): stoppad 20" in _cli(cfg, "status")
    finally:
        db.dispose()


def test_status_says_whether_the_worker_is_alive(db_url: str, tmp_path: Path) -> None:
    """The heartbeat rows a worker writes (store/heartbeat.py), read by status: never, running, stopped, stale.
    (The real worker process writing them: test_the_worker_process_beats_and_its_stop_is_shown.)"""
    from store import heartbeat
    from store.models import WorkerHeartbeat

    maildir = tmp_path / "maildir"
    shutil.copytree(SAMPLE, maildir)
    cfg = _config(tmp_path, db_url, maildir)
    assert "har aldrig kört mot den här databasen" in _cli(cfg, "status")
    db = Database(db_url)
    try:
        now = datetime.now(UTC)
        with db.session() as s:
            heartbeat.beat(s, now, now - timedelta(minutes=5), 60)
        alive = " ".join(_cli(cfg, "status").split())
        assert "Arbetaren (busavvik run): kör – senast aktiv 20" in alive and f"(pid {os.getpid()})" in alive
        full = json.loads(_cli(cfg, "status", "--json", "--full"))
        assert full["worker"]["state"] == "running" and full["mailboxes"][0]["mailbox"] == "storsthlm"
        with db.session() as s:
            heartbeat.beat(s, now, now - timedelta(minutes=5), 60, state="stopped")
        assert "Arbetaren (busavvik run): stoppad 20" in _cli(cfg, "status")
        with db.session() as s:                                   # a worker that died without a word
            row = s.get_one(WorkerHeartbeat, "leader")
            row.state, row.beat_at = "running", datetime.now(UTC) - timedelta(minutes=25)
        stale = " ".join(_cli(cfg, "status").split())
        assert "INAKTUELL, inget livstecken på 25 minuter" in stale
        assert json.loads(_cli(cfg, "status", "--json", "--full"))["worker"]["state"] == "stale"
    finally:
        db.dispose()


def _beat(db: Database) -> datetime | None:
    from store.models import WorkerHeartbeat
    with db.session() as s:
        row = s.get(WorkerHeartbeat, "leader")
        return row.beat_at if row else None


# ---- reminders in status --------------------------------------------------------------------------------

@pytest.mark.integration
def test_status_says_how_the_reminders_stand(db: Database, rules: Rules, sink: SmtpSink, tmp_path: Path) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    add_case(db, 2, date(2026, 1, 16), receivers=("annan.chef@vard.sll.se",))
    sink.refuse("annan.chef@vard.sll.se", "550 5.1.1 User unknown (test sink)")
    run(app, at(date(2026, 3, 16)))
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{db.url}"\n[smtp]\nhost = "127.0.0.1"\nport = {sink.port}\n'
                   'security = "none"\n[reminders]\nenabled = true\n')
    text = " ".join(_cli(cfg, "status").split())
    assert "Påminnelser: på; väntar 0, misslyckade 1, okänt utfall 0, stoppade (för många mottagare) 0, " \
           "skickade 1; senast skickad 2026-03-16 09:00:00 (BUS-2026-0001 first)" in text
    assert "att kontrollera: BUS-2026-0002 [first]: MISSLYCKADES" in text and "550 5.1.1 User unknown" in text
    full = json.loads(_cli(cfg, "status", "--json", "--full"))["reminders"]
    assert (full["enabled"], full["failed"], full["sent"], full["last_sent_case"]) == \
           (True, 1, 1, "BUS-2026-0001 first")
    cfg.write_text(f'[database]\nurl = "{db.url}"\n')
    assert "Påminnelser: AV (reminders.enabled = false)" in _cli(cfg, "status")
    assert RECEIVER not in text


# ---- the digest when a mailbox cannot be read ----------------------------------------------------------------

@pytest.mark.usefixtures("own_logging")
def test_the_digest_says_in_swedish_that_a_mailbox_could_not_be_read(db_url: str, tmp_path: Path) -> None:
    maildir = tmp_path / "maildir"
    cfg = _config(tmp_path, db_url, maildir)
    _cli(cfg, "poll", "--once")
    db = Database(db_url)
    try:
        with db.session() as s:
            d = dg.collect(s, local_day(datetime.now(UTC)) + timedelta(days=1))
    finally:
        db.dispose()
    html, text = dg.render_html(d, ""), dg.render_text(d)
    for page in (html, " ".join(text.split())):
        assert "Brevlådan storsthlm har inte kunnat läsas sedan 20" in page
        assert "(ett fel uppstod vid läsningen)" in page and "kan vara ofullständiga" in page
        assert "Gör så här: läs arbetarens logg (felet i detalj: `busavvik status`)" in page
        assert "Inga nya avvikelser denna vecka" not in page and "Inga svar denna vecka" not in page
        assert "Inga nya avvikelser har registrerats – men alla brevlådor har inte kunnat läsas" in page
        assert "MailboxError" not in page and "not a Maildir" not in page      # no raw English exception
    assert any("brevlådan storsthlm kunde inte läsas" in r.cells[0] for r in d.review)
    shutil.copytree(SAMPLE, maildir)
    _cli(cfg, "poll", "--once")
    db = Database(db_url)
    try:
        with db.session() as s:
            d = dg.collect(s, local_day(datetime.now(UTC)) + timedelta(days=1))
    finally:
        db.dispose()
    assert d.unread == [] and "har inte kunnat läsas" not in dg.render_text(d)


# ---- the worker logs the digest it sent -------------------------------------------------------------------

@pytest.mark.integration
def test_the_worker_logs_the_digest_it_sent(db: Database, rules: Rules, sink: SmtpSink,
                                            caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(db, rules, sink)
    with caplog.at_level(logging.INFO, logger="busavvik.jobs"):
        assert run_digest(app, at(MONDAY, 7, 0), _send) == "sent"
    assert len(sink.messages()) == 1
    assert "the weekly digest of 2026-11-23T07:00:00+01:00 (as of 2026-11-23) was sent to " \
           "BUS-avvikelser@storsthlm.se, BUS-avvikelser.hsf@sll.se" in caplog.text
