"""The organisation register: units, addresses and domains → type, huvudman, kommun, area, mottagning, with
reorganisations; `busavvik rules org` explains a lookup; the report counts by unit with the register's totals."""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from busavvik.cli import app as cli
from config.errors import ConfigError
from config.orgregister import load_register, lookup
from config.rules import default_rules
from notify.report import yearly_stats
from notify.report_tables import geography_table
from store.db import Database
from tests.support.report import REMISS, SIP, Spec, _case

REGISTER = """
[totals]
kommuner = 26
[totals.stadsdelar]
Stockholm = 13
[totals.mottagningar]
BUP = 37
[[kommuner]]
name = "Stockholm"
domains = ["stockholm.se"]
areas = ["Farsta", "Skarpnäck"]
[[kommuner]]
name = "Huddinge"
domains = ["huddinge.se"]
[[units]]
name = "BUP Farsta"
type = "BUP"
huvudman = "region"
kommun = "Stockholm"
area = "Farsta"
mottagning = "BUP Farsta"
patterns = ['BUP Farsta']
addresses = ["bup.farsta@regionstockholm.se"]
valid_to = 2022-12-31
successor = "BUP Söder"
[[units]]
name = "BUP Söder"
type = "BUP"
huvudman = "region"
kommun = "Stockholm"
area = "Söder"
mottagning = "BUP Söder"
patterns = ['BUP Söder']
valid_from = 2023-01-01
"""


@pytest.fixture
def register_file(tmp_path: Path) -> Path:
    path = tmp_path / "organisationer.toml"
    path.write_text(REGISTER, encoding="utf-8")
    return path


def test_lookup_unit_address_domain_and_successor(register_file: Path) -> None:
    reg, rules = load_register(register_file), default_rules()
    farsta = lookup(reg, rules, "BUP Farsta", None, date(2022, 5, 1))
    assert (farsta.unit, farsta.type, farsta.huvudman, farsta.kommun, farsta.area) == \
        ("BUP Farsta", "BUP", "region", "Stockholm", "Farsta")
    later = lookup(reg, rules, None, "bup.farsta@regionstockholm.se", date(2023, 2, 1))
    assert later.unit == "BUP Söder" and any("ersatt av 'BUP Söder'" in w for w in later.why)
    school = lookup(reg, rules, "Elevhälsan Skarpnäcks skola", "a.b@stockholm.se", date(2023, 2, 1))
    assert (school.type, school.huvudman, school.kommun, school.area) == ("Elevhälsa", "kommun", "Stockholm",
                                                                          "Skarpnäck")
    by_domain = lookup(reg, rules, None, "anna.svensson@huddinge.se", date(2023, 2, 1))
    assert by_domain.kommun == "Huddinge" and "anna" not in by_domain.unit  # never a person's address


def test_shipped_register_and_bad_files(tmp_path: Path) -> None:
    shipped = load_register()
    assert shipped.kommuner_total == 26 == len(shipped.kommuner)
    assert shipped.mottagningar_total["BUP"] == 37 and shipped.areas_total["Stockholm"] == 13
    bad = tmp_path / "bad.toml"
    for text, message in [('[[units]]\nname = "X"\nhuvudman = "stat"\n', "huvudman"),
                          ('[[units]]\nname = "X"\nhuvudman = "region"\nsuccessor = "Y"\n', "successor"),
                          ('[[units]]\nname = "X"\nhuvudman = "region"\nvalid_to = "igår"\n', "valid_to"),
                          ('[enheter]\n', "unknown table")]:
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_register(bad)


def test_rules_org_explains(register_file: Path, tmp_path: Path) -> None:
    config = tmp_path / "busavvik.toml"
    config.write_text(f'[rules]\norganisations = "{register_file}"\n', encoding="utf-8")
    done = CliRunner().invoke(cli, ["--config", str(config), "rules", "org", "BUP Farsta", "--date", "2024-01-10"])
    assert done.exit_code == 0, done.output
    assert "enhet: BUP Söder" in done.output and "kommun: Stockholm" in done.output
    assert "ersatt av" in done.output


def test_report_counts_by_unit(db: Database, register_file: Path) -> None:
    received = datetime(2022, 4, 4, 9, tzinfo=UTC)
    cases = []
    for i, (unit, receiver, theme) in enumerate([("Socialtjänsten Farsta", "BUP Farsta", SIP)] * 3
                                                + [("Elevhälsan Skarpnäcks skola", "BUP Farsta", REMISS)] * 2
                                                + [("Socialtjänsten Huddinge", "BUP Söder", SIP)]):
        reporter = "Socialtjänst" if "Social" in unit else "Elevhälsa"
        case = _case(2022, i + 1, received, Spec(1, reporter, ["BUP"], [theme]), responded=False)
        case.form = {"reporter_unit": unit, "units_involved": [unit, receiver], "description": theme}
        cases.append(case)
    with db.session() as session:
        session.add_all(cases)
    with db.session() as session:
        s = yearly_stats(session, 2022, register=load_register(register_file))
    assert s.reporter_kommuner == {"Stockholm": 5, "Huddinge": 1} and s.kommuner_total == 26
    assert s.reporter_areas == {"Stockholm": {"Farsta": 3, "Skarpnäck": 2}}
    assert s.receiver_units == {"BUP": {"BUP Farsta": 5, "BUP Söder": 1}}
    rows = {r[0]: r[1:] for r in geography_table(s).rows}
    assert rows["Rapporterande kommuner"] == [2, 26] and rows["Mottagande enheter: BUP"] == [2, 37]
