"""The yearly report: the annual reports' tables computed from the stored cases, written as .xlsx and PNG.

Counting follows the secretariat's annual reports (2020, 2021): the focus is deviations *between* principals
(kommun/region); those *within* one principal are counted apart and listed as reporter–receiver pairs.
A deviation sent to two receiving organisation types counts once for each.  Each case is read as its
`CaseView` (store/caseview.py): human corrections win over the parser, as in the export.  Only type names and
theme names reach the report: no free text.  The counting itself is notify/report_stats.py.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from config.localzone import STOCKHOLM, LocalTime
from config.orgregister import Place, Register, load_register, lookup
from config.rules import Rules, default_rules
from notify.report_stats import (  # noqa: F401 -- still importable from here
    DEFAULT_PRINCIPALS,
    OUTCOMES,
    SIP_THEME,
    UNKNOWN,
    ReportRow,
    YearStats,
    outcome_label,
    share,
    stats_from_rows,
    type_name,
    type_names,
)
from parsers.classify import receiver_units, theme_text
from parsers.safetext import shown
from parsers.themes import choose
from store.caseview import CaseView, views


def _reporter_principal(view: CaseView, reporter: str, principals: Mapping[str, str]) -> str | None:
    c = view.classification
    if not view.corrected("reporter_org_type") and c.reporter_principal:
        return str(c.reporter_principal)
    return principals.get(reporter)


def _first_answer(view: CaseView, zone: LocalTime = STOCKHOLM) -> date | None:
    days = [zone.day(a.received) for a in view.answers]
    return min(days) if days else None


def _answer_facts(view: CaseView, responded: bool, zone: LocalTime = STOCKHOLM) -> dict[str, Any]:
    first = _first_answer(view, zone)
    return {"fully_answered": responded and not view.awaited,
            "answered_in_time": responded and first is not None and first <= view.response_due,
            "answer_outcomes": tuple((a.outcome, a.outcome_source) for a in view.answers)}


def _places(view: CaseView, register: Register, rules: Rules,
            zone: LocalTime = STOCKHOLM) -> tuple[Place, tuple[Place, ...]]:
    """The reporter's and the receivers' units in the register, on the day the deviation came."""
    day = zone.day(view.first_received)
    reporter = lookup(register, rules, view.form.reporter_unit or view.form.reporter_manager_unit,
                      view.reporters[0] if view.reporters else None, day)
    if view.receivers:
        receivers = tuple(lookup(register, rules, r.unit, r.email, day) for r in view.receivers)
    else:
        receivers = tuple(lookup(register, rules, u, None, day) for u in receiver_units(view.form))
    return reporter, receivers


def register_for(path: str | None) -> Register:
    """The organisation register at `path` (else the shipped one), read again when the file changes."""
    from config.orgregister import DEFAULT_REGISTER_PATH

    file = Path(path) if path else DEFAULT_REGISTER_PATH
    try:
        stamp = file.stat().st_mtime_ns
    except OSError:
        stamp = 0
    return _register_cached(path or "", stamp)


@lru_cache(maxsize=4)
def _register_cached(path: str, stamp: int) -> Register:
    return load_register(path or None)


def unit_label(place: Place) -> str:
    """A unit as the report prints it: the register's name; else the form's text up to its first comma or line
    break (a name or a phone number written after the unit stays out), personnummer redacted."""
    name = place.mottagning or place.unit
    first = name.replace("\n", ",").split(",")[0].strip()
    return shown(first[:60])


def _receiver_pairs(receivers: tuple[Place, ...], types: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(type, unit) per receiver; a receiver the register does not type takes the case's only receiver type."""
    only = types[0] if len(types) == 1 else ""
    return tuple(dict.fromkeys((p.type or only, unit_label(p)) for p in receivers
                               if (p.type or only) and (p.mottagning or p.unit)))


def report_row(view: CaseView, principals: Mapping[str, str], rules: Rules | None = None,
               register: Register | None = None, zone: LocalTime = STOCKHOLM) -> ReportRow:
    c = view.classification
    reporter = type_name(c.reporter_org_type)
    relation = c.principal_relation
    themes = type_names(c.themes)
    rules = rules or default_rules()
    pick = choose(themes, theme_text(view.form), rules, corrected=view.corrected("themes"))
    rep_place, rec_places = _places(view, register or load_register(), rules, zone)
    receivers = type_names(c.receiver_org_types) or (UNKNOWN,)
    return ReportRow(
        reporter_unit=unit_label(rep_place), reporter_kommun=rep_place.kommun,
        reporter_area=rep_place.area, receiver_units=_receiver_pairs(rec_places, receivers),
        case_id=view.case_id,
        main_theme=type_name(pick.main), secondary_themes=type_names(pick.secondary), subtheme=pick.subtheme,
        theme_rule=pick.rule, theme_corrected=view.corrected("themes"),
        month=zone.day(view.first_received).month,
        relation=relation if relation in ("between", "within") else None,
        reporter=reporter,
        reporter_principal=_reporter_principal(view, reporter, principals),
        receivers=receivers,
        themes=themes,
        responded=view.responded,
        improvements=any((a.improvements or "").strip() for a in view.answers),
        **_answer_facts(view, view.responded, zone),
    )


