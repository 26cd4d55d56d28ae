"""Every figure of the yearly report with the case ids behind it (the draft's appendix), and the period
(`2026`, `2026H1`) the report covers.

The figures are counted here from the same rows (`ReportRow`) and with the same rules as `YearStats`
(notify/report_stats.py): tests/test_report_docx.py checks that each figure's number of case ids equals the
number the .xlsx, the web report and the draft print."""

from __future__ import annotations

import re
from dataclasses import dataclass

from notify.report_stats import ReportRow, YearStats, outcome_key

PERIOD = re.compile(r"^\s*(\d{4})\s*(?:[Hh]([12]))?\s*$")


@dataclass(frozen=True)
class Period:
    year: int
    half: int | None = None  # 1: January–June, 2: July–December

    @property
    def months(self) -> range:
        return range(1, 13) if self.half is None else range(1, 7) if self.half == 1 else range(7, 13)

    @property
    def label(self) -> str:
        """As the text says it: "2026", "första halvåret 2026"."""
        if self.half is None:
            return str(self.year)
        return f"{'första' if self.half == 1 else 'andra'} halvåret {self.year}"

    @property
    def key(self) -> str:
        return str(self.year) if self.half is None else f"{self.year}H{self.half}"


def parse_period(text: str) -> Period:
    """ "2026", "2026H1" or "2026H2"; ValueError otherwise."""
    m = PERIOD.match(text)
    if not m:
        raise ValueError(f"expected a year or a half year such as 2026H1, got {text!r}")
    return Period(int(m.group(1)), int(m.group(2)) if m.group(2) else None)


@dataclass(frozen=True)
class Figure:
    section: str
    label: str
    case_ids: tuple[str, ...]

    @property
    def value(self) -> int:
        return len(self.case_ids)


def figures(s: YearStats, rows: list[ReportRow]) -> list[Figure]:
    """The figures of the draft, in its order, each with its cases."""
    between = [r for r in rows if r.relation == "between"]
    out = [
        Figure("Inkomna avvikelser", "Totalt", tuple(r.case_id for r in rows)),
        Figure("Inkomna avvikelser", "Mellan huvudmän", tuple(r.case_id for r in between)),
        Figure("Inkomna avvikelser", "Inom samma huvudman", tuple(r.case_id for r in rows if r.relation == "within")),
    ]
    if s.unknown:
        out.append(
            Figure(
                "Inkomna avvikelser",
                "Relation till huvudman okänd",
                tuple(r.case_id for r in rows if r.relation not in ("between", "within")),
            )
        )
    for name in s.by_reporter_type:
        out.append(Figure("Rapporterande verksamhet", name, tuple(r.case_id for r in between if r.reporter == name)))
    for label, principal in (("Summa kommunal verksamhet", "kommun"), ("Summa regional verksamhet", "region")):
        out.append(
            Figure(
                "Rapporterande verksamhet",
                label,
                tuple(r.case_id for r in between if r.reporter_principal == principal),
            )
        )
    for name in s.by_receiver_type:
        out.append(Figure("Mottagande verksamhet", name, tuple(r.case_id for r in between if name in r.receivers)))
    for name in s.by_theme:
        out.append(Figure("Teman (huvudtema)", name, tuple(r.case_id for r in between if r.main == name)))
        for sub in s.by_subtheme.get(name, {}):
            out.append(
                Figure(
                    "Delteman",
                    f"{name}: {sub}",
                    tuple(r.case_id for r in between if r.main == name and r.subtheme == sub),
                )
            )
    for name in s.by_secondary_theme:
        out.append(Figure("Sekundära teman", name, tuple(r.case_id for r in between if name in r.secondary)))
    for kommun in s.reporter_kommuner:
        out.append(
            Figure("Geografisk spridning", kommun, tuple(r.case_id for r in between if r.reporter_kommun == kommun))
        )
    out += [
        Figure("Svar", "Besvarade mellan huvudmän", tuple(r.case_id for r in between if r.responded)),
        Figure("Svar", "Besvarade, alla avvikelser", tuple(r.case_id for r in rows if r.responded)),
    ]
    for name in s.outcomes:      # per answer: a case id once for each of its answers in that row of the table
        out.append(Figure("Svarens utfall", name, tuple(r.case_id for r in rows for label, source in r.answer_outcomes
                                                        if outcome_key(label, source) == name)))
    return out


def expected(s: YearStats) -> dict[tuple[str, str], int]:
    """The same figures as `YearStats` holds them: what `figures` must agree with."""
    out = {
        ("Inkomna avvikelser", "Totalt"): s.total,
        ("Inkomna avvikelser", "Mellan huvudmän"): s.between,
        ("Inkomna avvikelser", "Inom samma huvudman"): s.within,
        ("Rapporterande verksamhet", "Summa kommunal verksamhet"): s.reporter_kommun,
        ("Rapporterande verksamhet", "Summa regional verksamhet"): s.reporter_region,
        ("Svar", "Besvarade mellan huvudmän"): s.answered_between,
        ("Svar", "Besvarade, alla avvikelser"): s.answered,
    }
    if s.unknown:
        out[("Inkomna avvikelser", "Relation till huvudman okänd")] = s.unknown
    out.update({("Rapporterande verksamhet", k): v for k, v in s.by_reporter_type.items()})
    out.update({("Mottagande verksamhet", k): v for k, v in s.by_receiver_type.items()})
    out.update({("Teman (huvudtema)", k): v for k, v in s.by_theme.items()})
    out.update({("Delteman", f"{t}: {k}"): v for t, subs in s.by_subtheme.items() for k, v in subs.items()})
    out.update({("Sekundära teman", k): v for k, v in s.by_secondary_theme.items()})
    out.update({("Geografisk spridning", k): v for k, v in s.reporter_kommuner.items()})
    out.update({("Svarens utfall", k): v for k, v in s.outcomes.items()})
    return out


def kommun_lines(rows: list[ReportRow], kommun: str, period_label: str) -> list[str]:
    """A per-municipality extract as the city's own report reuses the figures (seed 004): "Socialtjänsten i
    Stockholm skickade totalt in 56 avvikelser under 2021, varav 33 var ställda till BUP och de flesta handlade
    om SIP." — deviations between principals whose reporter is in `kommun` (organisation register)."""
    from collections import Counter

    mine = [r for r in rows if r.relation == "between" and r.reporter_kommun.casefold() == kommun.casefold()]
    if not mine:
        return [f"Inga avvikelser mellan huvudmän från {kommun} under {period_label}."]
    lines = [f"Från {kommun} kom {len(mine)} avvikelser mellan huvudmän under {period_label}."]
    by_type = Counter(r.reporter for r in mine)
    for org_type, n in sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0])):
        sent = [r for r in mine if r.reporter == org_type]
        receiver, rn = Counter(t for r in sent for t in r.receivers).most_common(1)[0]
        to_receiver = [r for r in sent if receiver in r.receivers]
        theme, tn = Counter(r.main for r in to_receiver).most_common(1)[0]
        most = "majoriteten" if tn * 2 > len(to_receiver) else "flest"
        lines.append(f"{org_type} i {kommun} skickade in {n} avvikelser, varav {rn} var ställda till {receiver} "
                     f"och {most} av dem ({tn} st.) handlade om {theme}.")
    return lines
