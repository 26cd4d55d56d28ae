"""A weekly digest missed at its hour is sent later that week, and none twice (busavvik/jobs.py).

Before, the digest ran only at its minute (Monday 07:00): a worker restarted at that minute (a Monday
morning reboot for patches), or an SMTP server or database down then, lost that week's digest without a
word. Real SMTP sink; SQLite and PostgreSQL.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from busavvik.cli import app as cli
from busavvik.context import AppContext
from busavvik.jobs import digest_trigger, last_fire, notify_jobs, run_digest
from config.rules import Rules
from config.settings import DigestSettings, Settings
from store.db import Database
from store.digestruns import runs
from tests.support.digests import MONDAY
from tests.support.digests import send as _send
from tests.support.reminders import at, make_app, sink  # noqa: F401 - fixture
from tests.support.servers.smtpsink import SmtpSink

pytestmark = pytest.mark.integration

def _smtp_down(db: Database, rules: Rules, sink: SmtpSink) -> AppContext:
    """The same app with its SMTP server gone (nothing listens on port 9)."""
    app = make_app(db, rules, sink)
    smtp = dataclasses.replace(app.settings.smtp, port=9, retries=1)
    app.__dict__["settings"] = dataclasses.replace(app.settings, smtp=smtp)
    return app


def test_the_schedule_s_last_time_is_found_whatever_the_day() -> None:
    app = AppContext()
    app.__dict__["settings"] = Settings()
    trigger = digest_trigger(app)
    assert last_fire(trigger, at(MONDAY, 6, 59)) == at(MONDAY - timedelta(days=7), 7, 0)
    assert last_fire(trigger, at(MONDAY, 7, 0)) == at(MONDAY, 7, 0)
    assert last_fire(trigger, at(MONDAY + timedelta(days=4), 18, 0)) == at(MONDAY, 7, 0)


def test_a_digest_missed_at_its_hour_is_sent_once_later_that_week(db: Database, rules: Rules,
                                                                  sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    assert run_digest(app, at(MONDAY, 9, 40), _send) == "sent"        # the worker came up at 09:40
    assert run_digest(app, at(MONDAY, 10, 40), _send) == "sent"       # the hourly try: already sent
    assert run_digest(app, at(MONDAY + timedelta(days=2), 8, 0), _send) == "sent"
    [got] = sink.messages()
    assert "v. 47" in got.message()["Subject"]
    with db.session() as s:
        assert [(r.scheduled_for, r.status, r.attempts) for r in runs(s)] == [(at(MONDAY, 7, 0), "sent", 1)]
    assert run_digest(app, at(MONDAY + timedelta(days=7), 7, 0), _send) == "sent"   # next week's: its own
    assert len(sink.messages()) == 2


def test_a_digest_the_smtp_server_refused_is_sent_by_the_next_try(db: Database, rules: Rules, sink: SmtpSink,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(db, rules, sink)
    down = _smtp_down(db, rules, sink)
    with caplog.at_level(logging.ERROR, logger="busavvik.jobs"):
        assert run_digest(down, at(MONDAY, 7, 0), _send) == "failed"
    assert "was not sent" in caplog.text and "tried again within the hour" in caplog.text
    assert run_digest(app, at(MONDAY, 8, 0), _send) == "sent"
    assert len(sink.messages()) == 1
    with db.session() as s:
        assert [(r.status, r.attempts, r.last_error) for r in runs(s)] == [("sent", 2, None)]


def test_a_send_cut_short_is_never_repeated_and_is_said_once(db: Database, rules: Rules, sink: SmtpSink,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(db, rules, sink)

    def dies(_app: AppContext, _day: date) -> object:
        raise SystemExit("the worker was killed while sending")
    with pytest.raises(SystemExit):
        run_digest(app, at(MONDAY, 7, 0), dies)
    assert run_digest(app, at(MONDAY, 7, 10), _send) == "sending"             # maybe still in progress
    with caplog.at_level(logging.WARNING, logger="busavvik.jobs"):
        assert run_digest(app, at(MONDAY, 8, 0), _send) == "stuck"
        assert run_digest(app, at(MONDAY, 9, 0), _send) == "unknown"
    assert caplog.text.count("may or may not have gone out") == 1
    assert "busavvik digest --as-of 2026-11-23 --send" in caplog.text
    assert sink.messages() == []


def test_the_worker_tries_the_digest_when_it_starts_and_hourly_once_enabled(db: Database, rules: Rules,
                                                                           sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    assert set(notify_jobs(app)) == {"reminders"}              # digest.enabled = false: safe by default
    app.__dict__["settings"] = dataclasses.replace(app.settings, digest=DigestSettings(enabled=True))
    jobs = notify_jobs(app)
    assert jobs["digest"][1] == {"trigger": "cron", "day_of_week": "mon", "hour": 7, "minute": 0}
    assert jobs["digest-catch-up"][1] == {"trigger": "interval", "minutes": 60, "run_at_start": True}
    assert jobs["digest-catch-up"][0] is jobs["digest"][0]


def test_a_job_marked_run_at_start_runs_when_the_worker_becomes_leader(tmp_path: Path) -> None:
    from busavvik.worker import Worker
    ran = threading.Event()
    app = AppContext()
    app.__dict__["settings"] = Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}")
    worker = Worker(app, {"catch-up": (lambda _app, _now: ran.set(),
                                       {"trigger": "interval", "minutes": 60, "run_at_start": True})})
    assert worker.lock.try_acquire()
    worker._start_scheduler()
    try:
        assert ran.wait(10), "the job did not run at start"
    finally:
        worker._shutdown()
        worker.lock.release()
        app.db.dispose()


def test_without_an_smtp_server_the_worker_schedules_no_mail(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = AppContext()
    app.__dict__["settings"] = Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}")
    with caplog.at_level(logging.WARNING, logger="busavvik.jobs"):
        assert notify_jobs(app) == {}
    assert "no smtp.host" in caplog.text


def test_status_shows_the_last_digest_and_those_not_sent(db: Database, rules: Rules, sink: SmtpSink,
                                                         tmp_path: Path) -> None:
    down = _smtp_down(db, rules, sink)
    assert run_digest(down, at(MONDAY - timedelta(days=7), 9, 0), _send) == "failed"   # never caught up
    assert run_digest(down, at(MONDAY, 7, 0), _send) == "failed"
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "{db.url}"\n')
    off = CliRunner().invoke(cli, ["--config", str(config), "status"])
    assert "Weekly digest: not mailed by the worker (needs digest.enabled = true and smtp.host)" in off.output
    config.write_text(f'[database]\nurl = "{db.url}"\n[smtp]\nhost = "127.0.0.1"\nport = {sink.port}\n'
                      'security = "none"\nauth = "none"\nfrom_address = "x@storsthlm.se"\n[digest]\nenabled = true\n')
    shown = CliRunner().invoke(cli, ["--config", str(config), "status"])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "Weekly digest of 2026-11-23 07:00:00: failed (1 attempt(s))" in text
    assert "not sent: 2026-11-16 07:00:00 (failed)" in text


def test_next_week_s_digest_says_that_last_week_s_did_not_go_out(db: Database, rules: Rules,
                                                                  sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    down = _smtp_down(db, rules, sink)
    assert run_digest(down, at(MONDAY, 7, 0), _send) == "failed"              # the SMTP server down all week
    assert run_digest(app, at(MONDAY + timedelta(days=7), 7, 0), _send) == "sent"
    [got] = sink.messages()
    text = got.message().get_body(("plain",)).get_content()                    # type: ignore[union-attr]
    assert "veckosammanfattningen skickades inte" in text and "2026-11-23" in text


@pytest.mark.usefixtures("own_logging")
def test_sending_a_digest_by_hand_closes_its_scheduled_run(db: Database, rules: Rules, sink: SmtpSink,
                                                           tmp_path: Path) -> None:
    app = make_app(db, rules, sink)

    def dies(_app: AppContext, _day: date) -> object:
        raise SystemExit("killed while sending")
    with pytest.raises(SystemExit):
        run_digest(app, at(MONDAY, 7, 0), dies)
    assert run_digest(app, at(MONDAY, 8, 0), _send) == "stuck"
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "{db.url}"\n[smtp]\nhost = "127.0.0.1"\nport = {sink.port}\n'
                      'security = "none"\nauth = "none"\nfrom_address = "BUS-avvikelser@storsthlm.se"\n')
    sent = CliRunner().invoke(cli, ["--config", str(config), "digest", "--as-of", "2026-11-23", "--send"])
    assert sent.exit_code == 0, sent.output
    assert "nu markerad som skickad" in sent.output and len(sink.messages()) == 1
    with db.session() as s:
        assert [(r.status, r.last_error) for r in runs(s)] == [("sent", "sent by hand")]
    assert run_digest(app, at(MONDAY, 9, 0), _send) == "sent"
    assert len(sink.messages()) == 1