def load_rows(session: Session, year: int, principals: Mapping[str, str] | None = None,
              rules: Rules | None = None, register: Register | None = None,
              zone: LocalTime = STOCKHOLM) -> list[ReportRow]:
    """One row per case of `year`; a case whose details were culled is read from its frozen statistics row
    (notify/statistics.py), so a culled year's report stays the same."""
    from notify.statistics import frozen_rows

    known = {**DEFAULT_PRINCIPALS, **(principals or {})}
    rules = rules or default_rules()
    register = register or load_register()
    kept = frozen_rows(session, year)
    return [kept.get(view.pk) or report_row(view, known, rules, register, zone)
            for view in views(session, year)]


def with_register(stats: YearStats, register: Register) -> YearStats:
    """The stats with the register's denominators (kommuner, stadsdelar, mottagningar in the county)."""
    return replace(stats, kommuner_total=register.kommuner_total, areas_total=dict(register.areas_total),
                   mottagningar_total=dict(register.mottagningar_total))


@dataclass(frozen=True)
class ReportData:
    """The stats and the rows they were counted from (the draft's appendix lists the rows' case ids)."""
    stats: YearStats
    rows: list[ReportRow]


def report_data(session: Session, year: int, principals: Mapping[str, str] | None = None,
                outcome_labels: Iterable[str] = (), rules: Rules | None = None, register: Register | None = None,
                months: Iterable[int] = range(1, 13), zone: LocalTime = STOCKHOLM) -> ReportData:
    """The report's numbers for `year` (or the months of a half year) and their rows: ONE counting for the .xlsx,
    the web report, the charts and the Word draft."""
    register = register or load_register()
    keep = set(months)
    rows = [r for r in load_rows(session, year, principals, rules, register, zone) if r.month in keep]
    return ReportData(with_register(stats_from_rows(year, rows, outcome_labels), register), rows)


def yearly_stats(session: Session, year: int, principals: Mapping[str, str] | None = None,
                 outcome_labels: Iterable[str] = (), rules: Rules | None = None,
                 register: Register | None = None, zone: LocalTime = STOCKHOLM) -> YearStats:
    """The numbers of the annual report for `year` (the year of first receipt in the configured zone, worker.timezone).

    `principals` maps organisation type → "kommun"/"region" (from the rules); it is needed only where a human
    overrode the reporting type, the shipped defaults are used otherwise."""
    return report_data(session, year, principals, outcome_labels, rules, register, zone=zone).stats


def write_report(stats: YearStats, out: Path, charts_dir: Path | None = None) -> list[Path]:
    """The workbook at `out` and, with `charts_dir`, the PNG charts; returns every file written."""
    from notify.report_tables import write_workbook

    written = [write_workbook(stats, out)]
    if charts_dir is not None:
        from notify.report_charts import write_charts

        written += write_charts(stats, charts_dir)
    return written


def write_draft(session: Session, period_text: str, out: Path, *, rules: Rules | None = None,
                register: Register | None = None, history_path: str | None = None, texts_path: Path | None = None,
                template: Path | None = None, kommun: str | None = None, made: date | None = None,
                zone: LocalTime = STOCKHOLM) -> Path:
    """The yearly (or half-yearly) report drafted as Word at `out`: the same counting as the .xlsx."""
    from config.history import load_history
    from notify.report_docx import FIRST_HISTORY_YEAR, DraftInput, DraftQuote, build_draft, load_texts
    from notify.report_figures import figures, kommun_lines, parse_period

    period = parse_period(period_text)
    rules = rules or default_rules()
    register = register or load_register()
    principals = {o.type: o.principal for o in rules.organisations}
    data = report_data(session, period.year, principals, rules.outcome_labels, rules, register, period.months,
                       zone)
    earlier = {y: report_data(session, y, principals, rules.outcome_labels, rules, register, zone=zone).stats
               for y in range(FIRST_HISTORY_YEAR, period.year)}
    lines = kommun_lines(data.rows, kommun, period.label) if kommun else ()
    from store.quotes import quotes

    rows = {r.case_id: r for r in data.rows}
    chosen = [DraftQuote(q.case_id, q.text, q.source, rows[q.case_id].main, rows[q.case_id].receivers)
              for q in quotes(session, year=period.year, approved_only=True) if q.case_id in rows]
    draft = DraftInput(data.stats, period, figures(data.stats, data.rows), load_history(history_path),
                       earlier, load_texts(texts_path), lines, made, chosen)
    return build_draft(draft, out, template)
