"""A bounced reminder on the pages: the receiver "studsade" with the server's reason on the case page, in
Granska and as a count card on the overview; "Byt adress" (secretariat, CSRF) records the new address in the
history and the receiver is awaited again."""
from __future__ import annotations

from datetime import date, datetime, timezone
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from config.rules import Rules
from parsers.bounce import read_bounce
from store.bounces import record_bounce
from store.db import Database
from store.models import Case, CaseReceiver, Correction, Message, Reminder
from tests.support import web_support as ws
from tests.support.bounces import PNR, dsn_of

CASE, DEAD, NEW = "BUS-2026-0003", "hab@sll.se", "habilitering.ny@sll.se"
REMINDER_ID = "<reminder.BUS-2026-0003.first.0123abcd@storsthlm.se>"
WHEN = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(db: Database, rules: Rules) -> Database:
    ws.load(db, rules)
    with db.session() as s:
        case = s.scalars(select(Case).where(Case.case_id == CASE)).one()
        s.add(Reminder(case_pk=case.id, step="first", status="sent", due_on=date(2026, 5, 4), message_id=REMINDER_ID,
                       created_at=WHEN, sent_at=WHEN))
        s.flush()
        headers = f"From: BUS-avvikelser@storsthlm.se\nTo: {DEAD}\nMessage-ID: {REMINDER_ID}\nSubject: x\n\nx".encode()
        found = read_bounce(message_from_bytes(dsn_of(headers, DEAD), policy=policy.compat32))
        assert found is not None
        assert [r.email for r in record_bounce(s, Message(date=WHEN, first_seen=WHEN), found)] == [DEAD]
    return db


def _receiver(db: Database) -> CaseReceiver:
    with db.session() as s:
        return s.scalars(select(CaseReceiver).join(Case, Case.id == CaseReceiver.case_pk)
                         .where(Case.case_id == CASE)).one()


def test_a_bounced_receiver_still_owes_its_answer_but_gets_no_reminder(store: Database) -> None:
    from store.caseview import find_view

    with store.session() as s:
        view = find_view(s, CASE)
        assert view is not None
        assert view.waiting and view.awaited == [DEAD] and view.to_remind == []


def test_bounced_receiver_on_the_case_page_granska_and_overview(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "reader")
    page = c.get(f"/arenden/{CASE}").text
    receivers = page[page.index("Mottagare och svar"):page.index("Påminnelser")]
    assert DEAD in receivers and "studsade" in receivers and "User unknown" in receivers
    assert PNR not in page and "Byt adress" not in page                 # a reader gets no form
    review = c.get("/granska").text
    section = review[review.index('id="studsade"'):review.index("</section>")]
    assert "Studsade påminnelser (1)" in section and CASE in section and DEAD in section and "5.1.1" in section
    assert PNR not in review
    overview = c.get("/").text
    assert '<a class="card warn" href="/granska#studsade"><b>1</b> studsade påminnelser' in overview


def test_replace_the_address_of_a_bounced_receiver(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    assert "Byt adress" in c.get(f"/arenden/{CASE}").text
    r = c.post(f"/arenden/{CASE}/byt-adress", data={"csrf": token, "email": DEAD, "new_email": "inte en adress"})
    assert r.headers["location"].endswith("fel=ogiltig-adress") and _receiver(store).email == DEAD
    assert c.post(f"/arenden/{CASE}/byt-adress", data={"email": DEAD, "new_email": NEW}).status_code == 403
    r = c.post(f"/arenden/{CASE}/byt-adress", data={"csrf": token, "email": DEAD, "new_email": NEW})
    assert r.headers["location"].endswith("klart=ny-adress")
    row = _receiver(store)
    assert (row.email, row.state, row.bounce_reason) == (NEW, "awaited", None)
    with store.session() as s:
        fix = s.scalars(select(Correction).where(Correction.field == "receiver_address")).one()
        assert (fix.old_value, fix.new_value, fix.who) == (DEAD, NEW, "secretariat")
    page = c.get(r.headers["location"]).text
    assert "Mottagarens adress är bytt" in page
    history = page[page.index("Historik"):]
    assert "Mottagarens adress" in history and DEAD in history and NEW in history
    assert "Studsade påminnelser (0)" in c.get("/granska").text


def test_a_reader_cannot_replace_an_address(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "reader")
    r = c.post(f"/arenden/{CASE}/byt-adress", data={"csrf": token, "email": DEAD, "new_email": NEW})
    assert r.status_code == 403 and _receiver(store).email == DEAD


def test_replace_the_address_with_the_cli(store: Database, rules: Rules) -> None:
    from typer.testing import CliRunner

    import busavvik.commands.receivers  # noqa: F401  (adds `case receiver`)
    from busavvik.context import AppContext
    from config.settings import Settings
    from tests.support.reminders import cli

    app_ctx = AppContext(None)
    app_ctx.__dict__.update(settings=Settings(database_url=store.url), db=store, rules=rules)
    app, runner = cli(app_ctx), CliRunner()
    res = runner.invoke(app, ["case", "receiver", CASE, DEAD, "--replace", "nej"])
    assert res.exit_code != 0 and "ingen e-postadress" in res.output and _receiver(store).email == DEAD
    res = runner.invoke(app, ["case", "receiver", CASE, DEAD, "--replace", NEW, "--who", "anna"])
    assert res.exit_code == 0, res.output
    assert f"{CASE}: mottagaren {DEAD} har ny adress {NEW}" in res.output
    assert (_receiver(store).email, _receiver(store).state) == (NEW, "awaited")
    res = runner.invoke(app, ["case", "receiver", CASE, NEW, "--replace", DEAD, "--expected"])
    assert res.exit_code == 2 and "ange exakt ett av" in res.output
