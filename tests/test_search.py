"""The case search in the database's own full-text index (store/search.py; issue 24, "Search"): by case id,
names, e-mail addresses, units and the form's text, ignoring case and accents, every word as a prefix; never by
a personnummer.  On SQLite (FTS5) and PostgreSQL (tsvector)."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text

from parsers.types import FormData
from store.db import Database
from store.models import Case, CaseAnswer, CaseReceiver
from store.views import CaseFilter, case_page

WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TODAY = date(2026, 4, 1)
PNR = "19121212-1212"


def _case(seq: int, form: FormData) -> Case:
    return Case(case_id=f"BUS-2026-{seq:04d}", year=2026, seq=seq, first_received=WHEN,
                response_due=date(2026, 5, 2), fingerprint="f", text_fingerprint="t", form=form)


def _forms() -> list[FormData]:
    forms = [FormData(event_type="Uteblivet SIP-möte", units_involved=(f"Nacka kommun enhet {i}",),
                      description="BUP kom inte till mötet", reporter_unit="Socialtjänsten",
                      reporter_contact_person="Karin Ek", reporter_email=f"karin{i}@example.se")
             for i in range(4)]
    forms.append(FormData(event_type="Remiss", units_involved=("BUP Södertälje",),
                          description=f"Remissen för barnet {PNR} kom bort", reporter_unit="Skolan i Nackanäs",
                          reporter_email="lars.berg@sodertalje.se", reporter_contact_person="Lars Berg"))
    forms.append(FormData(event_type="Journal", units_involved=("Vårdcentral Farsta",),
                          description="Journalen skickades inte", reporter_unit="Farsta skola",
                          reporter_email="eva@farsta.se"))
    return forms


@pytest.fixture
def store(db: Database) -> Database:
    with db.session(write=True) as s:
        for i, form in enumerate(_forms(), start=1):
            s.add(_case(i, form))
    return db


def _ids(db: Database, q: str) -> set[str]:
    with db.session() as s:
        rows, total = case_page(s, CaseFilter(q=q), TODAY)
    assert total == len(rows)
    return {r.case_id for r in rows}


NACKA = {"BUS-2026-0001", "BUS-2026-0002", "BUS-2026-0003", "BUS-2026-0004", "BUS-2026-0005"}


@pytest.mark.parametrize(("q", "expected"), [
    ("Nacka", NACKA),                                   # units and "Nackanäs": every word a prefix
    ("nack", NACKA),
    ("NACKA kommun", NACKA - {"BUS-2026-0005"}),
    ("Sodertalje", {"BUS-2026-0005"}),                  # accents ignored
    ("södertälje bup", {"BUS-2026-0005"}),
    ("lars.berg@sodertalje.se", {"BUS-2026-0005"}),     # an e-mail address
    ("karin2@example.se", {"BUS-2026-0003"}),
    ("Lars Berg", {"BUS-2026-0005"}),                   # a name
    ("BUS-2026-0006", {"BUS-2026-0006"}),               # a case id, exactly
    ("bus-2026-0002", {"BUS-2026-0002"}),
    ("vardcentral", {"BUS-2026-0006"}),
    ("journalen farsta", {"BUS-2026-0006"}),
    ("remissen", {"BUS-2026-0005"}),                    # the description (section 2)
    ("farsta nacka", set()),
    (PNR, set()),                                       # a personnummer finds nothing
    ("191212121212", set()),
    ("121212-1212", set()),
    ("personnummer", set()),                            # nor does the redaction mark
    ("\"'*:&|!()", set()),                              # the query syntaxes' characters are only text
    ("o'brien \\ x*", set()),
    ("kom\x00\x00nacka\u200b kommun", NACKA - {"BUS-2026-0005"}),   # control characters are spaces
])
def test_search(store: Database, q: str, expected: set[str]) -> None:
    assert _ids(store, q) == expected


def test_no_personnummer_in_the_index(store: Database) -> None:
    with store.session() as s:
        bodies = list(s.scalars(text("SELECT body FROM case_search")))
    assert len(bodies) == 6
    assert not any("1212" in b for b in bodies)


def test_answers_and_receivers_and_corrections_are_found_once_changed(store: Database) -> None:
    assert _ids(store, "Hornsberg") == set()
    with store.session(write=True) as s:
        case = s.scalars(select(Case).where(Case.case_id == "BUS-2026-0006")).one()
        s.add(CaseReceiver(case_pk=case.id, email="ola@region.se", unit="BUP Hornsberg"))
        s.add(CaseAnswer(case_pk=case.id, attributed_by="sender", description="Vi har sett över rutinen i Täby"))
    assert _ids(store, "hornsberg") == {"BUS-2026-0006"}
    assert _ids(store, "ola@region.se") == {"BUS-2026-0006"}
    assert _ids(store, "taby rutin") == {"BUS-2026-0006"}
    with store.session(write=True) as s:
        case = s.scalars(select(Case).where(Case.case_id == "BUS-2026-0001")).one()
        case.overrides = {"description": "Ändrat till Danderyd"}
    assert _ids(store, "danderyd") == {"BUS-2026-0001"}


def test_a_store_from_before_the_index_is_indexed_at_its_first_search(store: Database) -> None:
    with store.session(write=True) as s:
        s.execute(text("DELETE FROM case_search"))
    assert _ids(store, "Sodertalje") == {"BUS-2026-0005"}
    with store.session() as s:
        assert len(list(s.scalars(text("SELECT body FROM case_search")))) == 6


def test_search_combines_with_the_other_filters(store: Database) -> None:
    with store.session() as s:
        rows, total = case_page(s, CaseFilter(q="nacka", sort="case_id", descending=True), TODAY, 0, 2)
    assert total == 5 and [r.case_id for r in rows] == ["BUS-2026-0005", "BUS-2026-0004"]
