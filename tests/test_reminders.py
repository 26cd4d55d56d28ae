"""Reminders end to end against a test SMTP server: the message, when nothing goes out, the CLI, the policy, TLS."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from config.rules import Rules
from config.settings import ReminderSettings
from notify.policy import CaseFacts, day_off_reason, decide
from store.db import Database
from tests.support.reminders import (
    PNR,
    RECEIVER,
    SOURCE_ID,
    add_case,
    at,
    cli,
    make_app,
    rows,
    run,
    sink,  # noqa: F401 - fixture
)
from tests.support.servers.smtpsink import SmtpSink, self_signed, server_tls

pytestmark = pytest.mark.integration


# ---- the message -------------------------------------------------------------------------------------

def test_first_reminder_recipients_headers_and_swedish_text(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16), subject=f"Avvikelse BUS gällande {PNR}",
             form={"event_type": f"Barn {PNR} fick ingen plats", "units_involved": ["BUP Söder"]})
    summary = run(app, at(date(2026, 3, 16), 8, 30))          # Monday, the due date
    assert [(d.status, d.detail) for d in summary.deliveries] == [("sent", "")]
    [got] = sink.messages()
    sec = list(rules.secretariat_addresses)
    assert got.sender == "BUS-avvikelser@storsthlm.se"
    assert sorted(got.recipients) == sorted([RECEIVER, *(a.lower() for a in sec)])
    msg = got.message()
    assert msg["From"] == "BUS-avvikelser@storsthlm.se"
    assert msg["To"] == RECEIVER
    assert [a.strip() for a in msg["Cc"].split(",")] == sec
    assert msg["Subject"] == "Påminnelse: BUS-avvikelse BUS-2026-0001 – Barn [personnummer] fick ingen plats"
    assert msg["In-Reply-To"] == SOURCE_ID.replace("ABCD", "0001")
    assert msg["References"] == SOURCE_ID.replace("ABCD", "0001")
    assert f"\r\nIn-Reply-To: {SOURCE_ID.replace('ABCD', '0001')}\r\n".encode() in got.data  # not encoded
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert re.fullmatch(rf"<reminder\.BUS-2026-0001\.first\.[0-9a-f]+@{re.escape(rules.message_id_domain)}>",
                        msg["Message-ID"])
    body = msg.get_content()
    assert "påminnelse" in body and "Sista svarsdag:   2026-03-16" in body and "avsnitt 4" in body
    assert "1212" not in got.data.decode("utf-8", "replace")
    [row] = rows(db)
    assert (row.status, row.step, row.message_id) == ("sent", "first", msg["Message-ID"])


def test_second_reminder_after_14_days_then_nothing(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    for day in (date(2026, 3, 16), date(2026, 3, 17), date(2026, 3, 30), date(2026, 3, 31), date(2026, 4, 20)):
        run(app, at(day))
    assert [r.step for r in rows(db)] == ["first", "second"]
    assert [m.message()["Subject"].startswith("Påminnelse:") for m in sink.messages()] == [True, True]
    assert "andra påminnelse" in sink.messages()[1].message().get_content()


def test_weeks_late_case_gets_one_reminder_not_a_burst(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink, escalation_address="styrgrupp@storsthlm.se")
    add_case(db, 1, date(2026, 1, 2))                           # due 2026-03-02; first seen run 2026-04-15
    for day in (date(2026, 4, 15), date(2026, 4, 16), date(2026, 4, 27)):
        run(app, at(day))
    [got] = sink.messages()
    assert [r.step for r in rows(db)] == ["escalation"]
    assert got.message()["To"] == "styrgrupp@storsthlm.se"
    assert RECEIVER in got.message()["Cc"]


@pytest.mark.parametrize("status,responded,received", [("closed", False, date(2026, 1, 16)),
                                                       ("paused", False, date(2026, 1, 16)),
                                                       ("open", True, date(2026, 1, 16)),
                                                       ("open", False, date(2025, 12, 15))])
def test_no_reminder_for_closed_paused_answered_or_backfilled(db: Database, rules: Rules, sink: SmtpSink,
                                                              status: str, responded: bool, received: date) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, received, status=status, responded=responded)
    run(app, at(date(2026, 3, 16)))
    assert sink.messages() == [] and rows(db) == []


# ---- when nothing goes out ---------------------------------------------------------------------------

@pytest.mark.parametrize("day,why", [(date(2026, 12, 25), "Juldagen"), (date(2026, 6, 19), "Midsommarafton"),
                                     (date(2026, 12, 24), "Julafton"), (date(2026, 3, 21), "helg")])
def test_nothing_sent_on_holidays_and_weekends(db: Database, rules: Rules, sink: SmtpSink, day: date,
                                               why: str) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    summary = run(app, at(day), respect_window=False)
    assert why in (summary.skipped_reason or "")
    assert sink.messages() == [] and rows(db) == []


def test_midsummer_case_goes_out_on_the_next_working_day(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 4, 19))                          # due Friday 2026-06-19, Midsommarafton
    run(app, at(date(2026, 6, 19)))
    assert sink.messages() == []
    run(app, at(date(2026, 6, 22)))                             # Monday
    assert len(sink.messages()) == 1


def test_window_binds_the_scheduled_job_only(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    late = at(date(2026, 3, 16), 17, 30)
    assert "sändningsfönstret" in (run(app, late).skipped_reason or "")
    assert sink.messages() == []
    assert [d.status for d in run(app, late, respect_window=False).deliveries] == ["sent"]


def test_nothing_sent_while_disabled(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink, enabled=False)
    add_case(db, 1, date(2026, 1, 16))
    assert "avstängda" in (run(app, at(date(2026, 3, 16))).skipped_reason or "")
    assert sink.messages() == [] and rows(db) == []


# ---- CLI -------------------------------------------------------------------------------------------------


def test_cli_dry_run_disabled_and_case_commands(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app_ctx = make_app(db, rules, sink, enabled=False)
    add_case(db, 1, date(2026, 1, 16))
    add_case(db, 2, date(2026, 1, 16), receivers=("annan.chef@vard.sll.se",))
    runner = CliRunner()
    res = runner.invoke(cli(app_ctx), ["remind", "--as-of", "2026-03-16", "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "BUS-2026-0001 (påminnelse 1) till: " + RECEIVER in res.output and "[first]" not in res.output
    assert "annan.chef@vard.sll.se" in res.output
    res = runner.invoke(cli(app_ctx), ["remind", "--as-of", "2026-03-16"])
    assert res.exit_code == 1 and "avstängda" in res.output
    res = runner.invoke(cli(app_ctx), ["case", "close", "bus-2026-0002"])
    assert res.exit_code == 0 and "stängt" in res.output
    app_ctx.__dict__["settings"] = replace(app_ctx.settings, reminders=replace(app_ctx.settings.reminders,
                                                                               enabled=True))
    res = runner.invoke(cli(app_ctx), ["remind", "--as-of", "2026-12-25"])
    assert res.exit_code == 0 and "Juldagen" in res.output
    assert sink.messages() == []


# ---- pure policy ---------------------------------------------------------------------------------------

def test_policy_days_and_steps() -> None:
    s = ReminderSettings(enabled=True, start_date=date(2026, 1, 1))
    assert day_off_reason(date(2026, 12, 31)) and day_off_reason(date(2027, 1, 1))
    assert day_off_reason(date(2026, 3, 16)) is None
    facts = CaseFacts("BUS-2026-0001", datetime(2026, 1, 16, 9, tzinfo=UTC), date(2026, 3, 16), False, "open")
    assert decide(facts, date(2026, 3, 13), s).step is None
    assert decide(facts, date(2026, 3, 16), s).step == "first"
    assert decide(facts, date(2026, 5, 1), s).step == "second"      # no escalation configured
    done = replace(facts, existing_steps=(("first", date(2026, 3, 27)),))
    assert decide(done, date(2026, 3, 30), s).step is None           # less than 7 days since the first
    assert decide(done, date(2026, 4, 3), s).step == "second"


# ---- TLS -----------------------------------------------------------------------------------------------

def test_starttls_verifies_the_certificate(db: Database, rules: Rules, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    with SmtpSink(tmp_path / "tls", tls=server_tls(cert, key)) as tls_sink:
        app = make_app(db, rules, tls_sink)
        add_case(db, 1, date(2026, 1, 16))
        smtp = replace(app.settings.smtp, security="starttls", retries=0)
        app.__dict__["settings"] = replace(app.settings, smtp=smtp)
        summary = run(app, at(date(2026, 3, 16)))               # no ca_file: the self-signed cert is refused
        assert [d.status for d in summary.deliveries] == ["pending"]
        assert "CERTIFICATE_VERIFY_FAILED" in (rows(db)[0].last_error or "")
        app.__dict__["settings"] = replace(app.settings, smtp=replace(smtp, ca_file=str(cert)))
        assert [d.status for d in run(app, at(date(2026, 3, 16), 9, 5)).deliveries] == ["sent"]
        assert len(tls_sink.messages()) == 1


def test_a_backlog_beyond_one_claim_goes_out_in_one_run(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    for seq in range(1, 131):
        add_case(db, seq, date(2026, 1, 16))
    run(app, at(date(2026, 3, 16)))
    assert len(sink.messages()) == 130 and {r.status for r in rows(db)} == {"sent"}
