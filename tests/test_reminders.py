"""Reminders end to end through a real SMTP server on loopback (aiosmtpd), on SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from busavvik.commands import case as cli_case
from busavvik.commands import notify as cli_notify
from busavvik.context import AppContext
from config.localzone import local_zone
from config.rules import Rules
from config.settings import ReminderSettings, Settings, SmtpSettings
from notify import outbox, service
from notify.policy import CaseFacts, day_off_reason, decide
from notify.smtp import SmtpSender
from store.cases import add_months
from store.db import Database
from store.models import Case, Message, RawBlob, Reminder
from tests.servers.smtpsink import SmtpSink, self_signed, server_tls

pytestmark = pytest.mark.integration

PNR = "19121212-1212"                    # a valid (Luhn) test personnummer
RECEIVER = "chef.mottagare@socialtjanst.stockholm.se"
SOURCE_ID = "<AM0PR19MB5E0030FF820D35DE5BA8D2D76DC0ABCD@AM0PR7AMB1234.eurprd04.prod.outlook.com>"


def at(day: date, hh: int = 9, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), local_zone())


def add_case(db: Database, seq: int, received: date, *, subject: str = "Avvikelse BUS – uteblivet SIP-möte",
             receivers: tuple[str, ...] = (RECEIVER,), status: str = "open", responded: bool = False,
             form: dict[str, Any] | None = None, flags: tuple[str, ...] = ()) -> str:
    """A case with its deviation message, as the pipeline would have stored them."""
    case_id = f"BUS-{received.year}-{seq:04d}"
    due = add_months(received, 2)
    data = f"raw {case_id}".encode()
    sha = hashlib.sha256(data).hexdigest()
    with db.session() as s:
        s.add(RawBlob(sha256=sha, size=len(data), data=data, stored_at=at(received)))
        s.flush()
        msg = Message(message_id=SOURCE_ID.strip("<>").lower().replace("abcd", f"{seq:04d}"),
                      message_id_header=SOURCE_ID.replace("ABCD", f"{seq:04d}"), raw_sha256=sha,
                      subject=subject, sender="rapportor@bup.sll.se", date=at(received), first_seen=at(received),
                      kind="deviation", flags=list(flags))
        s.add(msg)
        s.flush()
        case = Case(case_id=case_id, year=received.year, seq=seq, source_message_id=msg.id,
                    first_received=at(received), response_due=due, fingerprint="f", text_fingerprint="t",
                    normalised_subject=subject.lower(), receivers=list(receivers),
                    reporters=["rapportor@bup.sll.se"], status=status, responded=responded, flags=list(flags),
                    form=form or {"event_type": "SIP-möte uteblev", "units_involved": ["BUP Söder"],
                                  "reporter_unit": "BUP Söder"},
                    classification={"principal_relation": "between", "reporter_org_type": "BUP",
                                    "receiver_org_types": ["Socialtjänst"]})
        s.add(case)
        s.flush()
        msg.case_pk = case.id
    return case_id


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[SmtpSink]:
    with SmtpSink(tmp_path / "sink") as server:
        yield server


def make_app(db: Database, rules: Rules, sink: SmtpSink, **reminders: Any) -> AppContext:
    rem = {"enabled": True, "start_date": date(2026, 1, 1), **reminders}
    settings = Settings(database_url=db.url, smtp=SmtpSettings(host="127.0.0.1", port=sink.port, security="none",
                                                               retries=2, timeout=5),
                        reminders=ReminderSettings(**rem))
    app = AppContext(None)
    app.__dict__.update(settings=settings, db=db, rules=rules)
    return app


def run(app: AppContext, when: datetime, respect_window: bool = True) -> service.RemindSummary:
    transport = SmtpSender(app.settings.smtp, backoff=0.01)
    return service.run_reminders(app, when, respect_window, transport=transport)


def rows(db: Database) -> list[Reminder]:
    with db.session() as s:
        return list(s.scalars(select(Reminder).order_by(Reminder.id)))


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


# ---- never twice ---------------------------------------------------------------------------------------

def test_crash_between_send_and_commit_sends_nothing_twice(db: Database, rules: Rules, sink: SmtpSink,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    when = at(date(2026, 3, 16))

    def crash(*_a: object, **_k: object) -> bool:
        raise RuntimeError("simulated crash before the mark-sent commit")

    monkeypatch.setattr(outbox, "mark_sent", crash)
    run(app, when)            # the error is caught: after the body was handed over, the row is unknown at once
    assert len(sink.messages()) == 1 and rows(db)[0].status == "unknown"
    monkeypatch.undo()
    run(app, when + timedelta(minutes=1))                       # rerun at once: the row is not pending
    run(app, when + timedelta(minutes=30))                      # after STALE_AFTER: unknown, not resent
    assert len(sink.messages()) == 1
    assert rows(db)[0].status == "unknown"
    assert any("OKÄNT om den kom fram" in line for line in run(app, when + timedelta(hours=1)).attention)
    assert len(sink.messages()) == 1


def test_stale_delivering_row_confirmed_by_the_secretariat_copy(db: Database, rules: Rules,
                                                                sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    when = at(date(2026, 3, 16))
    outbox.plan(db, date(2026, 3, 16), when, app.settings, rules)
    [(rid, claimed)] = outbox.claim(db, when)
    with db.session() as s:
        row = s.get_one(Reminder, rid)
        row.status = "delivering"
        mid = row.message_id
        s.add(Message(message_id=mid.strip("<>").lower(), message_id_header=mid, raw_sha256=s.scalars(
            select(RawBlob.sha256)).first(), subject="Påminnelse", first_seen=when, kind="other"))
    assert outbox.recover(db, when + timedelta(hours=1))["sent"] == 1
    assert rows(db)[0].status == "sent" and sink.messages() == []


def test_crash_before_the_body_was_sent_is_retried_once(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    when = at(date(2026, 3, 16))
    outbox.plan(db, date(2026, 3, 16), when, app.settings, rules)
    outbox.claim(db, when)                                      # claimed, then the process died
    run(app, when + timedelta(minutes=1))
    assert sink.messages() == []
    summary = run(app, when + timedelta(minutes=30))
    assert summary.recovered["requeued"] == 1
    assert len(sink.messages()) == 1 and rows(db)[0].status == "sent"


def test_retry_after_451(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    sink.fail_next(1, 451)
    assert [d.status for d in run(app, at(date(2026, 3, 16))).deliveries] == ["sent"]
    assert len(sink.messages()) == 1


def test_451_beyond_the_retries_stays_pending_for_the_next_run(db: Database, rules: Rules,
                                                               sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    sink.fail_next(3, 451)                                      # retries = 2: three attempts fail
    run(app, at(date(2026, 3, 16)))
    [row] = rows(db)
    assert row.status == "pending" and "451" in (row.last_error or "")
    run(app, at(date(2026, 3, 16), 9, 10))
    assert len(sink.messages()) == 1 and rows(db)[0].status == "sent"


def test_connection_dropped_after_the_body_is_unknown_not_resent(db: Database, rules: Rules,
                                                                 sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    sink.drop_next(1)
    assert [d.status for d in run(app, at(date(2026, 3, 16))).deliveries] == ["unknown"]
    run(app, at(date(2026, 3, 17)))
    assert sink.messages() == [] and rows(db)[0].status == "unknown"
    assert outbox.resolve(db, "BUS-2026-0001", "first", False, at(date(2026, 3, 17))) == "pending"
    run(app, at(date(2026, 3, 17), 10))
    assert len(sink.messages()) == 1


# ---- CLI -------------------------------------------------------------------------------------------------

def cli(app_ctx: AppContext) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root(ctx: typer.Context) -> None:
        ctx.obj = app_ctx

    cli_notify.register(app)
    cli_case.register(app)
    return app


def test_cli_dry_run_disabled_and_case_commands(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app_ctx = make_app(db, rules, sink, enabled=False)
    add_case(db, 1, date(2026, 1, 16))
    add_case(db, 2, date(2026, 1, 16), receivers=("annan.chef@vard.sll.se",))
    runner = CliRunner()
    res = runner.invoke(cli(app_ctx), ["remind", "--as-of", "2026-03-16", "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "BUS-2026-0001 [first] till: " + RECEIVER in res.output and "annan.chef@vard.sll.se" in res.output
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
