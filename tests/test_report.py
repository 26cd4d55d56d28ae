"""The yearly report, tested on a generated year whose totals are known (127 deviations in 2021, as the
annual report; plus cases in 2020 and 2022 that must not count)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from busavvik.commands import report as cli_report
from config.rules import default_rules
from notify.report import YearStats, write_report, yearly_stats
from store.db import Database
from store.models import Case

SIP = "SIP"
REMISS = "Remisshantering"
SYNP = "Synpunkter på annan verksamhets utförande av uppdrag"
STRUKT = "Samverkan på strukturell nivå"
OVRIG = "Övrig samverkan runt individ"
OKLAR = "Oklara gränser för uppdrag och ansvar"
PRINCIPAL = {"Socialtjänst": "kommun", "Elevhälsa": "kommun", "Skola": "kommun", "BUP": "region",
             "BUMM": "region", "Habilitering": "region", "Kommun, övrigt": "kommun"}
PNR = "811228-9874"


@dataclass
class Spec:
    """A group of identical deviations as the parser classified them, with the overrides a human set."""
    n: int
    reporter: str | None
    receivers: list[str]
    themes: list[str]
    overrides: dict[str, Any] = field(default_factory=dict)

    def classification(self) -> dict[str, Any]:
        rep_p = PRINCIPAL.get(self.reporter or "")
        rec_p = list(dict.fromkeys(PRINCIPAL[r] for r in self.receivers))
        relation = None if not (rep_p and rec_p) else "within" if set(rec_p) == {rep_p} else "between"
        return {"reporter_org_type": self.reporter, "reporter_principal": rep_p,
                "receiver_org_types": self.receivers, "receiver_principals": rec_p,
                "principal_relation": relation, "themes": self.themes}


SPECS_2021 = [
    # between principals: 106
    Spec(40, "Socialtjänst", ["BUP"], [SIP]),
    Spec(5, "Socialtjänst", ["BUP", "Habilitering"], [SIP]),
    Spec(20, "Elevhälsa", ["BUP"], [REMISS]),
    Spec(7, "Elevhälsa", ["BUMM"], [REMISS]),
    Spec(6, "BUP", ["Socialtjänst"], [SIP]),
    Spec(3, "BUP", ["Skola"], [SYNP]),
    Spec(8, "Socialtjänst", ["BUMM"], [OVRIG]),
    Spec(4, "Skola", ["Habilitering"], [STRUKT, SIP]),
    Spec(2, "Habilitering", ["Socialtjänst"], [OKLAR]),
    # the parser could not tell; a human made them Socialtjänst → BUP, SIP
    Spec(5, "Kommun, övrigt", [], [OVRIG],
         {"reporter_org_type": "Socialtjänst", "receiver_org_types": ["BUP"], "principal_relation": "between",
          "themes": [SIP]}),
    # the parser said Socialtjänst → BUP; a human corrected the type (principal then comes from the type)
    Spec(6, "Socialtjänst", ["BUP"], [SIP],
         {"reporter_org_type": "Habilitering", "receiver_org_types": ["Socialtjänst"], "themes": [OKLAR]}),
    # within one principal: 18
    Spec(6, "Socialtjänst", ["Skola"], [SIP]),
    Spec(5, "BUMM", ["BUP"], [REMISS]),
    Spec(4, "Habilitering", ["BUP"], [SIP]),
    Spec(2, "Skola", ["Socialtjänst"], [OKLAR]),
    Spec(1, "Socialtjänst", ["BUP"], [SIP], {"receiver_org_types": ["Skola"], "principal_relation": "within"}),
    # relation unknown: 3
    Spec(3, None, [], [OVRIG]),
]
OUTCOMES = ["löst"] * 11 + ["förbättringsförslag"] * 19 + ["delvis löst"] * 4 + ["ej löst"] * 7


def _case(year: int, seq: int, received: datetime, spec: Spec, responded: bool) -> Case:
    return Case(case_id=f"BUS-{year}-{seq:04d}", year=year, seq=seq, first_received=received,
                response_due=received.date() + timedelta(days=61), fingerprint=f"fp{year}{seq}",
                text_fingerprint=f"tf{year}{seq}", form={"event_type": "SIP", "description": f"Hemligtext {PNR}"},
                classification=spec.classification(), overrides=dict(spec.overrides), responded=responded,
                response=None, status="open")


def _answer(case: Case, k: int) -> None:
    """The k-th answered case: its outcome, recorded on the response or as a human override."""
    if k >= len(OUTCOMES):
        return
    if k % 2:
        case.overrides = {**case.overrides, "response_outcome": OUTCOMES[k]}
        case.response = {"description": "Svar", "improvements": None}
    else:
        case.response = {"description": "Svar", "outcome": OUTCOMES[k], "improvements": None}
    if OUTCOMES[k] == "förbättringsförslag":
        case.response = {**case.response, "improvements": "Vi ser över rutinen."}


def generated_2021() -> list[Case]:
    """127 cases: month of case i is i % 12 + 1 (Swedish time); every third one answered (43), three more
    answered by override and one answered case overridden back to unanswered: 45 answered."""
    flat = [spec for spec in SPECS_2021 for _ in range(spec.n)]
    cases, k = [], 0
    for i, spec in enumerate(flat):
        received = datetime(2021, i % 12 + 1, 15, 9, 0, tzinfo=UTC)
        if i == 0:  # 00:30 on New Year's Day in Stockholm: January 2021, though December in UTC
            received = datetime(2020, 12, 31, 23, 30, tzinfo=UTC)
        case = _case(2021, i + 1, received, spec, responded=i % 3 == 0)
        if i in (1, 2, 4):
            case.overrides = {**case.overrides, "responded": True}
        if i == 3:
            case.overrides = {**case.overrides, "responded": False}
        if (i % 3 == 0 and i != 3) or i in (1, 2, 4):
            _answer(case, k)
            k += 1
        cases.append(case)
    return cases


def other_years() -> list[Case]:
    spec = Spec(1, "Socialtjänst", ["BUP"], [SIP])
    late = datetime(2021, 12, 31, 23, 30, tzinfo=UTC)  # 2022-01-01 in Stockholm
    return [_case(2020, 1, datetime(2020, 6, 1, tzinfo=UTC), spec, True),
            _case(2020, 2, datetime(2020, 12, 31, 22, 0, tzinfo=UTC), spec, True),
            _case(2022, 1, late, spec, True),
            _case(2022, 2, datetime(2022, 3, 1, tzinfo=UTC), spec, False)]


@pytest.fixture
def filled(db: Database) -> Database:
    with db.session() as session:
        session.add_all(generated_2021() + other_years())
    return db


def _stats(db: Database, year: int = 2021) -> YearStats:
    with db.session() as session:
        return yearly_stats(session, year)


def sheet_rows(path: Path, sheet: str) -> dict[str, list[Any]]:
    ws = load_workbook(path)[sheet]
    return {str(r[0]): list(r[1:]) for r in ws.iter_rows(min_row=2, values_only=True) if r[0] is not None}


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
    assert s.by_theme == {SIP: 60, REMISS: 27, OKLAR: 8, OVRIG: 8, STRUKT: 4, SYNP: 3}
    assert s.sip == 60 and s.sip_share == pytest.approx(60 / 106)


def test_within_counted_apart(filled: Database) -> None:
    s = _stats(filled)
    assert s.within_pairs == {"Socialtjänst – Skola": 7, "BUMM – BUP": 5, "Habilitering – BUP": 4,
                              "Skola – Socialtjänst": 2}
    assert s.within_pair_labels[0] == "Socialtjänst – Skola (7 st)"


def test_answers_and_months(filled: Database) -> None:
    s = _stats(filled)
    assert s.answered == 45 and s.answered_share == pytest.approx(45 / 127)
    assert s.outcomes == {"Löst genom kommunikationen": 11, "Förbättringsförslag": 19,
                          "Delvis löst, fortsatt utvecklingsarbete": 4, "Ej löst": 7, "Ej angivet": 4}
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
                             "Svar", "Svar på avvikelser", "Per månad", "Inom huvudman"]
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
    assert svar["Ej löst"][0] == 7
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


def _app(db: Database) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _ctx(ctx: typer.Context) -> None:
        ctx.obj = SimpleNamespace(db=db, rules=default_rules())

    cli_report.register(app)
    return app


def _plain(output: str) -> str:
    """CLI output without the error panel's frame and line wrapping."""
    return " ".join(output.translate({ord(c): " " for c in "│╭╮╰╯─"}).split())


