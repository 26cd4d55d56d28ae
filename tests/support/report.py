"""A generated year for the yearly report tests: 127 deviations in 2021 with known totals, and cases in 2020
and 2022 that must not count."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from notify.report import YearStats, yearly_stats
from store.db import Database
from store.fields import LEGACY_OUTCOMES
from store.models import Case, CaseAnswer

SIP = "SIP"
REMISS = "Remisshantering"
SYNP = "Synpunkter på annan verksamhets utförande av uppdrag"
STRUKT = "Samverkan på strukturell nivå"
OVRIG = "Övrig samverkan runt individ"
OKLAR = "Oklara gränser för uppdrag och ansvar"
PRINCIPAL = {"Socialtjänst": "kommun", "Elevhälsa": "kommun", "Skola": "kommun", "BUP": "region",
             "BUMM": "region", "Habilitering": "region", "Kommun, övrigt": "kommun"}
PNR = "811228-9874"


@dataclass
class Spec:
    """A group of identical deviations as the parser classified them, with the overrides a human set."""
    n: int
    reporter: str | None
    receivers: list[str]
    themes: list[str]
    overrides: dict[str, Any] = field(default_factory=dict)

    def classification(self) -> dict[str, Any]:
        rep_p = PRINCIPAL.get(self.reporter or "")
        rec_p = list(dict.fromkeys(PRINCIPAL[r] for r in self.receivers))
        relation = None if not (rep_p and rec_p) else "within" if set(rec_p) == {rep_p} else "between"
        return {"reporter_org_type": self.reporter, "reporter_principal": rep_p,
                "receiver_org_types": self.receivers, "receiver_principals": rec_p,
                "principal_relation": relation, "themes": self.themes}


SPECS_2021 = [
    # between principals: 106
    Spec(40, "Socialtjänst", ["BUP"], [SIP]),
    Spec(5, "Socialtjänst", ["BUP", "Habilitering"], [SIP]),
    Spec(20, "Elevhälsa", ["BUP"], [REMISS]),
    Spec(7, "Elevhälsa", ["BUMM"], [REMISS]),
    Spec(6, "BUP", ["Socialtjänst"], [SIP]),
    Spec(3, "BUP", ["Skola"], [SYNP]),
    Spec(8, "Socialtjänst", ["BUMM"], [OVRIG]),
    Spec(4, "Skola", ["Habilitering"], [STRUKT, SIP]),
    Spec(2, "Habilitering", ["Socialtjänst"], [OKLAR]),
    # the parser could not tell; a human made them Socialtjänst → BUP, SIP
    Spec(5, "Kommun, övrigt", [], [OVRIG],
         {"reporter_org_type": "Socialtjänst", "receiver_org_types": ["BUP"], "principal_relation": "between",
          "themes": [SIP]}),
    # the parser said Socialtjänst → BUP; a human corrected the type (principal then comes from the type)
    Spec(6, "Socialtjänst", ["BUP"], [SIP],
         {"reporter_org_type": "Habilitering", "receiver_org_types": ["Socialtjänst"], "themes": [OKLAR]}),
    # within one principal: 18
    Spec(6, "Socialtjänst", ["Skola"], [SIP]),
    Spec(5, "BUMM", ["BUP"], [REMISS]),
    Spec(4, "Habilitering", ["BUP"], [SIP]),
    Spec(2, "Skola", ["Socialtjänst"], [OKLAR]),
    Spec(1, "Socialtjänst", ["BUP"], [SIP], {"receiver_org_types": ["Skola"], "principal_relation": "within"}),
    # relation unknown: 3
    Spec(3, None, [], [OVRIG]),
]
OUTCOMES = ["löst"] * 11 + ["förbättringsförslag"] * 19 + ["delvis löst"] * 4 + ["ej löst"] * 7


def _case(year: int, seq: int, received: datetime, spec: Spec, responded: bool) -> Case:
    return Case(case_id=f"BUS-{year}-{seq:04d}", year=year, seq=seq, first_received=received,
                response_due=received.date() + timedelta(days=61), fingerprint=f"fp{year}{seq}",
                text_fingerprint=f"tf{year}{seq}", form={"event_type": "SIP", "description": f"Hemligtext {PNR}"},
                classification=spec.classification(), overrides=dict(spec.overrides), responded=responded,
                status="open")


def _answer(case: Case, k: int) -> None:
    """The k-th answered case: one answer (by another route, no mail needed here) with its outcome set by a
    person; the last four answered cases have an answer without outcome."""
    label = LEGACY_OUTCOMES[OUTCOMES[k]] if k < len(OUTCOMES) else None
    improvements = "Vi ser över rutinen." if label == "Förbättringsförslag" else None
    case.answer_rows.append(CaseAnswer(
        message=None, receiver_email=None, attributed_by="manual", channel="other", description="Svar",
        improvements=improvements, received_date=None, manager={}, from_form=False, outcome=label,
        outcome_source="set" if label else None, outcome_by="tester" if label else None))


def generated_2021() -> list[Case]:
    """127 cases: month of case i is i % 12 + 1 (Swedish time); every third one answered (43), three more
    answered by override and one answered case overridden back to unanswered: 45 answered."""
    flat = [spec for spec in SPECS_2021 for _ in range(spec.n)]
    cases, k = [], 0
    for i, spec in enumerate(flat):
        received = datetime(2021, i % 12 + 1, 15, 9, 0, tzinfo=UTC)
        if i == 0:  # 00:30 on New Year's Day in Stockholm: January 2021, though December in UTC
            received = datetime(2020, 12, 31, 23, 30, tzinfo=UTC)
        case = _case(2021, i + 1, received, spec, responded=i % 3 == 0)
        if i in (1, 2, 4):
            case.overrides = {**case.overrides, "responded": True}
        if i == 3:
            case.overrides = {**case.overrides, "responded": False}
        if (i % 3 == 0 and i != 3) or i in (1, 2, 4):
            _answer(case, k)
            k += 1
        cases.append(case)
    return cases


def other_years() -> list[Case]:
    spec = Spec(1, "Socialtjänst", ["BUP"], [SIP])
    late = datetime(2021, 12, 31, 23, 30, tzinfo=UTC)  # 2022-01-01 in Stockholm
    return [_case(2020, 1, datetime(2020, 6, 1, tzinfo=UTC), spec, True),
            _case(2020, 2, datetime(2020, 12, 31, 22, 0, tzinfo=UTC), spec, True),
            _case(2022, 1, late, spec, True),
            _case(2022, 2, datetime(2022, 3, 1, tzinfo=UTC), spec, False)]


@pytest.fixture
def filled(db: Database) -> Database:
    with db.session() as session:
        session.add_all(generated_2021() + other_years())
    return db


def _stats(db: Database, year: int = 2021) -> YearStats:
    with db.session() as session:
        return yearly_stats(session, year)


def sheet_rows(path: Path, sheet: str) -> dict[str, list[Any]]:
    ws = load_workbook(path)[sheet]
    return {str(r[0]): list(r[1:]) for r in ws.iter_rows(min_row=2, values_only=True) if r[0] is not None}
