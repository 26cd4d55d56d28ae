"""`busavvik report`: the yearly report (tables as .xlsx, charts as PNG) from the stored deviations."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from busavvik.console import fail, out, styled

if TYPE_CHECKING:
    from notify.report import YearStats

FIRST_YEAR = 2000


def _pct(value: float) -> str:
    return f"{round(value * 100)} %"


def summary_lines(s: YearStats) -> list[str]:
    """The short Swedish summary printed after the report is written."""
    return [
        f"BUS-avvikelser {s.year}: totalt {s.total}",
        f"  mellan huvudmän: {s.between}, inom samma huvudman: {s.within}"
        + (f", okänd relation: {s.unknown}" if s.unknown else ""),
        (f"  kommunal rapportör: {s.reporter_kommun} ({_pct(s.kommun_share)}), "
         f"regional rapportör: {s.reporter_region} ({_pct(s.region_share)})"),
        f"  berör SIP: {s.sip} av {s.between} ({_pct(s.sip_share)})",
        f"  besvarade mellan huvudmän: {s.answered_between} av {s.between} ({_pct(s.answered_between_share)})",
        f"  besvarade: {s.answered} av {s.total} ({_pct(s.answered_share)}), helt besvarade (alla mottagare): "
        f"{s.fully_answered}, besvarade inom två månader: {s.answered_in_time}",
        f"  svar: {s.answers}, med bekräftat utfall: {sum(s.confirmed_outcomes.values())}, "
        f"endast föreslaget utfall: {s.suggested_outcomes}",
    ]


def check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= date.today().year + 1:
        raise typer.BadParameter(f"expected a year between {FIRST_YEAR} and {date.today().year + 1}, got {year}",
                                 param_hint="--year")
    return year


def _writable_dir(path: Path, what: str, hint: str) -> None:
    """The nearest existing ancestor must be a writable directory (missing folders are created)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        where = "" if probe == path else f"cannot create {path}: "
        raise typer.BadParameter(f"{where}{probe} is not a writable directory, so {what} cannot be written",
                                 param_hint=hint)


def check_out(path: Path) -> Path:
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a directory", param_hint="--out")
    if path.suffix.lower() != ".xlsx":
        raise typer.BadParameter(f"the report is an Excel file: expected a name ending in .xlsx, got {path}",
                                 param_hint="--out")
    if path.exists() and not os.access(path, os.W_OK):
        raise typer.BadParameter(f"{path} is not writable", param_hint="--out")
    _writable_dir(path.parent, "the report", "--out")
    return path


def check_charts(path: Path | None) -> Path | None:
    if path is None:
        return None
    if path.exists() and not path.is_dir():
        raise typer.BadParameter(f"{path} exists and is not a directory", param_hint="--charts")
    _writable_dir(path, "the charts", "--charts")
    return path


YearOpt = Annotated[int, typer.Option("--year", "-y", help="Report year (first receipt, Swedish time).")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Workbook to write (.xlsx).")]
ChartsOpt = Annotated[Path | None, typer.Option("--charts", help="Folder for the PNG charts (created if missing).")]


def report_cmd(ctx: typer.Context, year: YearOpt, out_file: OutOpt, charts: ChartsOpt = None) -> None:
    """The annual report's tables for one year as an .xlsx workbook, and optionally its charts as PNG."""
    from notify.report import write_report, yearly_stats  # here: SQLAlchemy after the options are checked

    check_year(year)
    check_out(out_file)
    check_charts(charts)
    principals = {o.type: o.principal for o in ctx.obj.rules.organisations}
    with ctx.obj.db.session() as session:
        stats = yearly_stats(session, year, principals, ctx.obj.rules.outcome_labels, ctx.obj.rules,
                             getattr(ctx.obj, "register", None))
    try:
        written = write_report(stats, out_file, charts)
    except OSError as exc:
        fail(styled(("could not write the report:", "red"), f" {exc.strerror or exc}: {exc.filename or out_file}"))
    for line in summary_lines(stats):
        out.print(line, highlight=False)
    for path in written:
        out.print(f"  skrev {path}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)
