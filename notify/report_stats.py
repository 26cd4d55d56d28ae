"""The yearly report's numbers: `YearStats` counted from one row per case (`ReportRow`), and the names and outcome
labels the report prints.  Pure: notify/report.py reads the rows from the store, notify/report_tables.py and
notify/report_charts.py draw what is counted here."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from parsers.safetext import shown

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
# Outcome keys of older stores and of the 2021 report (an answer's outcome is now one of the rules' labels,
# migration 0011 moved a case-level outcome onto its answers).
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
    by_theme: dict[str, int] = field(default_factory=dict)      # main theme: one per deviation, sums to between
    by_secondary_theme: dict[str, int] = field(default_factory=dict)  # the other themes, counted apart
    by_subtheme: dict[str, dict[str, int]] = field(default_factory=dict)  # main theme -> sub-theme -> n
    theme_rules: dict[str, str] = field(default_factory=dict)   # main theme -> the rule behind its count
    theme_corrected: dict[str, int] = field(default_factory=dict)  # main theme -> how many a person set
    # geography, by unit (the organisation register): between principals
    reporter_kommuner: dict[str, int] = field(default_factory=dict)            # kommun -> deviations
    reporter_areas: dict[str, dict[str, int]] = field(default_factory=dict)   # kommun -> stadsdel/area -> n
    reporter_units: dict[str, dict[str, int]] = field(default_factory=dict)   # type -> unit/mottagning -> n
    receiver_units: dict[str, dict[str, int]] = field(default_factory=dict)   # type -> unit/mottagning -> n
    receiver_cross: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # receiver->reporter->theme
    kommuner_total: int = 0                                                    # denominators from the register
    areas_total: dict[str, int] = field(default_factory=dict)
    mottagningar_total: dict[str, int] = field(default_factory=dict)
    sip: int = 0
    answered: int = 0
    answered_between: int = 0
    with_improvements: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)   # per answer: the one outcome table (`answer_outcomes`)
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
    def answered_between_share(self) -> float:
        """The headline: share of the deviations between principals that were answered (45 of 106 in 2021)."""
        return share(self.answered_between, self.between)

    @property
    def themes_total(self) -> int:
        """The main themes summed: always `between` (one main theme per deviation)."""
        return sum(self.by_theme.values())

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
class ReportRow:
    """One case as the report sees it, overrides applied."""
    month: int
    relation: str | None
    reporter: str
    reporter_principal: str | None
    receivers: tuple[str, ...]
    themes: tuple[str, ...]
    responded: bool
    improvements: bool
    fully_answered: bool = False
    answered_in_time: bool = False
    answer_outcomes: tuple[tuple[str | None, str | None], ...] = ()   # (outcome, source) of each answer
    case_id: str = ""
    main_theme: str = ""                    # one per deviation ("" in rows made before: the first of `themes`)
    secondary_themes: tuple[str, ...] = ()
    subtheme: str | None = None
    theme_rule: str = ""                    # why `main_theme`
    theme_corrected: bool = False
    reporter_unit: str = ""                 # the register's unit (mottagning) of the reporter
    reporter_kommun: str = ""
    reporter_area: str = ""
    receiver_units: tuple[tuple[str, str], ...] = ()   # (type, unit) of each receiver, from the register

    @property
    def main(self) -> str:
        return self.main_theme or (self.themes[0] if self.themes else UNKNOWN)

    @property
    def secondary(self) -> tuple[str, ...]:
        return self.secondary_themes if self.main_theme else self.themes[1:]


def type_names(value: Any) -> tuple[str, ...]:
    """A list of type or theme names; an override typed as text may hold several separated by ';'."""
    if value is None:
        return ()
    items = value.split(";") if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(type_name(x) for x in items if str(x).strip()))


def type_name(value: Any) -> str:
    """A type or theme name as printed: trimmed, with any personnummer redacted (names are not free text,
    but a human override could hold anything)."""
    text = str(value).strip() if value is not None else ""
    return shown(text) if text else UNKNOWN


def outcome_label(raw: Any) -> str | None:
    """The report's label of an outcome as recorded: a legacy key, or a label as `case set` now takes them."""
    if raw is None or not str(raw).strip():
        return None
    key = str(raw).strip().lower()
    return OUTCOMES.get(key) or next((o for o in OUTCOME_ORDER if o.lower() == key), "Annat")


def _reporter_table(rows: list[ReportRow]) -> dict[str, int]:
    counts = Counter(r.reporter for r in rows)
    table = {t: counts.pop(t, 0) for t in STANDARD_TYPES}
    table.update(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return table


def _ranked(counts: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(counts).items(), key=lambda kv: (-kv[1], kv[0])))


