"""Text and files people open: Swedish singular and plural, CSV for Swedish Excel, charts in whole numbers.
The export through the CLI on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
import typer
from matplotlib.figure import Figure
from typer.testing import CliRunner

from busavvik.commands import data as cli_data
from config.rules import Rules
from notify import report_charts, swedish
from notify.report import YearStats
from store.db import Database
from store.models import Case, CaseAnswer, Message
from tests.support.reminders import add_case, at

BOM = b"\xef\xbb\xbf"


def test_singular_and_plural() -> None:
    assert [swedish.count(n, "dag") for n in (0, 1, 2, 14)] == ["0 dagar", "1 dag", "2 dagar", "14 dagar"]
    assert swedish.count(1, "avvikelse") == "1 avvikelse" and swedish.count(3, "avvikelse") == "3 avvikelser"
    assert f"{swedish.count(1, 'påminnelse')} {swedish.form(1, 'skickad')}" == "1 påminnelse skickad"
    assert f"{swedish.count(2, 'påminnelse')} {swedish.form(2, 'skickad')}" == "2 påminnelser skickade"
    assert swedish.count(1, "mottagare") == "1 mottagare" and swedish.count(2, "mottagare") == "2 mottagare"
    assert swedish.count(2, "blankett", "blanketter") == "2 blanketter"


# ---- CSV for Swedish Excel ----------------------------------------------------------------------------------

def export_cli(db: Database) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root(ctx: typer.Context) -> None:
        ctx.obj = type("Ctx", (), {"db": db})()

    cli_data.register(app)
    return app


def with_outcome(db: Database, case_id: str) -> None:
    """One answer to the case, its outcome confirmed by a person."""
    with db.session() as s:
        case = s.query(Case).filter_by(case_id=case_id).one()
        source = s.get(Message, case.source_message_id)
        assert source is not None
        answer = Message(message_id="svar-1@socialtjanst.stockholm.se", message_id_header="<svar-1@x>",
                         raw_sha256=source.raw_sha256, subject="SV: avvikelse", first_seen=at(date(2026, 2, 2)),
                         date=at(date(2026, 2, 2)), kind="answer", case_pk=case.id)
        s.add(answer)
        s.flush()
        s.add(CaseAnswer(case_pk=case.id, message_pk=answer.id, receiver_email="chef@socialtjanst.stockholm.se",
                         attributed_by="sender", description="Vi har sett över rutinen",
                         outcome="Förbättringsförslag", outcome_source="set"))


def test_excel_csv_has_bom_semicolons_swedish_headers_and_outcomes(db: Database, rules: Rules) -> None:
    case_id = add_case(db, 1, date(2026, 1, 16), form={"event_type": "Uteblivet deltagande; SIP-möte",
                                                       "units_involved": ["BUP Söder", "Socialtjänsten Farsta"]})
    with_outcome(db, case_id)
    runner = CliRunner()
    res = runner.invoke(export_cli(db), ["export", "deviations", "--format", "csv", "--excel"])
    assert res.exit_code == 0, res.output
    data = res.stdout_bytes
    assert data.startswith(BOM) and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8")), delimiter=";"))
    head, row = rows[0], dict(zip(rows[0], rows[1]))
    assert head[0] == "Ärende" and "Typ av händelse" in head and "Sista svarsdag" in head
    assert row["Ärende"] == case_id and row["Typ av händelse"] == "Uteblivet deltagande; SIP-möte"
    assert row["Utfall"] == "Förbättringsförslag" and row["Utfallets källa"] == "bekräftat"
    assert row["Antal svar"] == "1" and row["Besvarad"] == "Nej" and row["Berörda enheter"].count(";") == 1
    assert not any(cell.startswith("[{") for cell in rows[1])          # no JSON cells for Excel users
    messages = runner.invoke(export_cli(db), ["export", "messages", "--format", "csv", "--excel"]).stdout_bytes
    assert messages.startswith(BOM + '"Message-ID";"Brevlådor";'.encode())


def test_plain_csv_is_unchanged_and_excel_needs_csv(db: Database, rules: Rules) -> None:
    add_case(db, 1, date(2026, 1, 16))
    runner = CliRunner()
    plain = runner.invoke(export_cli(db), ["export", "deviations", "--format", "csv"]).stdout_bytes
    assert plain.startswith(b'"source_message_id","case_id",') and not plain.startswith(BOM)
    res = runner.invoke(export_cli(db), ["export", "deviations", "--format", "json", "--excel"])
    assert res.exit_code == 2 and "--excel gäller bara --format csv" in res.output


# ---- charts -------------------------------------------------------------------------------------------------

def whole(ticks: list[float]) -> bool:
    return all(float(t).is_integer() for t in ticks)


def test_report_chart_axes_count_in_whole_numbers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    figures: list[Figure] = []
    monkeypatch.setattr(report_charts, "_save", lambda fig, path: figures.append(fig) or path)
    stats = YearStats(year=2026, total=3, between=3, within=0, unknown=0, by_reporter_type={"BUP": 2, "Skola": 1},
                      by_receiver_type={"Socialtjänst": 1}, by_month=(1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    report_charts.reporter_chart(stats, tmp_path / "a.png")
    report_charts.receiver_chart(stats, tmp_path / "b.png")
    report_charts.month_chart(stats, tmp_path / "c.png")
    bars_a, bars_b, months = (f.axes[0] for f in figures)
    assert whole(bars_a.get_xticks()) and whole(bars_b.get_xticks()) and whole(months.get_yticks())
    assert len(months.get_yticks()) > 1
