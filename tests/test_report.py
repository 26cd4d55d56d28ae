"""The yearly report, tested on a generated year whose totals are known (127 deviations in 2021, as the
annual report; plus cases in 2020 and 2022 that must not count)."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from notify.report import write_report
from store.db import Database
from store.models import Case
from tests.support.report import (
    OKLAR,
    OVRIG,
    PNR,
    REMISS,
    SIP,
    SPECS_2021,
    STRUKT,
    SYNP,
    Spec,
    _case,
    _stats,
    filled,  # noqa: F401 - fixture
    sheet_rows,
)


def test_totals_and_relation(filled: Database) -> None:
    s = _stats(filled)
    assert (s.total, s.between, s.within, s.unknown) == (127, 106, 18, 3)
    assert _stats(filled, 2020).total == 2 and _stats(filled, 2022).total == 2


def test_reporting_types_between_only(filled: Database) -> None:
    s = _stats(filled)
    assert s.by_reporter_type == {"Socialtjänst": 58, "BUP": 9, "Habilitering": 8, "Skola": 4, "Elevhälsa": 27,
                                  "Förskola": 0, "BUMM": 0}
    assert (s.reporter_kommun, s.reporter_region, s.reporter_principal_unknown) == (89, 17, 0)


def test_receivers_count_each_and_themes(filled: Database) -> None:
    s = _stats(filled)
    assert s.by_receiver_type == {"BUP": 70, "BUMM": 15, "Socialtjänst": 14, "Habilitering": 9, "Skola": 3}
    assert s.receivers_total == 111  # 106 deviations, five of them to two receivers
    # one main theme per deviation (rules order; a person's correction wins): the themes sum to n
    assert s.by_theme == {SIP: 60, REMISS: 27, OKLAR: 8, OVRIG: 8, SYNP: 3}
    assert s.themes_total == s.between == 106
    assert s.by_secondary_theme == {STRUKT: 4}
    assert s.sip == 60 and s.sip_share == pytest.approx(60 / 106)


def test_within_counted_apart(filled: Database) -> None:
    s = _stats(filled)
    assert s.within_pairs == {"Socialtjänst – Skola": 7, "BUMM – BUP": 5, "Habilitering – BUP": 4,
                              "Skola – Socialtjänst": 2}
    assert s.within_pair_labels[0] == "Socialtjänst – Skola (7 st)"


def test_answers_and_months(filled: Database) -> None:
    s = _stats(filled)
    assert s.answered == 45 and s.answered_share == pytest.approx(45 / 127)
    assert s.outcomes == {"Löst genom kommunikationen": 11, "Förbättringsförslag": 19, "Delvis löst": 4,
                          "Ej löst": 7, "Ej angivet": 4}
    assert s.answers == 45 and s.confirmed_outcomes["Ej löst"] == 7 and s.no_outcome == 4
    assert s.with_improvements == 19
    assert s.by_month == (11,) * 7 + (10,) * 5 and sum(s.by_month) == 127
    flat = [spec for spec in SPECS_2021 for _ in range(spec.n)]
    between = {i for i, sp in enumerate(flat) if sp.overrides.get("principal_relation",
                                                                  sp.classification()["principal_relation"])
               == "between"}
    answered = {i for i in range(127) if (i % 3 == 0 and i != 3) or i in (1, 2, 4)}
    assert s.answered_between == len(between & answered)


def test_workbook_read_back(filled: Database, tmp_path: Path) -> None:
    out = tmp_path / "rapport" / "bus_2021.xlsx"
    written = write_report(_stats(filled), out, None)
    assert written == [out]
    wb = load_workbook(out)
    assert wb.sheetnames == ["Tabell 1 Huvudmän", "Rapporterande verksamhet", "Mottagande verksamhet", "Teman",
                             "Svar", "Svar på avvikelser", "Per månad", "Inom huvudman", "Geografi"]
    t1 = sheet_rows(out, "Tabell 1 Huvudmän")
    assert t1["Mellan huvudmän"][:2] == [106, pytest.approx(106 / 127)]
    assert t1["Inom samma huvudman"][0] == 18 and t1["Summa totalt"][0] == 127
    rep = sheet_rows(out, "Rapporterande verksamhet")
    assert rep["Summa kommunal verksamhet"][:2] == [89, pytest.approx(89 / 106)]
    assert rep["Summa regional verksamhet"][0] == 17 and rep["Summa totalt"][0] == 106
    assert rep["Förskola"][0] == 0
    rec = sheet_rows(out, "Mottagande verksamhet")
    assert rec["BUP"][0] == 70 and rec["Summa mottagna"][0] == 111
    themes = sheet_rows(out, "Teman")
    assert themes["Samordnad individuell plan (SIP)"][0] == 60
    assert themes["Andel avvikelser mellan huvudmän som berör SIP"][:2] == [60, pytest.approx(60 / 106)]
    svar = sheet_rows(out, "Svar")
    assert svar["Besvarade avvikelser"][:2] == [45, pytest.approx(45 / 127)]
    assert svar["Ej löst"][:2] == [7, pytest.approx(7 / 45)]
    both = sheet_rows(out, "Svar på avvikelser")      # the two answer sheets show the one outcome table
    for label in ("Löst genom kommunikationen", "Förbättringsförslag", "Delvis löst", "Ej löst", "Ej angivet",
                  "Summa svar"):
        assert svar[label] == both[label]
    months = sheet_rows(out, "Per månad")
    assert months["Januari"][0] == 11 and months["December"][0] == 10 and months["Summa totalt"][0] == 127
    within = sheet_rows(out, "Inom huvudman")
    assert within["Socialtjänst – Skola"][0] == 7 and within["Summa inom samma huvudman"][0] == 18


def test_workbook_format(filled: Database, tmp_path: Path) -> None:
    out = tmp_path / "bus.xlsx"
    write_report(_stats(filled), out, None)
    ws = load_workbook(out)["Rapporterande verksamhet"]
    assert all(c.font.bold for c in ws[1])
    kommun = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "Summa kommunal verksamhet")
    assert kommun[0].font.bold and kommun[2].number_format == "0%"
    assert ws.column_dimensions["A"].width >= len("Summa kommunal verksamhet")


def test_no_personnummer_in_report(filled: Database, tmp_path: Path) -> None:
    with filled.session() as session:
        case = session.query(Case).filter_by(case_id="BUS-2022-0002").one()
        case.overrides = {"themes": [f"SIP {PNR}"], "reporter_org_type": f"Skola {PNR}"}
    out = tmp_path / "bus.xlsx"
    write_report(_stats(filled, 2022), out, tmp_path / "charts")
    wb = load_workbook(out)
    text = " ".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    assert PNR not in text and "[personnummer]" in text
    assert "Hemligtext" not in text  # the form's free text never reaches the report


def test_charts_are_png(filled: Database, tmp_path: Path) -> None:
    charts = tmp_path / "figurer"
    written = write_report(_stats(filled), tmp_path / "bus.xlsx", charts)
    pngs = [p for p in written if p.suffix == ".png"]
    assert len(pngs) == 6 and all(p.parent == charts for p in pngs)
    for p in pngs:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000


def test_empty_year(db: Database, tmp_path: Path) -> None:
    s = _stats(db, 2019)
    assert s.total == 0 and s.answered_share == 0.0 and s.sip_share == 0.0
    written = write_report(s, tmp_path / "tom.xlsx", tmp_path / "c")
    assert len(written) == 7


def test_overrides_typed_as_text(db: Database) -> None:
    """`case set` may store text: several names separated by ';', responded as "ja"/"nej"."""
    spec = Spec(1, "Socialtjänst", ["BUP"], [OVRIG])
    received = datetime(2023, 5, 2, 8, 0, tzinfo=UTC)
    first, second = _case(2023, 1, received, spec, False), _case(2023, 2, received, spec, True)
    first.overrides = {"themes": "SIP; Remisshantering", "receiver_org_types": "BUP; BUMM", "responded": "ja"}
    second.overrides = {"responded": "nej", "principal_relation": None}
    with db.session() as session:
        session.add_all([first, second])
    s = _stats(db, 2023)
    assert (s.between, s.unknown, s.answered) == (1, 1, 1)
    assert s.by_theme == {SIP: 1} and s.by_secondary_theme == {REMISS: 1}  # the person listed SIP first
    assert s.by_receiver_type == {"BUMM": 1, "BUP": 1}
    assert s.by_month[4] == 2
