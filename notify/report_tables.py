"""The yearly report's tables as an .xlsx workbook: one sheet per table, Swedish headings."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from notify.report_stats import SIP_THEME, YearStats, share
from parsers.safetext import formula_like

MONTHS = ("Januari", "Februari", "Mars", "April", "Maj", "Juni", "Juli", "Augusti", "September", "Oktober",
          "November", "December")
THEME_LABELS = {SIP_THEME: "Samordnad individuell plan (SIP)"}
PERCENT = "0%"
BOLD = Font(bold=True)
Cell = str | int | float | None


@dataclass
class Table:
    """A sheet: header, body rows, the indexes of rows to set in bold, percentage columns and notes below."""
    title: str
    header: Sequence[str]
    rows: list[list[Cell]] = field(default_factory=list)
    bold_rows: set[int] = field(default_factory=set)
    percent_cols: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: Cell, bold: bool = False) -> None:
        if bold:
            self.bold_rows.add(len(self.rows))
        self.rows.append(list(cells))


def theme_label(name: str) -> str:
    return THEME_LABELS.get(name, name)


def principals_table(s: YearStats) -> Table:
    t = Table("Tabell 1 Huvudmän", ("Inkomna avvikelser", f"Antal {s.year}", "Andel"), percent_cols={2})
    t.add("Mellan huvudmän", s.between, share(s.between, s.total))
    t.add("Inom samma huvudman", s.within, share(s.within, s.total))
    if s.unknown:
        t.add("Relation till huvudman okänd", s.unknown, share(s.unknown, s.total))
    t.add("Summa totalt", s.total, 1.0 if s.total else 0.0, bold=True)
    t.notes.append("I rapportens övriga tabeller redovisas avvikelser mellan huvudmän; "
                   "avvikelser inom samma huvudman redovisas för sig (bladet \"Inom huvudman\").")
    return t


def reporter_table(s: YearStats) -> Table:
    t = Table("Rapporterande verksamhet", ("Rapportör", f"Antal inkomna rapporter {s.year}", "Andel"),
              percent_cols={2})
    for name, n in s.by_reporter_type.items():
        t.add(name, n, share(n, s.between))
    t.add("Summa kommunal verksamhet", s.reporter_kommun, s.kommun_share, bold=True)
    t.add("Summa regional verksamhet", s.reporter_region, s.region_share, bold=True)
    if s.reporter_principal_unknown:
        t.add("Huvudman okänd", s.reporter_principal_unknown, share(s.reporter_principal_unknown, s.between),
              bold=True)
    t.add("Summa totalt", s.between, 1.0 if s.between else 0.0, bold=True)
    t.notes.append("Avvikelser mellan huvudmän.")
    return t


def receiver_table(s: YearStats) -> Table:
    t = Table("Mottagande verksamhet", ("Mottagande verksamhet", f"Antal inkomna rapporter {s.year}",
                                        "Andel av avvikelserna"), percent_cols={2})
    for name, n in s.by_receiver_type.items():
        t.add(name, n, share(n, s.between))
    t.add("Summa mottagna", s.receivers_total, None, bold=True)
    t.add("Antal avvikelser mellan huvudmän", s.between, None, bold=True)
    t.notes.append("Antalet mottagna avvikelser är fler än antalet inskickade när en avvikelse riktar sig "
                   "till mer än en verksamhet: den räknas då för varje mottagande verksamhet.")
    return t


def theme_table(s: YearStats) -> Table:
    t = Table("Teman", ("Temaområde (huvudtema)", f"Antal inkomna rapporter {s.year}", "Andel"), percent_cols={2})
    for name, n in s.by_theme.items():
        t.add(theme_label(name), n, share(n, s.between))
    t.add("Antal avvikelser mellan huvudmän", s.between, None, bold=True)
    t.add(None)
    t.add("Andel avvikelser mellan huvudmän som berör SIP", s.sip, s.sip_share, bold=True)
    for theme, subs in s.by_subtheme.items():
        t.add(None)
        t.add(f"Deltema inom {theme_label(theme)}", "Antal", "Andel av temat", bold=True)
        whole = s.by_theme.get(theme, 0)
        for name, n in subs.items():
            t.add(name, n, share(n, whole))
    if s.by_secondary_theme:
        t.add(None)
        t.add("Sekundära teman (räknas inte i summan)", "Antal", None, bold=True)
        for name, n in s.by_secondary_theme.items():
            t.add(theme_label(name), n, None)
    t.notes.append("Anledning till avvikelserapportering mellan huvudmän. Varje avvikelse har ett huvudtema, så "
                   "temana summerar till antalet avvikelser; övriga teman den berör redovisas som sekundära.")
    for name, rule in s.theme_rules.items():
        t.notes.append(f"Regel för {theme_label(name)}: {rule}.")
    for name, n in s.theme_corrected.items():
        t.notes.append(f"Satta av en person (en persons rättelse går före reglerna): {theme_label(name)} {n} st.")
    return t


def answer_table(s: YearStats) -> Table:
    t = Table("Svar", ("Svar på avvikelser", "Antal", "Andel"), percent_cols={2})
    t.add("Besvarade avvikelser mellan huvudmän", s.answered_between, s.answered_between_share, bold=True)
    t.add("Besvarade avvikelser", s.answered, s.answered_share, bold=True)
    t.add("Obesvarade avvikelser", s.total - s.answered, share(s.total - s.answered, s.total))
    t.add("Summa totalt", s.total, 1.0 if s.total else 0.0, bold=True)
    t.add("Svar med förbättringsförslag", s.with_improvements, share(s.with_improvements, s.answered))
    t.add(None)
    _outcome_rows(t, s)
    return t


def _outcome_rows(t: Table, s: YearStats) -> None:
    """The one outcome table, per answer: the same rows on both answer sheets."""
    t.add("Svarens utfall", "Antal svar", "Andel av svaren", bold=True)
    for name, n in s.outcomes.items():
        t.add(name, n, share(n, s.answers))
    t.add("Summa svar", s.answers, 1.0 if s.answers else 0.0, bold=True)
    t.notes.append("En avvikelse kan ha flera mottagare och därmed flera svar; varje svar får ett utfall. "
                   "Per utfall räknas de som en person har bekräftat; föreslagna utfall som ingen har bekräftat "
                   "och svar utan utfall (\"Ej angivet\") räknas för sig.")


def answers_table(s: YearStats) -> Table:
    """Per case: share with an answer, fully answered, answered in time; per answer: confirmed outcomes."""
    t = Table("Svar på avvikelser", ("Svar på avvikelser", "Antal", "Andel"), percent_cols={2})
    t.add("Avvikelser med minst ett svar", s.answered, s.answered_share)
    t.add("Helt besvarade (alla mottagare har svarat)", s.fully_answered, share(s.fully_answered, s.total))
    t.add("Besvarade inom två månader", s.answered_in_time, share(s.answered_in_time, s.total))
    t.add("Summa avvikelser", s.total, 1.0 if s.total else 0.0, bold=True)
    t.add(None)
    _outcome_rows(t, s)
    return t


def month_table(s: YearStats) -> Table:
    t = Table("Per månad", ("Månad", f"Antal inkomna avvikelser {s.year}"))
    for name, n in zip(MONTHS, s.by_month):
        t.add(name, n)
    t.add("Summa totalt", sum(s.by_month), bold=True)
    t.notes.append("Efter datum för första mottagandet (svensk tid).")
    return t


def within_table(s: YearStats) -> Table:
    t = Table("Inom huvudman", ("Rapporterande – mottagande verksamhet", "Antal"))
    for pair, n in s.within_pairs.items():
        t.add(pair, n)
    t.add("Summa inom samma huvudman", s.within, bold=True)
    if s.within:
        t.notes.append(f"Utöver avvikelserna mellan huvudmän tillkommer {s.within} st avvikelser inom samma "
                       f"huvudman: {', '.join(s.within_pair_labels)}.")
    return t


def of_total(n: int, total: int | None) -> str:
    """ "8 av 26" when the register gives the total, else "8"."""
    return f"{n} av {total}" if total else str(n)


def geography_table(s: YearStats) -> Table:
    """Where the deviations between principals come from and go to, by the organisation register's units."""
    t = Table("Geografi", ("Geografisk spridning", "Antal", "Av totalt"))
    t.add("Rapporterande kommuner", len(s.reporter_kommuner), s.kommuner_total or None, bold=True)
    for kommun, n in s.reporter_kommuner.items():
        t.add(f"  {kommun}", n, None)
    for kommun, areas in s.reporter_areas.items():
        t.add(f"Stadsdelar/områden i {kommun}", len(areas), s.areas_total.get(kommun) or None, bold=True)
        for area, n in areas.items():
            t.add(f"  {area}", n, None)
    for org_type, units in s.reporter_units.items():
        t.add(f"Rapporterande enheter: {org_type}", len(units), s.mottagningar_total.get(org_type) or None,
              bold=True)
        for unit, n in units.items():
            t.add(f"  {unit}", n, None)
    for org_type, units in s.receiver_units.items():
        t.add(f"Mottagande enheter: {org_type}", len(units), s.mottagningar_total.get(org_type) or None, bold=True)
        for unit, n in units.items():
            t.add(f"  {unit}", n, None)
    t.notes.append("Avvikelser mellan huvudmän, efter organisationsregistret (enhet, kommun, stadsdel/område); "
                   "\"Av totalt\" är registrets antal i länet.  Under en rubrik: antal avvikelser per enhet.")
    return t


