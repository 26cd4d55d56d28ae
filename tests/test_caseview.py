"""One CaseView (store/caseview.py): a person's correction shows up the same in the export, the digest, the yearly
report, the reminders, `busavvik cases`, `busavvik show` and the web case page."""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from config.rules import Rules, default_rules
from config.settings import ReminderSettings, Settings
from ingest.files import open_source
from notify import digest, outbox
from notify.report import yearly_stats
from pipeline.batch import Pipeline
from store import export, views, views_ops
from store.caseview import find_view
from store.corrections import set_field
from store.db import Database
from tests.support.cli_process import run_cli

SAMPLE = Path(__file__).resolve().parents[1] / "busavvik" / "sample"
CASE = "BUS-2026-0007"          # received 2026-09-01 from Socialtjänst to BUMM and BUP, never answered


@pytest.fixture(scope="module")
def corrected(module_db: Database) -> Database:
    """The sample imported and corrected once; the module's tests only read it."""
    db, rules = module_db, default_rules()
    with Pipeline(db, rules) as pipeline:
        for box in ("storsthlm", "hsf"):
            pipeline.ingest(open_source(SAMPLE / box, box).messages())
    with db.session() as s:
        for field, value in (("event_type", "Rättad händelse"), ("reporter_org_type", "BUP"),
                             ("receiver_org_types", "Skola"), ("responded", "true")):
            set_field(s, CASE, field, value, "tester", rules)
    return db


def _cli(db: Database, *args: str) -> str:
    done = run_cli(args, env={"BUSAVVIK_CONFIG": None, "BUSAVVIK_DATABASE_URL": db.url, "COLUMNS": "250"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_view_applies_the_corrections(corrected: Database) -> None:
    with corrected.session() as s:
        view = find_view(s, f" {CASE.lower()} ")
    assert view is not None and view.case_id == CASE
    assert view.form.event_type == "Rättad händelse"
    assert view.classification.reporter_org_type == "BUP"
    assert view.classification.receiver_org_types == ("Skola",)
    assert view.responded and not view.waiting and not view.stored_responded
    assert view.corrected("themes") is False and view.corrected("responded")


def test_export_digest_report_and_reminders_show_the_correction(corrected: Database, rules: Rules) -> None:
    with corrected.session() as s:
        rows = export.deviations(s)
        row = next(d for d in rows if d["case_id"] == CASE)
        week = digest.collect(s, date(2026, 9, 7))
        late = digest.collect(s, date(2026, 11, 9))
        stats = yearly_stats(s, 2026)
        page = views.case_detail(s, CASE, date(2026, 11, 9))
        overview = views_ops.overview(s, date(2026, 11, 9), datetime(2026, 11, 2, tzinfo=UTC))
    assert (row["event_type"], row["responded"]) == ("Rättad händelse", True)
    assert (row["classification"]["reporter_org_type"], row["classification"]["receiver_org_types"]) == \
        ("BUP", ["Skola"])
    assert [r.cells for r in week.new if r.case_id == CASE] == [("Rättad händelse", "BUP", "Skola")]
    assert CASE not in {r.case_id for r in late.overdue}
    assert week.year is not None and week.year.answered == stats.answered
    between = [d["classification"] for d in rows if d["classification"]["principal_relation"] == "between"]
    assert stats.answered == sum(d["responded"] for d in rows) == overview.year_answered
    assert stats.by_reporter_type["BUP"] == sum(c["reporter_org_type"] == "BUP" for c in between)
    assert stats.by_receiver_type["Skola"] == sum("Skola" in c["receiver_org_types"] for c in between)
    assert page is not None and page.row.event_type == "Rättad händelse" and page.row.state == "answered"
    assert page.row.reporter_org_type == "BUP" and page.row.receiver_org_types == ("Skola",)
    settings = Settings(database_url=corrected.url, reminders=ReminderSettings(enabled=True,
                                                                                start_date=date(2026, 1, 1)))
    planned = outbox.plan(corrected, date(2026, 11, 2), datetime(2026, 11, 2, 8, tzinfo=UTC), settings,
                          rules, dry_run=True)
    assert CASE not in {p.case_id for p in planned}


def test_cases_and_show_print_the_correction(corrected: Database) -> None:
    line = next(x for x in _cli(corrected, "cases").splitlines() if CASE in x)
    assert "BUP → Skola" in line and " ja " in line
    shown = _cli(corrected, "show", CASE)
    assert "responded: ja" in shown and "event_type: Rättad händelse" in shown
    assert "'reporter_org_type': 'BUP'" in shown and "'receiver_org_types': ['Skola']" in shown
