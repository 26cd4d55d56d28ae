"""The yearly report: the annual reports' tables computed from the stored cases, written as .xlsx and PNG.

Counting follows the secretariat's annual reports (2020, 2021): the focus is deviations *between* principals
(kommun/region); those *within* one principal are counted apart and listed as reporter–receiver pairs.
A deviation sent to two receiving organisation types counts once for each.  Human overrides win over the
parser, as in the export.  Only type names and theme names reach the report: no free text.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.localzone import local_day
from parsers.safetext import shown
from store.export import WITH_ANSWERS, _classification
from store.models import Case
from store.receivers import awaited

UNKNOWN = "Okänd"
SIP_THEME = "SIP"
# The reporting types the 2020 report always lists, zeros included, in its order.
STANDARD_TYPES = ("Socialtjänst", "BUP", "Habilitering", "Skola", "Elevhälsa", "Förskola", "BUMM")
# Principal of each organisation type in the shipped rules; used when a human overrode the type.
DEFAULT_PRINCIPALS: Mapping[str, str] = {
    "BUMM": "region", "BUP": "region", "Habilitering": "region", "Vårdcentral": "region",
    "Region, övrigt": "region", "Elevhälsa": "kommun", "Förskola": "kommun", "Skola": "kommun",
    "Socialtjänst": "kommun", "Kommun, övrigt": "kommun",
}
# Answer outcomes as the 2021 report groups them; recorded in overrides["response_outcome"] or
# response["outcome"].  Anything else recorded counts as "Annat"; nothing recorded as "Ej angivet".
OUTCOMES: Mapping[str, str] = {
    "löst": "Löst genom kommunikationen", "lost": "Löst genom kommunikationen",
    "resolved": "Löst genom kommunikationen",
    "förbättringsförslag": "Förbättringsförslag", "improvement": "Förbättringsförslag",
    "delvis löst": "Delvis löst, fortsatt utvecklingsarbete", "delvis": "Delvis löst, fortsatt utvecklingsarbete",
    "partly": "Delvis löst, fortsatt utvecklingsarbete",
    "ej löst": "Ej löst", "inte löst": "Ej löst", "not_resolved": "Ej löst", "unresolved": "Ej löst",
}
OUTCOME_ORDER = ("Löst genom kommunikationen", "Förbättringsförslag", "Delvis löst, fortsatt utvecklingsarbete",
                 "Ej löst", "Annat", "Ej angivet")
OUTCOME_OVERRIDE = "response_outcome"


@dataclass(frozen=True)
class YearStats:
    """The annual report's numbers for one year.  Type/theme/receiver tables cover between-principal ones."""
    year: int
    total: int
    between: int
    within: int
    unknown: int
    by_reporter_type: dict[str, int] = field(default_factory=dict)
    reporter_kommun: int = 0
    reporter_region: int = 0
    reporter_principal_unknown: int = 0
    by_receiver_type: dict[str, int] = field(default_factory=dict)
    by_theme: dict[str, int] = field(default_factory=dict)
    sip: int = 0
    answered: int = 0
    answered_between: int = 0
    with_improvements: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    by_month: tuple[int, ...] = (0,) * 12
    within_pairs: dict[str, int] = field(default_factory=dict)
    fully_answered: int = 0                 # every receiver expected to answer has answered
    answered_in_time: int = 0               # a first answer by the due date (first receipt + 2 months)
    answers: int = 0                        # answers (one per answering receiver and message)
    confirmed_outcomes: dict[str, int] = field(default_factory=dict)   # outcomes a person set, by label
    suggested_outcomes: int = 0             # answers whose outcome is only suggested by the rules
    no_outcome: int = 0                     # answers with neither

    @property
    def sip_share(self) -> float:
        """Share of the between-principal deviations concerning SIP (Tabell 7 of the 2021 report)."""
        return share(self.sip, self.between)

    @property
    def answered_share(self) -> float:
        """Share of all deviations of the year that were answered (45 of 127 in 2021)."""
        return share(self.answered, self.total)

    @property
    def kommun_share(self) -> float:
        return share(self.reporter_kommun, self.between)

    @property
    def region_share(self) -> float:
        return share(self.reporter_region, self.between)

    @property
    def receivers_total(self) -> int:
        return sum(self.by_receiver_type.values())

    @property
    def within_pair_labels(self) -> list[str]:
        """As the 2020 report lists them: "Socialtjänst – Skola (3 st)"."""
        return [f"{pair} ({n} st)" for pair, n in self.within_pairs.items()]


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True)
class _Row:
    """One case as the report sees it, overrides applied."""
    month: int
    relation: str | None
    reporter: str
    reporter_principal: str | None
    receivers: tuple[str, ...]
    themes: tuple[str, ...]
    responded: bool
    improvements: bool
    outcome: str | None
    fully_answered: bool = False
    answered_in_time: bool = False
    answer_outcomes: tuple[tuple[str | None, str | None], ...] = ()   # (outcome, source) of each answer


def _names(value: Any) -> tuple[str, ...]:
    """A list of type or theme names; an override typed as text may hold several separated by ';'."""
    if value is None:
        return ()
    items = value.split(";") if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(_label(x) for x in items if str(x).strip()))


def _label(value: Any) -> str:
    """A type or theme name as printed: trimmed, with any personnummer redacted (names are not free text,
    but a human override could hold anything)."""
    text = str(value).strip() if value is not None else ""
    return shown(text) if text else UNKNOWN


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "ja", "j", "y"}
    return bool(value)