def tables(s: YearStats) -> list[Table]:
    return [principals_table(s), reporter_table(s), receiver_table(s), theme_table(s), answer_table(s),
            answers_table(s), month_table(s), within_table(s), geography_table(s)]


def _fill(ws: Worksheet, table: Table) -> None:
    ws.append(list(table.header))
    for cell in ws[1]:
        cell.font = BOLD
    for i, row in enumerate(table.rows):
        ws.append(row)
        excel_row = ws.max_row
        for col, cell in enumerate(ws[excel_row]):
            _as_text(cell)
            if i in table.bold_rows:
                cell.font = BOLD
            if col in table.percent_cols and isinstance(cell.value, (int, float)):
                cell.number_format = PERCENT
    if table.notes:
        ws.append([])
        for note in table.notes:
            ws.append([note])
            ws.cell(ws.max_row, 1).alignment = Alignment(wrap_text=False)
    ws.freeze_panes = "A2"


def _as_text(cell: SheetCell) -> None:
    """A value a spreadsheet could run as a formula is written as text, quote-prefixed (parsers.safetext)."""
    if formula_like(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True


def _widths(ws: Worksheet, table: Table) -> None:
    for col, head in enumerate(table.header):
        values = [head, *(str(r[col]) for r in table.rows if col < len(r) and r[col] is not None)]
        width = max(len(v) for v in values) + 2
        ws.column_dimensions[get_column_letter(col + 1)].width = min(max(width, 10), 70)


def write_workbook(stats: YearStats, out: Path) -> Path:
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for table in tables(stats):
        ws = wb.create_sheet(table.title)
        _fill(ws, table)
        _widths(ws, table)
    wb.properties.title = f"BUS-avvikelser {stats.year}"
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
