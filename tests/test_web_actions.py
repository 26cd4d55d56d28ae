"""The actions of the case page and Granska: each changes the store through store/corrections.py, is recorded
as a Correction with the logged-in user, and shows in the case's history."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from config.rules import Rules
from store.db import Database
from store.models import Case, CaseAnswer, CaseReceiver, Correction, Message
from tests.support import web_support as ws

CASE = "BUS-2026-0001"


@pytest.fixture
def store(db: Database, rules: Rules) -> Database:
    ws.load(db, rules)
    return db


def _audit(db: Database, field: str) -> list[tuple[str | None, str | None, str]]:
    with db.session() as s:
        rows = s.scalars(select(Correction).where(Correction.field == field).order_by(Correction.id)).all()
        return [(r.old_value, r.new_value, r.who) for r in rows]


def _case(db: Database, case_id: str = CASE) -> Case:
    with db.session() as s:
        return s.scalars(select(Case).where(Case.case_id == case_id)).one()


def _msg(db: Database, subject: str) -> Message:
    with db.session() as s:
        return s.scalars(select(Message).where(Message.subject.startswith(subject))).one()


@pytest.mark.parametrize("role", ["secretariat", "admin"])
def test_close_pause_reopen(store: Database, rules: Rules, role: str) -> None:
    c, token = ws.logged_in(store, rules, role)
    for status in ("closed", "paused", "open"):
        r = c.post(f"/arenden/{CASE}/status", data={"csrf": token, "status": status})
        assert r.status_code == 303 and r.headers["location"].startswith(f"/arenden/{CASE}?klart=")
        assert _case(store).status == status
    assert _audit(store, "status") == [("open", "closed", role), ("closed", "paused", role), ("paused", "open", role)]
    html = c.get(f"/arenden/{CASE}").text
    assert html.count("<td>Status</td>") == 3 and f"<td>{role}</td>" in html


def test_an_unknown_status_changes_nothing(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    r = c.post(f"/arenden/{CASE}/status", data={"csrf": token, "status": "deleted"})
    assert "fel=" in r.headers["location"] and _audit(store, "status") == []


@pytest.mark.parametrize(("field", "values", "stored"), [
    ("reporter_org_type", ["Habilitering"], "Habilitering"),
    ("receiver_org_types", ["BUP", "BUMM"], ["BUP", "BUMM"]),
    ("principal_relation", ["within"], "within"),
    ("themes", ["SIP", "Remisshantering"], ["SIP", "Remisshantering"]),
    ("event_type", ["Uteblivet möte (rättat)"], "Uteblivet möte (rättat)"),
])
def test_set_a_field(store: Database, rules: Rules, field: str, values: list[str], stored: object) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    r = c.post(f"/arenden/{CASE}/falt", data={"csrf": token, "field": field, "value": values})
    assert "klart=" in r.headers["location"], r.headers["location"]
    assert _case(store).overrides[field] == stored
    [(old, new, who)] = _audit(store, field)
    assert json.loads(new or "null") == stored and who == "secretariat"
    assert "Historik" in c.get(f"/arenden/{CASE}").text


def test_a_value_the_rules_do_not_know_is_refused(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    for field, value in (("reporter_org_type", "Påhittad"), ("principal_relation", "nära"),
                         ("response_outcome", "kanske"), ("source_message_id", "1")):
        r = c.post(f"/arenden/{CASE}/falt", data={"csrf": token, "field": field, "value": value})
        assert "fel=" in r.headers["location"], field
    assert _case(store).overrides == {}


def test_the_corrected_value_shows_on_the_pages(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    c.post(f"/arenden/{CASE}/falt", data={"csrf": token, "field": "event_type", "value": "<i>Rättad</i> händelse"})
    assert "&lt;i&gt;Rättad&lt;/i&gt; händelse" in c.get("/arenden?alla=1").text
    html = c.get(f"/arenden/{CASE}").text
    assert "rättad</span>" in html and "Uteblivet SIP-möte" in html      # the old value in the history


def test_link_from_granska_and_unlink_from_the_case_page(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    loose = _msg(store, "Angående vår avvikelse")
    r = c.post("/granska/koppla", data={"csrf": token, "message": str(loose.id), "case_id": "bus-2026-0001",
                                        "back": "/granska"})
    assert r.headers["location"].startswith("/granska?klart=")
    linked = _msg(store, "Angående vår avvikelse")
    assert linked.case_pk == _case(store).id and linked.link_rule == "manual" and linked.kind != "other"
    assert _audit(store, "link") == [(None, CASE, "secretariat")]
    assert "Angående vår avvikelse" not in c.get("/granska").text
    page = c.get(f"/arenden/{CASE}").text
    assert "Angående vår avvikelse" in page and "manuellt" in page

    r = c.post(f"/arenden/{CASE}/koppla-bort", data={"csrf": token, "message": str(loose.id)})
    assert "klart=" in r.headers["location"]
    back = _msg(store, "Angående vår avvikelse")
    assert back.case_pk is None and back.kind == "other"
    assert _audit(store, "link") == [(None, CASE, "secretariat"), (CASE, None, "secretariat")]
    assert "Angående vår avvikelse" in c.get("/granska").text


def test_link_by_a_typed_message_id_on_the_case_page(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "admin")
    news = _msg(store, "Nyhetsbrev")
    r = c.post("/arenden/BUS-2026-0003/koppla", data={"csrf": token, "message_id": f"<{news.message_id}>"})
    assert "klart=" in r.headers["location"]
    assert _msg(store, "Nyhetsbrev").case_pk == _case(store, "BUS-2026-0003").id


def test_unlinking_the_answer_reopens_the_question(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    answer = _msg(store, "SV: BUS-avvikelse SIP")
    assert _case(store).responded
    assert "Behandlaren var sjuk" in c.get(f"/arenden/{CASE}").text
    r = c.post(f"/arenden/{CASE}/koppla-bort", data={"csrf": token, "message": str(answer.id)})
    case = _case(store)
    assert not case.responded
    with store.session() as s:
        assert s.scalars(select(CaseAnswer)).all() == []
        assert {r.state for r in s.scalars(select(CaseReceiver))} == {"awaited"}
    html = c.get(r.headers["location"]).text                  # the page shows it undone
    assert "Behandlaren var sjuk" not in html and "Inget svar har kommit." in html and "väntar" in html


def test_the_deviation_itself_cannot_be_unlinked(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    source = _case(store).source_message_id
    r = c.post(f"/arenden/{CASE}/koppla-bort", data={"csrf": token, "message": str(source)})
    assert "fel=" in r.headers["location"] and _audit(store, "link") == []
    r = c.post(f"/arenden/{CASE}/koppla", data={"csrf": token, "message": "999999"})
    assert "fel=" in r.headers["location"]


def test_not_a_deviation_from_granska(store: Database, rules: Rules) -> None:
    """Granska's "Inte en avvikelse": the mail is kept, leaves the list, and the change is recorded."""
    c, token = ws.logged_in(store, rules, "secretariat")
    loose = _msg(store, "Angående vår avvikelse")
    assert "Angående vår avvikelse" in c.get("/granska").text
    r = c.post("/granska/inte-avvikelse", data={"csrf": token, "message": str(loose.id)})
    assert r.headers["location"].startswith("/granska?klart=")
    assert _msg(store, "Angående vår avvikelse").kind == "dismissed"
    assert [who for _, _, who in _audit(store, "review")] == ["secretariat"]
    assert "Angående vår avvikelse" not in c.get("/granska").text
    assert c.post("/granska/inte-avvikelse", data={"message": str(loose.id)}).status_code == 403
    reader, reader_token = ws.logged_in(store, rules, "reader")
    assert reader.post("/granska/inte-avvikelse", data={"csrf": reader_token,
                                                         "message": str(loose.id)}).status_code == 403
