"""Reminders that cannot be delivered, or must not be: a non-ASCII address the server will not take, an
address it refuses, a deviation addressed to more receivers than `reminders.max_recipients`. Through a real
SMTP server on loopback (aiosmtpd), on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from busavvik.commands import data as cli_data
from busavvik.context import AppContext
from config.errors import ConfigError
from config.load import parse_settings
from config.rules import Rules
from notify import digest as dg
from notify import outbox
from store.db import Database
from store.models import Reminder
from tests.support.reminders import RECEIVER, add_case, at, cli, make_app, rows, run
from tests.support.servers.smtpsink import SmtpSink

pytestmark = pytest.mark.integration   # real SMTP sinks

UTF8_RECEIVER = "jöns.ärlig@socialtjanst.stockholm.se"     # a raw UTF-8 local part (RFC 6532)
DUE = date(2026, 3, 16)                                     # a Monday: the due date of a case of 2026-01-16


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[SmtpSink]:
    """A server without SMTPUTF8: it cannot take a non-ASCII address."""
    with SmtpSink(tmp_path / "sink", smtputf8=False) as server:
        yield server


@pytest.fixture
def utf8_sink(tmp_path: Path) -> Iterator[SmtpSink]:
    with SmtpSink(tmp_path / "utf8sink", smtputf8=True) as server:
        yield server


def hourly_runs(n: int) -> list:
    """`n` scheduled runs an hour apart inside the sending window, over as many working days as it takes."""
    out, day = [], DUE
    while len(out) < n:
        if day.weekday() < 5 and day != date(2026, 4, 3) and day != date(2026, 4, 6):   # Easter
            out += [at(day, hh, 5) for hh in range(8, 16)]
        day += timedelta(days=1)
    return out[:n]


# ---- a non-ASCII address ---------------------------------------------------------------------------------

def test_non_ascii_receiver_without_smtputf8_fails_and_nothing_goes_to_the_secretariat_alone(
        db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16), receivers=(UTF8_RECEIVER,))
    summary = run(app, at(DUE))
    assert [d.status for d in summary.deliveries] == ["failed"]
    [row] = rows(db)
    assert row.status == "failed" and row.attempts == 1 and "SMTPUTF8" in (row.last_error or "")
    assert sink.messages() == []                       # not a copy to the secretariat that reached nobody else
    assert UTF8_RECEIVER not in sink.handler.rcpt_seen  # the server never saw an address it cannot take
    for when in hourly_runs(10)[1:]:
        run(app, when)
    assert rows(db)[0].status == "failed" and rows(db)[0].attempts == 1


def test_non_ascii_receiver_the_server_defers_fails_after_the_attempt_limit(
        db: Database, rules: Rules, utf8_sink: SmtpSink) -> None:
    app = make_app(db, rules, utf8_sink)
    add_case(db, 1, date(2026, 1, 16), receivers=(UTF8_RECEIVER,))
    utf8_sink.refuse(UTF8_RECEIVER, "450 4.2.0 Mailbox busy (test sink)")
    statuses = []
    for when in hourly_runs(outbox.MAX_ATTEMPTS + 4):    # the issue saw 11 attempts and a row left "sending"
        statuses += [d.status for d in run(app, when).deliveries]
        assert rows(db)[0].status in ("pending", "failed")
    assert statuses == ["pending"] * (outbox.MAX_ATTEMPTS - 1) + ["failed"]
    [row] = rows(db)
    assert row.status == "failed" and row.attempts == outbox.MAX_ATTEMPTS
    assert "450" in (row.last_error or "") and "gave up after 8 attempts" in (row.last_error or "")
    retries = app.settings.smtp.retries + 1
    assert utf8_sink.handler.rcpt_seen.count(UTF8_RECEIVER) == outbox.MAX_ATTEMPTS * retries
    assert utf8_sink.messages() == []


def test_non_ascii_receiver_goes_out_through_a_server_with_smtputf8(
        db: Database, rules: Rules, utf8_sink: SmtpSink) -> None:
    app = make_app(db, rules, utf8_sink)
    add_case(db, 1, date(2026, 1, 16), receivers=(UTF8_RECEIVER,))
    assert [d.status for d in run(app, at(DUE)).deliveries] == ["sent"]
    [got] = utf8_sink.messages()
    assert UTF8_RECEIVER in got.recipients


def test_a_row_left_over_the_attempt_limit_is_failed_not_sent(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    outbox.plan(db, DUE, at(DUE), app.settings, rules)
    with db.session() as s:                            # as an older version left it
        s.get_one(Reminder, rows(db)[0].id).attempts = 11
    assert run(app, at(DUE)).deliveries == []
    assert rows(db)[0].status == "failed" and sink.messages() == []


# ---- remind says what failed, and exits non-zero -----------------------------------------------------------

def test_remind_exits_non_zero_and_says_what_failed_when_the_server_refuses(
        db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    sink.refuse(RECEIVER, "550 5.1.1 User unknown (test sink)")
    runner = CliRunner()
    res = runner.invoke(cli(app), ["remind", "--as-of", DUE.isoformat()])
    assert res.exit_code == 1, res.output
    assert "2026-03-16: 0 påminnelser skickade, 1 kom inte fram." in res.output
    assert "BUS-2026-0001 [first]: MISSLYCKADES" in res.output and "550 5.1.1 User unknown" in res.output
    assert "remind-resolve BUS-2026-0001 first --resend" in res.output
    assert sink.messages() == [] and rows(db)[0].status == "failed"
    dry = runner.invoke(cli(app), ["remind", "--as-of", "2026-03-17", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "redan skapad" not in dry.output
    assert "ingen påminnelse BUS-2026-0001: påminnelse 'first' kunde inte skickas" in dry.output
    sink.handler.refused.clear()
    assert outbox.resolve(db, "BUS-2026-0001", "first", False, at(DUE)) == "pending"
    res = runner.invoke(cli(app), ["remind", "--as-of", "2026-03-17"])
    assert res.exit_code == 0 and "1 påminnelse skickad." in res.output


def test_dry_run_says_a_pending_reminder_is_not_sent_yet(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    sink.fail_next(3, 451)                              # retries = 2: the run ends with the row pending
    res = CliRunner().invoke(cli(app), ["remind", "--as-of", DUE.isoformat()])
    assert res.exit_code == 1 and "nytt försök vid nästa körning (försök 1 av 8)" in res.output
    dry = CliRunner().invoke(cli(app), ["remind", "--as-of", DUE.isoformat(), "--dry-run"])
    assert "påminnelse 'first' är skapad men inte skickad än: nytt försök vid nästa körning" in dry.output


# ---- the recipient cap ------------------------------------------------------------------------------------

def receivers(n: int) -> tuple[str, ...]:
    return tuple(f"mottagare{i}@socialtjanst.stockholm.se" for i in range(n))


def test_a_reminder_beyond_max_recipients_is_held_for_review(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    sec = len(rules.secretariat_addresses)
    add_case(db, 1, date(2026, 1, 16), receivers=receivers(20 - sec))          # 20 in all: goes out
    add_case(db, 2, date(2026, 1, 16), receivers=receivers(5_000))             # the To: bomb, smaller
    runner = CliRunner()
    dry = runner.invoke(cli(app), ["remind", "--as-of", DUE.isoformat(), "--dry-run"])
    assert "ingen påminnelse BUS-2026-0002 (påminnelse 1): för många mottagare: 5002 adresser" in dry.output
    assert "högst 20 (reminders.max_recipients)" in dry.output and "mottagare4999@" not in dry.output
    res = runner.invoke(cli(app), ["remind", "--as-of", DUE.isoformat()])
    assert res.exit_code == 1, res.output
    assert "1 påminnelse skickad" in res.output and "BUS-2026-0002 [first]: STOPPAD" in res.output
    [got] = sink.messages()
    assert len(got.recipients) == 20
    held = [r for r in rows(db) if r.status == "held"]
    assert len(held) == 1 and held[0].recipients.addresses == ()
    with db.session() as s:
        review = dg.collect(s, DUE + timedelta(days=1)).review
    [line] = [r for r in review if r.case_id == "BUS-2026-0002"]
    assert "påminnelse stoppad" in line.cells[0] and "för många mottagare" in line.cells[2]
    with pytest.raises(LookupError, match="för många mottagare"):
        outbox.resolve(db, "BUS-2026-0002", "first", False, at(DUE), app.settings, rules)
    runner.invoke(cli(app), ["remind", "--as-of", "2026-03-17"])
    assert len(sink.messages()) == 1                    # never sent later either
    problems = runner.invoke(with_problems(app), ["problems", "--format", "json"])
    [held_row] = [p for p in json.loads(problems.output) if p.get("kind") == "reminder"]
    assert held_row["case_id"] == "BUS-2026-0002" and held_row["status"] == "held"
    assert "för många mottagare: 5002" in held_row["reason"]
    table = runner.invoke(with_problems(app), ["problems"])
    assert "Påminnelse BUS-2026-0002 [first]: STOPPAD" in table.output


def with_problems(app: AppContext) -> typer.Typer:
    typer_app = cli(app)
    cli_data.register(typer_app)
    return typer_app


def test_max_recipients_is_validated() -> None:
    assert parse_settings({}).reminders.max_recipients == 20
    assert parse_settings({"reminders": {"max_recipients": 5}}).reminders.max_recipients == 5
    for bad in (0, -1, 100_000, "20"):
        with pytest.raises(ConfigError, match="reminders.max_recipients"):
            parse_settings({"reminders": {"max_recipients": bad}})
