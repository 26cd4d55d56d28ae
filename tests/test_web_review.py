"""Granska to zero in the browser (issue 24): a scanned deviation opened as a new case beside its mail and file,
an answer linked, a newsletter dismissed, each undone with "Ångra"; "Avfärdade"; the mail's text in the case's
timeline and its files downloadable by the secretariat only."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from config.rules import Rules
from ingest.types import RawMessage
from pipeline.batch import Pipeline
from store.db import Database
from store.models import AccessLog, Case, Correction, Message
from tests.support import web_support as ws
from tests.support.mailbuilder import exchange_id, make_mail

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
SCAN_ID = exchange_id("web-scan")


def scanned_deviation() -> bytes:
    """A new deviation on a scanned PDF, with the subject of case 0001 (so a guess by subject would point there)."""
    mail = message_from_bytes(make_mail(subject="BUS-avvikelse SIP", sender="rep@farsta.se", to=["hab@sll.se"],
                                        cc=ws.SECRETARIAT, when=datetime(2026, 5, 20, 8, 0, tzinfo=timezone.utc),
                                        message_id=SCAN_ID,
                                        body=f"Hej,\nSe bifogad blankett. Gäller {ws.PNR}.\u202eevil"),
                              policy=policy.default)
    mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="avvikelse inskannad.pdf")
    return bytes(mail)


@pytest.fixture
def store(db: Database, rules: Rules) -> Database:
    ws.load(db, rules)
    with Pipeline(db, rules) as pipeline:
        pipeline.ingest([RawMessage("storsthlm", "INBOX", scanned_deviation())])
    return db


def _msg(db: Database, subject: str) -> Message:
    with db.session() as s:
        return s.scalars(select(Message).where(Message.subject.startswith(subject))
                         .order_by(Message.id.desc())).first()


def _row(html: str, message_id: str) -> str:
    match = re.search(rf'<tr data-message-id="{re.escape(message_id)}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {message_id}"
    return match.group(1)


def _undo(c: TestClient, location: str) -> tuple[str, str]:
    """The "Ångra" the page after an action offers: (what, message)."""
    html = c.get(location).text
    form = re.search(r'<form method="post" action="/granska/angra" class="undo">(.*?)</form>', html, re.S)
    assert form and ">Ångra</button>" in form.group(1), html[:2000]
    what = re.search(r'name="what" value="([^"]+)"', form.group(1))
    message = re.search(r'name="message" value="([^"]+)"', form.group(1))
    assert what and message
    return what.group(1), message.group(1)


def test_every_row_is_a_mail_with_its_actions(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "secretariat")
    html = c.get("/granska").text
    rows = re.findall(r'<tr data-message-id="([^"]+)">', html)
    assert len(rows) == 3 and SCAN_ID.strip("<>").lower() in rows
    loose = _row(html, _msg(store, "Angående").message_id)
    for button in ("Öppna som nytt ärende", "Koppla", "Inte en avvikelse"):
        assert f">{button}</button>" in loose
    assert "<label>Ärende <input name=\"case_id\"" in loose                  # labelled


def test_a_mail_that_is_itself_a_deviation_is_offered_no_other_case(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "secretariat")
    row = _row(c.get("/granska").text, _msg(store, "BUS-avvikelse SIP").message_id)
    assert "BUS-2026-" not in row and ">Koppla</button>" not in row
    assert ">Öppna som nytt ärende</button>" in row and "ny avvikelse" in row


def test_open_a_scanned_deviation_as_a_new_case_and_undo_it(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    scan = _msg(store, "BUS-avvikelse SIP")
    page = c.get(f"/granska/{scan.id}/nytt-arende").text
    assert "Se bifogad blankett" in page and ws.PNR not in page and "\u202e" not in page
    assert f'href="/mejl/{scan.id}/bilaga/0"' in page and "avvikelse inskannad.pdf" in page
    download = c.get(f"/mejl/{scan.id}/bilaga/0")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment;")

    refused = c.post(f"/granska/{scan.id}/nytt-arende", data={"csrf": token, "event_type": "",
                                                              "description": "Inget"})
    assert refused.status_code == 400 and "Fyll i typ av händelse" in refused.text and "Inget" in refused.text
    r = c.post(f"/granska/{scan.id}/nytt-arende", data={
        "csrf": token, "event_type": "Uteblivet SIP-möte", "description": "Habiliteringen kom inte till mötet",
        "reported_date": "2026-05-19", "units_involved": "Habilitering Syd\nBUP Farsta", "reporter_unit": "Farsta",
        "reporter_email": "rep@farsta.se", "reporter_org_type": "", "receiver_org_types": []})
    assert r.status_code == 303 and r.headers["location"].startswith("/granska?klart=")
    with store.session() as s:
        case = s.scalars(select(Case).order_by(Case.id.desc())).first()
        assert case is not None and case.source_message_id == scan.id
        case_id = case.case_id
        assert case.overrides["units_involved"] == ["Habilitering Syd", "BUP Farsta"]
    assert case_id == "BUS-2026-0004"
    assert scan.message_id not in c.get("/granska").text
    assert "Habiliteringen kom inte till mötet" in c.get(f"/arenden/{case_id}").text

    assert _undo(c, r.headers["location"]) == ("oppna", str(scan.id))
    back = c.post("/granska/angra", data={"csrf": token, "what": "oppna", "message": str(scan.id)})
    assert "klart=" in back.headers["location"]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Case).where(Case.case_id == case_id)) == 0
        assert [r.who for r in s.scalars(select(Correction).where(Correction.message_pk == scan.id))] == \
            ["secretariat", "secretariat"]
    assert scan.message_id in c.get("/granska").text
    assert c.get(f"/arenden/{case_id}").status_code == 404


def test_link_an_answer_from_granska_and_undo(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    loose = _msg(store, "Angående vår avvikelse")
    r = c.post("/granska/koppla", data={"csrf": token, "message": str(loose.id), "case_id": "bus-2026-0001"})
    assert _msg(store, "Angående vår avvikelse").case_pk is not None
    assert loose.message_id not in c.get("/granska").text
    what, message = _undo(c, r.headers["location"])
    assert what == "koppla"
    c.post("/granska/angra", data={"csrf": token, "what": what, "message": message})
    assert _msg(store, "Angående vår avvikelse").case_pk is None
    assert loose.message_id in c.get("/granska").text
    bad = c.post("/granska/koppla", data={"csrf": token, "message": str(loose.id), "case_id": "BUS-2026-0999"})
    assert "fel=" in bad.headers["location"]


def test_dismiss_lists_it_under_avfardade_and_undo(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    news = _msg(store, "Nyhetsbrev")
    r = c.post("/granska/inte-avvikelse", data={"csrf": token, "message": str(news.id)})
    assert _undo(c, r.headers["location"]) == ("avfarda", str(news.id))
    assert news.message_id not in c.get("/granska").text
    reader, _ = ws.logged_in(store, rules, "reader")
    listed = reader.get("/granska/avfardade").text
    row = _row(listed, news.message_id)
    assert "Nyhetsbrev juni" in row and "secretariat" in row and "Ångra" not in row
    assert "Ångra" in _row(c.get("/granska/avfardade").text, news.message_id)
    r = c.post("/granska/angra", data={"csrf": token, "what": "avfarda", "message": str(news.id),
                                       "back": "/granska/avfardade"})
    assert r.headers["location"].startswith("/granska/avfardade?klart=")
    assert news.message_id in c.get("/granska").text
    assert news.message_id not in c.get("/granska/avfardade").text


def test_the_timeline_shows_each_mails_text_and_files(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "secretariat")
    answer = _msg(store, "SV: BUS-avvikelse SIP")
    html = c.get("/arenden/BUS-2026-0001").text
    assert "Mejlets text" in html and f'href="/mejl/{answer.id}/bilaga/0"' in html
    assert c.get(f"/mejl/{answer.id}/bilaga/0").content[:2] == b"PK"        # the Word form as it came
    assert c.get(f"/mejl/{answer.id}/bilaga/7").status_code == 404
    with store.session() as s:           # the access log names who fetched which file (issue 25)
        fetched = s.scalars(select(AccessLog).where(AccessLog.event == "attachment"))
        logged = [(e.who, e.event, e.target) for e in fetched]
    assert ("secretariat", "attachment", f"mejl {answer.id}, bilaga 0") in logged
    reader, _ = ws.logged_in(store, rules, "reader")
    page = reader.get("/arenden/BUS-2026-0001").text
    assert "Mejlets text" in page and "/bilaga/" not in page
    assert reader.get(f"/mejl/{answer.id}/bilaga/0").status_code == 403
    hostile = c.get("/arenden/BUS-2026-0002").text
    assert ws.PNR not in hostile and "<b>fet</b>" not in hostile


@pytest.mark.parametrize("role", ["reader"])
def test_the_reader_cannot_act(store: Database, rules: Rules, role: str) -> None:
    c, token = ws.logged_in(store, rules, role)
    scan = _msg(store, "BUS-avvikelse SIP")
    assert ">Öppna som nytt ärende</button>" not in c.get("/granska").text
    assert c.get(f"/granska/{scan.id}/nytt-arende").status_code == 403
    assert c.post("/granska/angra", data={"csrf": token, "what": "avfarda", "message": "1"}).status_code == 403


def _rows(html: str, attr: str = "data-case-id") -> list[str]:
    return re.findall(rf'<tr[^>]*\s{attr}="([^"]+)"', html)


def test_each_overview_number_is_the_rows_of_the_list_it_opens(store: Database, rules: Rules) -> None:
    """Overdue answers: the overview's card, the case list it opens, and /att-folja-upp (per awaited receiver,
    most overdue first) count from one query."""
    c, _ = ws.logged_in(store, rules, "reader")
    html = c.get("/").text
    cards = dict((href, int(n)) for href, n in re.findall(r'<a class="card[^"]*" href="([^"]+)"><b>(\d+)</b>', html))
    overdue = cards["/arenden?status=overdue&amp;alla=1"]
    assert overdue == 2 and len(_rows(c.get("/arenden?status=overdue&alla=1").text)) == overdue
    follow = c.get("/att-folja-upp").text
    rows = re.findall(r'<tr data-case-id="([^"]+)">.*?<td data-label="Dagar försenat">(\d+) dag', follow, re.S)
    assert len(rows) == cards["/att-folja-upp"] >= overdue
    assert {cid for cid, _ in rows} == set(_rows(c.get("/arenden?status=overdue&alla=1").text))
    days = [int(d) for _, d in rows]
    assert days == sorted(days, reverse=True) and days[0] == (ws.TODAY - date(2026, 4, 1)).days   # due 1 April
    assert "hab@sll.se" in follow and "inga" in follow
    assert cards["/granska"] == len(_rows(c.get("/granska").text, "data-message-id"))
    week = next(href for href in cards if href.startswith("/arenden?fran="))
    assert cards[week] == len(_rows(c.get(week.replace("&amp;", "&")).text)) == 0    # none since Monday 1 June


def test_the_case_list_is_newest_first_with_date_filters_and_a_next_page(store: Database, rules: Rules) -> None:
    from web import pages

    c, _ = ws.logged_in(store, rules, "reader")
    html = c.get("/arenden").text
    assert _rows(html) == ["BUS-2026-0003", "BUS-2026-0002", "BUS-2026-0001"]
    assert 'aria-sort="descending"' in html and "3 ärenden" in html
    assert _rows(c.get("/arenden?fran=2026-02-01&till=2026-02-28").text) == ["BUS-2026-0003"]
    assert "1 ärende." in c.get("/arenden?fran=2026-02-01&till=2026-02-28").text
    assert _rows(c.get("/arenden?sort=case_id&ordning=stigande").text)[0] == "BUS-2026-0001"
    old, pages.PAGE_SIZE = pages.PAGE_SIZE, 2
    try:
        first = c.get("/arenden").text
        nxt = re.search(r'<a href="\?([^"]+)">Nästa</a>', first)
        assert nxt and len(_rows(first)) == 2
        assert _rows(c.get("/arenden?" + nxt.group(1).replace("&amp;", "&")).text) == ["BUS-2026-0001"]
    finally:
        pages.PAGE_SIZE = old


@pytest.mark.parametrize(("query", "expected"), [
    ("BUS-2026-0003", {"BUS-2026-0003"}), ("bus-2026-0001", {"BUS-2026-0001"}),
    ("karin.ny@nacka.se", {"BUS-2026-0003"}), ("lisa.ek", {"BUS-2026-0002"}),
    ("anna berg", {"BUS-2026-0001", "BUS-2026-0002", "BUS-2026-0003"}),
    ("habilitering syd", {"BUS-2026-0003"}), ("REMISSEN", {"BUS-2026-0003"}),
    ("hab@sll.se", {"BUS-2026-0003"}), ("rattad", set()), ("19121212", set()),
])
def test_search_by_id_names_addresses_units_ignoring_case_and_accents(store: Database, rules: Rules, query: str,
                                                                       expected: set[str]) -> None:
    c, _ = ws.logged_in(store, rules, "reader")
    assert set(_rows(c.get("/arenden", params={"q": query}).text)) == expected


def test_search_ignores_accents(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    c.post("/arenden/BUS-2026-0002/falt", data={"csrf": token, "field": "event_type", "value": "Södertälje BUMM"})
    assert set(_rows(c.get("/arenden", params={"q": "sodertalje"}).text)) == {"BUS-2026-0002"}
    assert set(_rows(c.get("/arenden", params={"q": "SÖDERTÄLJE"}).text)) == {"BUS-2026-0002"}


def test_the_case_pages_reminders_are_in_swedish(store: Database, rules: Rules) -> None:
    from datetime import date as day

    from store.models import Reminder

    with store.session() as s:
        case = s.scalars(select(Case).where(Case.case_id == "BUS-2026-0003")).one()
        s.add(Reminder(case_pk=case.id, step="second", status="sent", due_on=day(2026, 5, 1), message_id="r2@x",
                       recipients=[{"field": "to", "address": "hab@sll.se"}],
                       created_at=datetime(2026, 5, 1, 6, 0, tzinfo=timezone.utc),
                       sent_at=datetime(2026, 5, 1, 7, 0, tzinfo=timezone.utc)))
    c, _ = ws.logged_in(store, rules, "reader")
    html = c.get("/arenden/BUS-2026-0003").text
    assert "<td>påminnelse 2</td><td>skickad</td>" in html and "<td>hab@sll.se</td>" in html
    assert "{" not in html.split("<h3>Påminnelser</h3>")[1].split("</table>")[0]
    follow = c.get("/att-folja-upp").text
    assert "1 påminnelse" in follow
