"""A deviation sent to several receivers: each receiver awaited until its own answer, answers attributed,
outcomes suggested and set, overdue and reminders per receiver; through the real import path."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

import busavvik.commands.receivers  # noqa: F401  (adds `case receiver` and `case outcome`)
from busavvik.commands import data as cli_data
from busavvik.context import AppContext
from config.rules import Rules
from notify.digest import collect, render_text
from store import export
from store.db import Database
from store.models import Case, Correction
from tests.support.mailbuilder import exchange_id
from tests.support.receivers_corpus import BUP, BUP_ANSWER, HAB, HAB_ANSWER, SKOLA, answer, deviation
from tests.support.receivers_corpus import ingest as _ingest
from tests.support.reminders import at, make_app, run
from tests.support.reminders import cli as support_cli
from tests.support.servers.smtpsink import SmtpSink

pytestmark = pytest.mark.integration   # an SMTP sink for the reminders and the CLI's app

@pytest.fixture
def sink(tmp_path: Path) -> Iterator[SmtpSink]:
    with SmtpSink(tmp_path / "sink") as server:
        yield server


def case_json(db: Database) -> dict[str, Any]:
    with db.session() as s:
        (row,) = export.deviations(s)
    return row


def cli(db: Database, rules: Rules, sink: SmtpSink) -> tuple[typer.Typer, AppContext]:
    app_ctx = make_app(db, rules, sink)
    return support_cli(app_ctx, cli_data), app_ctx


def _none_answered_yet(db: Database, rules: Rules) -> None:
    _ingest(db, rules, deviation())
    row = case_json(db)
    assert row["receivers"] == [
        {"email": BUP, "unit": "BUP Globen", "answered": False, "answer_message_id": None},
        {"email": SKOLA, "unit": "Exempelskolan", "answered": False, "answer_message_id": None},
        {"email": HAB, "unit": "Habilitering Söder", "answered": False, "answer_message_id": None}]
    assert row["awaiting"] == [BUP, SKOLA, HAB] and row["answers"] == [] and not row["responded"]


def _bup_answers_first(db: Database, rules: Rules) -> str:
    bup_id = exchange_id("bup-answers")
    _ingest(db, rules, answer(BUP, "bup-answers", 8, section4=BUP_ANSWER))
    row = case_json(db)
    assert row["responded"] and row["response"]["message_id"] == bup_id
    assert row["awaiting"] == [SKOLA, HAB]
    assert row["receivers"][0] == {"email": BUP, "unit": "BUP Globen", "answered": True,
                                   "answer_message_id": bup_id}
    assert row["answers"] == [{
        "message_id": bup_id, "receiver_email": BUP, "description": BUP_ANSWER["response_description"],
        "improvements": None, "received_date": "2026-01-20",
        "manager": {"name": "Anna Bup", "unit": "BUP Globen", "email": BUP, "phone": "08-123 45 67"},
        "outcome": "Löst genom kommunikationen", "outcome_source": "suggested"}]
    return bup_id


def _two_awaited_overdue_and_reminded(db: Database, rules: Rules, sink: SmtpSink) -> typer.Typer:
    with db.session() as s:                      # overdue per receiver: two still awaited after the due date
        assert export.overdue(s, date(2026, 3, 11)) == []
        (late,) = export.overdue(s, date(2026, 3, 13))
        assert late["awaiting"] == [SKOLA, HAB] and late["receivers"] == [SKOLA, HAB]
        digest = render_text(collect(s, date(2026, 3, 16)))
    assert "1 av 3 mottagare har svarat" in digest and "förslag: Löst genom kommunikationen" in digest

    app, app_ctx = cli(db, rules, sink)           # the reminder goes to the two awaited receivers only
    summary = run(app_ctx, at(date(2026, 3, 12), 9))
    assert [d.status for d in summary.deliveries] == ["sent"]
    (mail,) = sink.messages()
    assert [a.strip() for a in mail.message()["To"].split(",")] == [SKOLA, HAB]
    assert BUP not in mail.recipients
    return app


def _the_other_two_answer(db: Database, rules: Rules, app: typer.Typer, bup_id: str) -> None:
    skola_id, hab_id = exchange_id("skola-answers"), exchange_id("hab-answers")
    _ingest(db, rules, answer(SKOLA, "skola-answers", 10,
                              body="Hej,\nVi har tagit del av avvikelsen. Det är delvis löst, arbetet pågår.\n"),
            answer("assistent@habilitering.se", "hab-answers", 11, section4=HAB_ANSWER))
    row = case_json(db)
    assert row["awaiting"] == [] and all(r["answered"] for r in row["receivers"])
    by_receiver = {a["receiver_email"]: a for a in row["answers"]}
    assert by_receiver[SKOLA]["message_id"] == skola_id and by_receiver[SKOLA]["outcome"] == "Delvis löst"
    assert by_receiver[HAB]["message_id"] == hab_id and by_receiver[HAB]["outcome"] == "Förbättringsförslag"
    assert row["response"]["message_id"] == bup_id          # still the first answer
    with db.session() as s:
        assert export.overdue(s, date(2026, 4, 1)) == []
    res = CliRunner().invoke(app, ["overdue", "--as-of", "2026-04-01", "--format", "json"])
    assert res.exit_code == 0 and json.loads(res.output) == []


def test_three_receivers_none_one_then_all_answer(db: Database, rules: Rules, sink: SmtpSink) -> None:
    _none_answered_yet(db, rules)
    bup_id = _bup_answers_first(db, rules)
    app = _two_awaited_overdue_and_reminded(db, rules, sink)
    _the_other_two_answer(db, rules, app, bup_id)


def test_outcome_set_by_hand_is_validated_and_recorded(db: Database, rules: Rules, sink: SmtpSink) -> None:
    _ingest(db, rules, deviation(), answer(BUP, "bup-answers", 8, section4=BUP_ANSWER),
            answer(HAB, "hab-answers", 9, section4=HAB_ANSWER))
    app, _ = cli(db, rules, sink)
    case_id, runner = case_json(db)["case_id"], CliRunner()
    res = runner.invoke(app, ["case", "outcome", case_id, "Delvis löst"])
    assert res.exit_code == 1 and "ange vilket med --answer" in res.output
    res = runner.invoke(app, ["case", "outcome", case_id, "Kanske löst", "--answer", exchange_id("hab-answers")])
    assert res.exit_code == 1 and '"Löst genom kommunikationen", "Förbättringsförslag", "Delvis löst"' in res.output
    res = runner.invoke(app, ["case", "outcome", case_id, "--answer", exchange_id("hab-answers"), "delvis löst",
                              "--who", "sekr"])
    assert res.exit_code == 0, res.output
    assert "Förbättringsförslag → Delvis löst" in res.output
    outcomes = {a["receiver_email"]: (a["outcome"], a["outcome_source"]) for a in case_json(db)["answers"]}
    assert outcomes == {BUP: ("Löst genom kommunikationen", "suggested"), HAB: ("Delvis löst", "set")}
    with db.session() as s:
        corr = s.scalars(select(Correction).where(Correction.field == "outcome")).one()
        assert (corr.who, corr.old_value, corr.new_value) == ("sekr", "Förbättringsförslag", "Delvis löst")
        text = render_text(collect(s, date(2026, 1, 26)))
    assert "SVAR SOM SAKNAR BEKRÄFTAT UTFALL (1)" in text


def test_receiver_not_expected_stops_overdue_and_reminders(db: Database, rules: Rules, sink: SmtpSink) -> None:
    _ingest(db, rules, deviation(to=(BUP, SKOLA)), answer(BUP, "bup-answers", 8, section4=BUP_ANSWER))
    app, app_ctx = cli(db, rules, sink)
    case_id, runner = case_json(db)["case_id"], CliRunner()
    res = runner.invoke(app, ["overdue", "--as-of", "2026-03-20"])
    assert res.exit_code == 0 and SKOLA in res.output and "1 av 2" in res.output
    res = runner.invoke(app, ["case", "receiver", case_id, BUP, "--not-expected"])
    assert res.exit_code == 1 and "har redan svarat" in res.output
    res = runner.invoke(app, ["case", "receiver", case_id, SKOLA.upper(), "--not-expected", "--who", "sekr"])
    assert res.exit_code == 0 and "förväntas inte svara" in res.output, res.output
    row = case_json(db)
    assert row["awaiting"] == [] and row["receivers"][1]["answered"] is False
    with db.session() as s:
        assert export.overdue(s, date(2026, 3, 20)) == []
        case = s.scalars(select(Case)).one()
        (r,) = [r for r in case.receiver_rows if r.email == SKOLA]
        assert (r.state, r.changed_by) == ("not_expected", "sekr") and r.changed_at is not None
    assert run(app_ctx, at(date(2026, 3, 12), 9)).deliveries == [] and sink.messages() == []
    res = runner.invoke(app, ["case", "receiver", case_id, SKOLA, "--expected"])
    assert res.exit_code == 0 and "väntar på svar" in res.output
    assert case_json(db)["awaiting"] == [SKOLA]
    with db.session() as s:
        assert [c.new_value for c in s.scalars(select(Correction).where(Correction.field == "receiver")
                                               .order_by(Correction.id))] == [f"{SKOLA}: not_expected",
                                                                              f"{SKOLA}: awaited"]


def test_doubtful_attribution_goes_to_review_and_a_person_decides(db: Database, rules: Rules,
                                                                 sink: SmtpSink) -> None:
    first, second = "chef.a@stockholm.se", "chef.b@stockholm.se"
    mid = exchange_id("who-answers")
    _ingest(db, rules, deviation(to=(first, second)),
            answer("handlaggare@stockholm.se", "who-answers", 8, body="Vi har tagit del av avvikelsen."))
    row = case_json(db)
    assert row["responded"] and row["awaiting"] == [first, second]
    assert row["answers"][0]["receiver_email"] is None
    app, _ = cli(db, rules, sink)
    res = CliRunner().invoke(app, ["problems", "--format", "json"])
    assert [r["problems"] for r in json.loads(res.output) if r["message_id"] == mid] == [["answer_receiver_unknown"]]
    res = CliRunner().invoke(app, ["case", "receiver", row["case_id"], second, "--answer", mid])
    assert res.exit_code == 0, res.output
    row = case_json(db)
    assert row["awaiting"] == [first] and row["answers"][0]["receiver_email"] == second
    res = CliRunner().invoke(app, ["problems", "--format", "json"])
    assert mid not in res.output


def test_export_csv_carries_receivers_awaiting_and_answers(db: Database, rules: Rules, sink: SmtpSink) -> None:
    _ingest(db, rules, deviation(to=(BUP, SKOLA)), answer(BUP, "bup-answers", 8, section4=BUP_ANSWER))
    app, _ = cli(db, rules, sink)
    res = CliRunner().invoke(app, ["export", "deviations", "--format", "csv"])
    assert res.exit_code == 0
    import csv
    import io
    (rec,) = list(csv.DictReader(io.StringIO(res.output)))
    assert rec["awaiting"] == SKOLA
    assert [r["email"] for r in json.loads(rec["receivers"])] == [BUP, SKOLA]
    assert json.loads(rec["answers"])[0]["outcome_source"] == "suggested"