def test_cli_report(filled: Database, tmp_path: Path) -> None:
    out = tmp_path / "bus.xlsx"
    result = CliRunner().invoke(_app(filled), ["report", "--year", "2021", "--out", str(out),
                                               "--charts", str(tmp_path / "png")])
    assert result.exit_code == 0, result.output
    assert "totalt 127" in result.output
    assert "mellan huvudmän: 106, inom samma huvudman: 18" in result.output
    assert "besvarade: 45 av 127 (35 %)" in result.output
    assert out.exists() and len(list((tmp_path / "png").glob("*.png"))) == 6


@pytest.mark.parametrize("args, message", [
    (["--year", "1899"], "expected a year"),
    (["--year", "abc"], "--year"),
    (["--year", str(date.today().year + 5)], "expected a year"),
])
def test_cli_bad_year(db: Database, tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(_app(db), ["report", *args, "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 2 and message in _plain(result.output)
    assert not (tmp_path / "r.xlsx").exists()


def test_cli_unwritable_paths(db: Database, tmp_path: Path) -> None:
    blocker = tmp_path / "fil.txt"
    blocker.write_text("x")
    for out, charts, message in [(blocker / "r.xlsx", None, "not a writable directory"),
                                 (tmp_path / "r.csv", None, ".xlsx"),
                                 (tmp_path, None, "is a directory"),
                                 (tmp_path / "r.xlsx", blocker, "not a directory")]:
        args = ["report", "--year", "2021", "--out", str(out)] + (["--charts", str(charts)] if charts else [])
        result = CliRunner().invoke(_app(db), args)
        assert result.exit_code == 2, (out, result.output)
        assert message in _plain(result.output), result.output


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
    assert s.by_theme == {REMISS: 1, SIP: 1} and s.by_receiver_type == {"BUMM": 1, "BUP": 1}
    assert s.by_month[4] == 2
