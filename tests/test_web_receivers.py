"""The case page's receivers and their answers (section 4) with each answer's outcome and its source; the actions
"not expected to answer" and "confirm or change the outcome", each recorded as a correction; the list's status
filter with receivers (partly answered); the overview's count of outcomes to confirm."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from config.rules import Rules
from store.db import Database
from store.models import Case, CaseAnswer, CaseReceiver, Correction
from tests.support import web_support as ws

ANSWERED, AWAITED = "BUS-2026-0001", "BUS-2026-0003"


@pytest.fixture
def store(db: Database, rules: Rules) -> Database:
    ws.load(db, rules)
    return db


def _audit(db: Database, field: str) -> list[tuple[str | None, str | None, str]]:
    with db.session() as s:
        rows = s.scalars(select(Correction).where(Correction.field == field).order_by(Correction.id)).all()
        return [(r.old_value, r.new_value, r.who) for r in rows]


def _receiver(db: Database, case_id: str) -> CaseReceiver:
    with db.session() as s:
        return s.scalars(select(CaseReceiver).join(Case, Case.id == CaseReceiver.case_pk)
                         .where(Case.case_id == case_id)).one()


def _answer(db: Database) -> CaseAnswer:
    with db.session() as s:
        return s.scalars(select(CaseAnswer)).one()


def _ids(html: str) -> set[str]:
    return set(re.findall(r'href="/arenden/(BUS-\d{4}-\d{4})"', html))


def test_each_receiver_and_its_answer_beside_sections_1_to_3(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "reader")
    html = c.get(f"/arenden/{ANSWERED}").text
    receivers = html[html.index("Mottagare och svar"):html.index("Påminnelser")]
    assert "per.lind@sll.se" in receivers and "har svarat" in receivers
    for shown in ("Behandlaren var sjuk", "Ny rutin", "Per Lind", "BUP Farsta", "2026-02-18",
                  "Förbättringsförslag", "förslag enligt regeln forbattringsforslag, inte bekräftat"):
        assert shown in receivers, shown
    assert "BUP uteblev" in html[:html.index("Mottagare och svar")]
    assert "/utfall" not in html and "/mottagare" not in html          # a reader gets no buttons
    awaited = c.get(f"/arenden/{AWAITED}").text
    assert "hab@sll.se" in awaited and "väntar på svar" in awaited and "Inget svar har kommit." in awaited


def test_a_receiver_not_expected_to_answer_and_back(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    assert "Väntas inte svara" in c.get(f"/arenden/{AWAITED}").text
    r = c.post(f"/arenden/{AWAITED}/mottagare", data={"csrf": token, "email": "hab@sll.se", "expected": "0"})
    assert "klart=" in r.headers["location"] and _receiver(store, AWAITED).state == "not_expected"
    html = c.get(f"/arenden/{AWAITED}").text
    assert "väntas inte svara" in html and "Väntas svara igen" in html
    history = html[html.index("Historik"):]
    assert "Mottagare" in history and "hab@sll.se: not_expected" in history and "<td>secretariat</td>" in history
    c.post(f"/arenden/{AWAITED}/mottagare", data={"csrf": token, "email": "hab@sll.se", "expected": "1"})
    assert _receiver(store, AWAITED).state == "awaited"
    assert _audit(store, "receiver") == [("hab@sll.se: awaited", "hab@sll.se: not_expected", "secretariat"),
                                         ("hab@sll.se: not_expected", "hab@sll.se: awaited", "secretariat")]


def test_the_receiver_action_needs_the_token_and_the_role(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "reader")
    data = {"csrf": token, "email": "hab@sll.se", "expected": "0"}
    assert c.post(f"/arenden/{AWAITED}/mottagare", data=data).status_code == 403
    s, _ = ws.logged_in(store, rules, "secretariat")
    assert s.post(f"/arenden/{AWAITED}/mottagare", data={**data, "csrf": ""}).status_code == 403
    r = s.post(f"/arenden/{AWAITED}/mottagare", data={**data, "csrf": ws.csrf_of(s.get("/").text),
                                                       "email": "okand@sll.se"})
    assert "fel=" in r.headers["location"]
    assert _receiver(store, AWAITED).state == "awaited" and _audit(store, "receiver") == []


def test_confirm_and_change_an_answers_outcome(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    assert "Utfall att bekräfta: 1" in c.get("/").text
    assert _ids(c.get("/arenden?bekrafta=1").text) == {ANSWERED}
    pk = _answer(store).message_pk
    r = c.post(f"/arenden/{ANSWERED}/utfall", data={"csrf": token, "message": str(pk),
                                                     "outcome": "Förbättringsförslag"})
    assert "klart=" in r.headers["location"]
    c.post(f"/arenden/{ANSWERED}/utfall", data={"csrf": token, "message": str(pk), "outcome": "Delvis löst"})
    answer = _answer(store)
    assert (answer.outcome, answer.outcome_source, answer.outcome_by) == ("Delvis löst", "set", "secretariat")
    assert _audit(store, "outcome") == [("Förbättringsförslag", "Förbättringsförslag", "secretariat"),
                                        ("Förbättringsförslag", "Delvis löst", "secretariat")]
    html = c.get(f"/arenden/{ANSWERED}").text
    assert "satt av secretariat" in html and "Delvis löst" in html[html.index("Historik"):]
    assert "Utfall att bekräfta: 0" in c.get("/").text and _ids(c.get("/arenden?bekrafta=1").text) == set()


def test_an_outcome_outside_the_rules_list_is_refused(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    r = c.post(f"/arenden/{ANSWERED}/utfall", data={"csrf": token, "message": str(_answer(store).message_pk),
                                                     "outcome": "Kanske"})
    assert "fel=" in r.headers["location"] and _audit(store, "outcome") == []
    assert _answer(store).outcome_source == "suggested"


def test_partly_answered_with_receivers(store: Database, rules: Rules) -> None:
    """A second receiver still awaited: the answered case is partly answered (and, past due, overdue)."""
    with store.session(write=True) as s:
        case = s.scalars(select(Case).where(Case.case_id == ANSWERED)).one()
        s.add(CaseReceiver(case_pk=case.id, email="annan@sll.se", state="awaited"))
    c, token = ws.logged_in(store, rules, "secretariat")
    assert _ids(c.get("/arenden?status=partly").text) == {ANSWERED}
    assert _ids(c.get("/arenden?status=answered").text) == set()
    assert _ids(c.get("/arenden?status=overdue").text) == {ANSWERED, "BUS-2026-0002", AWAITED}
    assert _ids(c.get("/arenden?status=partly&q=farsta").text) == {ANSWERED}
    assert "1 av 2 mottagare har svarat" in c.get(f"/arenden/{ANSWERED}").text
    c.post(f"/arenden/{ANSWERED}/mottagare", data={"csrf": token, "email": "annan@sll.se", "expected": "0"})
    assert _ids(c.get("/arenden?status=partly").text) == set()
    assert _ids(c.get("/arenden?status=answered").text) == {ANSWERED}
