"""Bulk actions on a selection (issue 24): "Pausa markerade" and "Bekräfta föreslagna utfall" on the case list,
"Avfärda markerade" in Granska; each checkbox labelled, all or none of a selection saved, a message by code."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from config.rules import Rules
from store.db import Database
from store.models import Case, Correction, Message
from tests.support import web_support as ws

CASES = ("BUS-2026-0001", "BUS-2026-0003")


@pytest.fixture
def store(db: Database, rules: Rules) -> Database:
    ws.load(db, rules)
    return db


def _status(db: Database) -> dict[str, str]:
    with db.session() as s:
        return {c.case_id: c.status for c in s.scalars(select(Case))}


def _msg(db: Database, subject: str) -> Message:
    with db.session() as s:
        return s.scalars(select(Message).where(Message.subject.startswith(subject))).one()


def test_the_case_list_offers_labelled_checkboxes_and_the_bulk_buttons(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "secretariat")
    html = c.get("/arenden").text
    form = re.search(r'<form method="post" action="/arenden/pausa-markerade" id="markerade"[^>]*>(.*?)</form>',
                     html, re.S)
    assert form and "Pausa markerade</button>" in form.group(1)
    assert 'formaction="/arenden/bekrafta-utfall">Bekräfta föreslagna utfall</button>' in form.group(1)
    for case_id in CASES:
        assert (f'<input type="checkbox" name="case_id" value="{case_id}" form="markerade" id="valj-{case_id}">'
                f'<label for="valj-{case_id}" class="sr-only">Markera {case_id}</label>') in html
    reader, _ = ws.logged_in(store, rules, "reader")
    shown = reader.get("/arenden").text
    assert "pausa-markerade" not in shown and 'name="case_id"' not in shown


def test_pause_the_ticked_cases(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    r = c.post("/arenden/pausa-markerade", data={"csrf": token, "case_id": list(CASES)})
    assert r.status_code == 303 and r.headers["location"] == "/arenden?klart=pausade"
    assert "De markerade ärendena är pausade." in c.get(r.headers["location"]).text
    status = _status(store)
    assert [status[cid] for cid in CASES] == ["paused", "paused"] and status["BUS-2026-0002"] != "paused"
    with store.session() as s:
        assert s.scalars(select(Correction.who).where(Correction.field == "status")).all() == ["secretariat"] * 2


def test_a_selection_with_an_unknown_case_pauses_none(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    before = _status(store)
    r = c.post("/arenden/pausa-markerade", data={"csrf": token, "case_id": [CASES[0], "BUS-2026-0999"]})
    assert r.headers["location"] == "/arenden?fel=ej-sparat" and _status(store) == before
    r = c.post("/arenden/pausa-markerade", data={"csrf": token})
    assert r.headers["location"] == "/arenden?fel=valj-arende"
    assert "Välj minst ett ärende." in c.get(r.headers["location"]).text


def test_a_reader_cannot_act_on_a_selection(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "reader")
    before = _status(store)
    assert c.post("/arenden/pausa-markerade", data={"csrf": token, "case_id": list(CASES)}).status_code == 403
    pk = _msg(store, "Nyhetsbrev").id
    assert c.post("/granska/avfarda-markerade", data={"csrf": token, "message": [str(pk)]}).status_code == 403
    assert _status(store) == before and _msg(store, "Nyhetsbrev").kind != "dismissed"


def test_dismiss_the_ticked_mail_in_review(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    html = c.get("/granska").text
    news, loose = _msg(store, "Nyhetsbrev"), _msg(store, "Angående vår avvikelse")
    assert 'action="/granska/avfarda-markerade" id="markerade"' in html and "Avfärda markerade</button>" in html
    for m in (news, loose):
        assert f'name="message" value="{m.id}" form="markerade" id="valj-{m.id}"><label for="valj-{m.id}"' in html
    r = c.post("/granska/avfarda-markerade", data={"csrf": token, "message": [str(news.id), str(loose.id)]})
    assert r.status_code == 303 and r.headers["location"] == "/granska?klart=avfardade"
    after = c.get(r.headers["location"]).text
    assert "De markerade mejlen är markerade som inte en avvikelse" in after
    assert "Nyhetsbrev" not in after and "Angående vår avvikelse" not in after
    dismissed = c.get("/granska/avfardade").text
    assert "Nyhetsbrev" in dismissed and "Angående vår avvikelse" in dismissed
    r = c.post("/granska/avfarda-markerade", data={"csrf": token})
    assert r.headers["location"] == "/granska?fel=valj-mejl"