def _outcome(case: Case) -> str | None:
    overrides = case.overrides or {}
    raw = overrides.get(OUTCOME_OVERRIDE, (case.response or {}).get("outcome"))
    if raw is None or not str(raw).strip():
        return None
    key = str(raw).strip().lower()  # a legacy key, or a label as `case set` now takes them
    return OUTCOMES.get(key) or next((o for o in OUTCOME_ORDER if o.lower() == key), "Annat")


def _reporter_principal(case: Case, c: dict[str, Any], reporter: str,
                        principals: Mapping[str, str]) -> str | None:
    if "reporter_org_type" not in (case.overrides or {}) and c.get("reporter_principal"):
        return str(c["reporter_principal"])
    return principals.get(reporter)


def _first_answer(case: Case) -> date | None:
    days = [local_day(a.message.date or a.message.first_seen) for a in case.answer_rows]
    if not days and (case.response or {}).get("received_date"):
        try:
            days = [date.fromisoformat(str(case.response["received_date"]))]  # type: ignore[index]
        except ValueError:
            return None
    return min(days) if days else None


def _answer_facts(case: Case, responded: bool) -> dict[str, Any]:
    first = _first_answer(case)
    return {"fully_answered": responded and not awaited(case),
            "answered_in_time": responded and first is not None and first <= case.response_due,
            "answer_outcomes": tuple((a.outcome, a.outcome_source) for a in case.answer_rows)}


def _row(case: Case, principals: Mapping[str, str]) -> _Row:
    c = _classification(case)
    overrides = case.overrides or {}
    reporter = _label(c.get("reporter_org_type"))
    response = case.response or {}
    relation = c.get("principal_relation")
    responded = _truthy(overrides.get("responded", case.responded))
    return _Row(
        month=local_day(case.first_received).month,
        relation=relation if relation in ("between", "within") else None,
        reporter=reporter,
        reporter_principal=_reporter_principal(case, c, reporter, principals),
        receivers=_names(c.get("receiver_org_types")) or (UNKNOWN,),
        themes=_names(c.get("themes")),
        responded=responded,
        improvements=bool(str(response.get("improvements") or "").strip()),
        outcome=_outcome(case),
        **_answer_facts(case, responded),
    )


def load_rows(session: Session, year: int, principals: Mapping[str, str] | None = None) -> list[_Row]:
    known = {**DEFAULT_PRINCIPALS, **(principals or {})}
    cases = session.scalars(select(Case).options(*WITH_ANSWERS).where(Case.year == year).order_by(Case.seq))
    return [_row(case, known) for case in cases]


def _reporter_table(rows: list[_Row]) -> dict[str, int]:
    counts = Counter(r.reporter for r in rows)
    table = {t: counts.pop(t, 0) for t in STANDARD_TYPES}
    table.update(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return table


def _ranked(counts: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(counts).items(), key=lambda kv: (-kv[1], kv[0])))


def _outcomes(rows: list[_Row]) -> dict[str, int]:
    counts = Counter(r.outcome or "Ej angivet" for r in rows if r.responded)
    return {k: counts[k] for k in OUTCOME_ORDER if counts[k]}


def _answer_stats(rows: list[_Row], labels: Iterable[str]) -> dict[str, Any]:
    given = [o for r in rows for o in r.answer_outcomes]
    confirmed = Counter(label for label, source in given if source == "set" and label)
    order = [*labels, *sorted(set(confirmed) - set(labels))]
    return {"fully_answered": sum(r.fully_answered for r in rows),
            "answered_in_time": sum(r.answered_in_time for r in rows), "answers": len(given),
            "confirmed_outcomes": {k: confirmed[k] for k in order if confirmed[k]},
            "suggested_outcomes": sum(1 for label, source in given if source == "suggested"),
            "no_outcome": sum(1 for label, source in given if not label)}


def _within_pairs(rows: list[_Row]) -> dict[str, int]:
    pairs = Counter(f"{r.reporter} – {' och '.join(r.receivers)}" for r in rows)
    return dict(sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])))


def stats_from_rows(year: int, rows: list[_Row], outcome_labels: Iterable[str] = ()) -> YearStats:
    between = [r for r in rows if r.relation == "between"]
    within = [r for r in rows if r.relation == "within"]
    principals = Counter(r.reporter_principal for r in between)
    months = Counter(r.month for r in rows)
    return YearStats(
        year=year, total=len(rows), between=len(between), within=len(within),
        unknown=len(rows) - len(between) - len(within),
        by_reporter_type=_reporter_table(between),
        reporter_kommun=principals["kommun"], reporter_region=principals["region"],
        reporter_principal_unknown=len(between) - principals["kommun"] - principals["region"],
        by_receiver_type=_ranked(t for r in between for t in r.receivers),
        by_theme=_ranked(t for r in between for t in r.themes),
        sip=sum(1 for r in between if SIP_THEME in r.themes),
        answered=sum(1 for r in rows if r.responded),
        answered_between=sum(1 for r in between if r.responded),
        with_improvements=sum(1 for r in rows if r.responded and r.improvements),
        outcomes=_outcomes(rows),
        by_month=tuple(months[m] for m in range(1, 13)),
        within_pairs=_within_pairs(within),
        **_answer_stats(rows, outcome_labels),
    )


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
