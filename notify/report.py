"""The yearly report: the annual reports' tables computed from the stored cases, written as .xlsx and PNG.

Counting follows the secretariat's annual reports (2020, 2021): the focus is deviations *between* principals
(kommun/region); those *within* one principal are counted apart and listed as reporter–receiver pairs.
A deviation sent to two receiving organisation types counts once for each.  Each case is read as its
`CaseView` (store/caseview.py): human corrections win over the parser, as in the export.  Only type names and
theme names reach the report: no free text.  The counting itself is notify/report_stats.py.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from config.localzone import local_day
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
from store.caseview import CaseView, views


def _reporter_principal(view: CaseView, reporter: str, principals: Mapping[str, str]) -> str | None:
    c = view.classification
    if not view.corrected("reporter_org_type") and c.reporter_principal:
        return str(c.reporter_principal)
    return principals.get(reporter)


def _first_answer(view: CaseView) -> date | None:
    days = [local_day(a.received) for a in view.answers]
    return min(days) if days else None


def _answer_facts(view: CaseView, responded: bool) -> dict[str, Any]:
    first = _first_answer(view)
    return {"fully_answered": responded and not view.awaited,
            "answered_in_time": responded and first is not None and first <= view.response_due,
            "answer_outcomes": tuple((a.outcome, a.outcome_source) for a in view.answers)}


def report_row(view: CaseView, principals: Mapping[str, str]) -> ReportRow:
    c = view.classification
    reporter = type_name(c.reporter_org_type)
    relation = c.principal_relation
    return ReportRow(
        month=local_day(view.first_received).month,
        relation=relation if relation in ("between", "within") else None,
        reporter=reporter,
        reporter_principal=_reporter_principal(view, reporter, principals),
        receivers=type_names(c.receiver_org_types) or (UNKNOWN,),
        themes=type_names(c.themes),
        responded=view.responded,
        improvements=any((a.improvements or "").strip() for a in view.answers),
        **_answer_facts(view, view.responded),
    )


def load_rows(session: Session, year: int, principals: Mapping[str, str] | None = None) -> list[ReportRow]:
    known = {**DEFAULT_PRINCIPALS, **(principals or {})}
    return [report_row(view, known) for view in views(session, year)]


def yearly_stats(session: Session, year: int, principals: Mapping[str, str] | None = None,
                 outcome_labels: Iterable[str] = ()) -> YearStats:
    """The numbers of the annual report for `year` (the year of first receipt in the configured zone, worker.timezone).

    `principals` maps organisation type → "kommun"/"region" (from the rules); it is needed only where a human
    overrode the reporting type, the shipped defaults are used otherwise."""
    return stats_from_rows(year, load_rows(session, year, principals), outcome_labels)


def write_report(stats: YearStats, out: Path, charts_dir: Path | None = None) -> list[Path]:
    """The workbook at `out` and, with `charts_dir`, the PNG charts; returns every file written."""
    from notify.report_tables import write_workbook

    written = [write_workbook(stats, out)]
    if charts_dir is not None:
        from notify.report_charts import write_charts

        written += write_charts(stats, charts_dir)
    return written
