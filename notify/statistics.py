"""The anonymised statistics row of each case (`CaseStatistics`): the yearly report's `ReportRow`, kept apart from
the case so that the report of a culled year stays the same.

`refresh_statistics` writes the row of every case whose details are still there (a frozen row, of a case whose
free text or contacts were culled, is never rewritten); `busavvik retention apply` runs it before it culls.
`frozen_rows` gives the report (notify/report.py `load_rows`) the rows it must read instead of the culled case.
Only organisation types, theme names, outcome labels, months and yes/no reach the row: no free text, no contact.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.localzone import STOCKHOLM, LocalTime
from config.orgregister import Register
from config.rules import Rules
from notify.report_stats import DEFAULT_PRINCIPALS, ReportRow
from store.caseview import CaseView, views
from store.models import CaseStatistics


def _row_values(view: CaseView, row: ReportRow) -> dict[str, object]:
    return {"year": view.year, "month": row.month, "relation": row.relation, "reporter": row.reporter,
            "reporter_principal": row.reporter_principal, "receivers": list(row.receivers),
            "themes": list(row.themes), "main_theme": row.themes[0] if row.themes else None,
            "responded": row.responded, "improvements": row.improvements,
            "outcome": row.answer_outcomes[0][0] if row.answer_outcomes else None,
            "fully_answered": row.fully_answered, "answered_in_time": row.answered_in_time,
            "answer_outcomes": [list(pair) for pair in row.answer_outcomes],
            "area": getattr(view.classification, "area", None) or row.reporter_area or None,
            "detail": {name: _plain(getattr(row, name)) for name in DETAIL}}


# ReportRow fields kept in the statistics row's `detail` (unit names and rule names; no free text, no contact)
DETAIL = ("case_id", "main_theme", "secondary_themes", "subtheme", "theme_rule", "theme_corrected",
          "reporter_unit", "reporter_kommun", "reporter_area", "receiver_units")


def _plain(value: object) -> object:
    return [_plain(v) for v in value] if isinstance(value, tuple) else value


def _tupled(value: object) -> object:
    return tuple(_tupled(v) for v in value) if isinstance(value, list) else value


def refresh_statistics(session: Session, principals: Mapping[str, str] | None = None,
                       year: int | None = None, rules: Rules | None = None, register: Register | None = None,
                       zone: LocalTime = STOCKHOLM) -> int:
    """Write the statistics row of every case (of `year`) that is not frozen; returns how many were written."""
    from notify.report import report_row  # notify/report.py reads this module for its fallback

    known = {**DEFAULT_PRINCIPALS, **(principals or {})}
    existing = {s.case_pk: s for s in session.scalars(select(CaseStatistics).where(
        *([CaseStatistics.year == year] if year is not None else [])))}
    now, written = datetime.now(UTC), 0
    for view in views(session, year):
        stats = existing.get(view.pk)
        if stats is not None and stats.frozen:
            continue
        if stats is None:
            stats = CaseStatistics(case_pk=view.pk, frozen=False)
            session.add(stats)
        for key, value in _row_values(view, report_row(view, known, rules, register, zone)).items():
            setattr(stats, key, value)
        stats.updated_at = now
        written += 1
    session.flush()
    return written


def as_report_row(stats: CaseStatistics) -> ReportRow:
    return ReportRow(
        month=stats.month, relation=stats.relation, reporter=stats.reporter,
        reporter_principal=stats.reporter_principal, receivers=tuple(stats.receivers or ()),
        themes=tuple(stats.themes or ()), responded=stats.responded, improvements=stats.improvements,
        fully_answered=stats.fully_answered, answered_in_time=stats.answered_in_time,
        answer_outcomes=tuple((o, s) for o, s in (stats.answer_outcomes or ())),
        **{name: _tupled(value) for name, value in (stats.detail or {}).items() if name in DETAIL})  # type: ignore[arg-type]


def frozen_rows(session: Session, year: int) -> dict[int, ReportRow]:
    """case pk → its statistics row, for the cases of `year` whose details were culled."""
    query = select(CaseStatistics).where(CaseStatistics.year == year, CaseStatistics.frozen.is_(True))
    return {s.case_pk: as_report_row(s) for s in session.scalars(query)}
