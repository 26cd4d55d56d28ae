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


YearOpt = Annotated[int | None, typer.Option("--year", "-y", help="Report year (first receipt, Swedish time).")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Workbook to write (.xlsx).")]
ChartsOpt = Annotated[Path | None, typer.Option("--charts", help="Folder for the PNG charts (created if missing).")]
DocxOpt = Annotated[Path | None, typer.Option("--docx", help="The report drafted as Word (.docx).")]
PeriodOpt = Annotated[str | None, typer.Option("--period", help="A half year for the draft, e.g. 2026H1.")]
KommunOpt = Annotated[str | None, typer.Option("--kommun", help="Add an extract for one kommun (e.g. Stockholm).")]
TextsOpt = Annotated[Path | None, typer.Option("--texts", help="The draft's fixed texts (default: shipped).")]
TemplateOpt = Annotated[Path | None, typer.Option("--template", help="The Word template (default: shipped).")]


def check_docx(path: Path | None) -> Path | None:
    if path is None:
        return None
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a directory", param_hint="--docx")
    if path.suffix.lower() != ".docx":
        raise typer.BadParameter(f"the draft is a Word file: expected a name ending in .docx, got {path}",
                                 param_hint="--docx")
    _writable_dir(path.parent, "the draft", "--docx")
    return path


def check_period(year: int | None, period: str | None) -> str:
    from notify.report_figures import parse_period

    if period is None:
        if year is None:
            raise typer.BadParameter("give the report year (--year 2026) or a period (--period 2026H1)",
                                     param_hint="--year")
        return str(check_year(year))
    try:
        parsed = parse_period(period)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None
    check_year(parsed.year)
    if year is not None and year != parsed.year:
        raise typer.BadParameter(f"--year {year} and --period {period} name different years", param_hint="--period")
    return parsed.key


def check_file(path: Path | None, hint: str) -> Path | None:
    if path is not None and not path.is_file():
        raise typer.BadParameter(f"{path}: no such file", param_hint=hint)
    return path


def report_cmd(ctx: typer.Context, year: YearOpt = None, out_file: OutOpt = None, charts: ChartsOpt = None,
               docx: DocxOpt = None, period: PeriodOpt = None, kommun: KommunOpt = None, texts: TextsOpt = None,
               template: TemplateOpt = None) -> None:
    """The annual report of one year: the .xlsx workbook, optionally its charts and the Word draft.

    The workbook holds the report's tables; --charts writes them as PNG; --docx drafts the report as Word
    (--period 2026H1 for a half year, --kommun for a municipality's extract)."""
    import time

    from notify.report import report_data, write_draft, write_report  # here: SQLAlchemy after the options

    key = check_period(year, period)
    if out_file is None and docx is None:
        raise typer.BadParameter("give the workbook to write (--out FILE.xlsx) or the draft (--docx FILE.docx)",
                                 param_hint="--out")
    if out_file is not None:
        check_out(out_file)
    check_charts(charts)
    check_docx(docx)
    check_file(texts, "--texts")
    check_file(template, "--template")
    rules = ctx.obj.rules
    register = getattr(ctx.obj, "register", None)
    principals = {o.type: o.principal for o in rules.organisations}
    from notify.report_figures import parse_period

    p = parse_period(key)
    written: list[Path] = []
    started = time.monotonic()
    with ctx.obj.db.session() as session:
        data = report_data(session, p.year, principals, rules.outcome_labels, rules, register, p.months,
                           zone=rules.local)
        stats = data.stats
        try:
            if out_file is not None:
                written += write_report(stats, out_file, charts)
            if docx is not None:
                settings = getattr(ctx.obj, "settings", None)
                written.append(write_draft(session, key, docx, rules=rules, register=register,
                                           history_path=getattr(settings, "history_path", "") or None,
                                           texts_path=texts, template=template, kommun=kommun,
                                           zone=rules.local))
        except OSError as exc:
            fail(styled(("could not write the report:", "red"),
                        f" {exc.strerror or exc}: {exc.filename or out_file or docx}"))
    if p.half:
        out.print(f"period: {p.label}", highlight=False)
    for line in summary_lines(stats):
        out.print(line, highlight=False)
    if kommun:
        from notify.report_figures import kommun_lines

        for line in kommun_lines(data.rows, kommun, p.label):
            out.print(f"  {line}", highlight=False)
    for path in written:
        out.print(f"  skrev {path}", highlight=False)
    if docx is not None:
        out.print(f"  utkastet tog {time.monotonic() - started:.1f} s", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)