SUGGESTED = "Föreslaget utfall, ej bekräftat"
NOT_GIVEN = "Ej angivet"


def outcome_key(label: str | None, source: str | None) -> str:
    """The row of the outcome table one answer counts in: its confirmed label, else suggested, else none."""
    if label and source == "set":
        return label
    return SUGGESTED if label else NOT_GIVEN


def answer_outcomes(given: list[tuple[str | None, str | None]], labels: Iterable[str]) -> dict[str, int]:
    """The one outcome table, per answer: each outcome a person confirmed (the rules' labels in their order,
    then any other recorded), then the answers with only a suggested outcome, then those with none."""
    confirmed = Counter(label for label, source in given if source == "set" and label)
    order = [*labels, *sorted(set(confirmed) - set(labels))]
    table = {k: confirmed[k] for k in order if confirmed[k]}
    suggested = sum(1 for label, source in given if source != "set" and label)
    none = sum(1 for label, source in given if not label)
    return {**table, **({SUGGESTED: suggested} if suggested else {}), **({NOT_GIVEN: none} if none else {})}


def _answer_stats(rows: list[ReportRow], labels: Iterable[str]) -> dict[str, Any]:
    given = [o for r in rows for o in r.answer_outcomes]
    table = answer_outcomes(given, labels)
    return {"fully_answered": sum(r.fully_answered for r in rows),
            "answered_in_time": sum(r.answered_in_time for r in rows), "answers": len(given),
            "outcomes": table,
            "confirmed_outcomes": {k: n for k, n in table.items() if k not in (SUGGESTED, NOT_GIVEN)},
            "suggested_outcomes": table.get(SUGGESTED, 0), "no_outcome": table.get(NOT_GIVEN, 0)}


def _subthemes(rows: list[ReportRow]) -> dict[str, dict[str, int]]:
    out: dict[str, Counter[str]] = {}
    for r in rows:
        if r.subtheme:
            out.setdefault(r.main, Counter())[r.subtheme] += 1
    return {theme: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for theme, c in out.items()}


def _theme_rules(rows: list[ReportRow]) -> dict[str, str]:
    rules: dict[str, str] = {}
    for r in rows:
        if r.theme_rule and not r.theme_corrected:
            rules.setdefault(r.main, r.theme_rule)
    return rules


def _nested(pairs: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    out: dict[str, Counter[str]] = {}
    for outer, inner in pairs:
        if outer and inner:
            out.setdefault(outer, Counter())[inner] += 1
    return {k: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for k, c in sorted(out.items())}


def _cross(rows: list[ReportRow]) -> dict[str, dict[str, dict[str, int]]]:
    """Receiving type -> reporting type -> main theme -> deviations (2021: BUP 74, 47 from socialtjänst, 35 SIP)."""
    out: dict[str, dict[str, Counter[str]]] = {}
    for r in rows:
        for receiver in r.receivers:
            out.setdefault(receiver, {}).setdefault(r.reporter, Counter())[r.main] += 1
    return {rec: {rep: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))
                  for rep, c in sorted(reps.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))}
            for rec, reps in out.items()}


def _within_pairs(rows: list[ReportRow]) -> dict[str, int]:
    pairs = Counter(f"{r.reporter} – {' och '.join(r.receivers)}" for r in rows)
    return dict(sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])))


def stats_from_rows(year: int, rows: list[ReportRow], outcome_labels: Iterable[str] = ()) -> YearStats:
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
        by_theme=_ranked(r.main for r in between),
        by_secondary_theme=_ranked(t for r in between for t in r.secondary),
        by_subtheme=_subthemes(between),
        theme_rules=_theme_rules(between),
        theme_corrected=_ranked(r.main for r in between if r.theme_corrected),
        reporter_kommuner=_ranked(r.reporter_kommun for r in between if r.reporter_kommun),
        reporter_areas=_nested((r.reporter_kommun, r.reporter_area) for r in between),
        reporter_units=_nested((r.reporter, r.reporter_unit) for r in between),
        receiver_units=_nested(pair for r in between for pair in dict.fromkeys(r.receiver_units)),
        receiver_cross=_cross(between),
        sip=sum(1 for r in between if r.main == SIP_THEME),
        answered=sum(1 for r in rows if r.responded),
        answered_between=sum(1 for r in between if r.responded),
        with_improvements=sum(1 for r in rows if r.responded and r.improvements),
        by_month=tuple(months[m] for m in range(1, 13)),
        within_pairs=_within_pairs(within),
        **_answer_stats(rows, outcome_labels),
    )
