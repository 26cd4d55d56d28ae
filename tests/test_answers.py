"""What an answer is (store/answers.py): a `CaseAnswer` row, mailed or given by another route; the export's
`response` read from the answers; unlinking undoes what the mail did; an answer by telephone, a meeting or a
mail only to the reporter (web form and `busavvik case answer`, each with "Ångra"); "Bekräfta föreslagna";
nothing preselected in the outcome list; migration 0011 keeps every stored answer and the case-level outcome."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
import typer
from alembic import command
from sqlalchemy import select
from typer.testing import CliRunner

import busavvik.commands.receivers  # noqa: F401  (adds `case answer` to `case_app`)
from busavvik.commands import case as cli_case
from busavvik.context import AppContext
from config.load import Settings
from config.rules import Rules
from notify.report import yearly_stats
from store import export
from store.db import Database, alembic_config, migrate
from store.models import Case, CaseAnswer, CaseReceiver, Correction
from tests.support import web_support as ws

ANSWERED, AWAITED = "BUS-2026-0001", "BUS-2026-0003"     # tests/web_support.py: answered by mail, awaited
HAB = "hab@sll.se"                                         # the receiver of AWAITED (due 2026-04-01)


@pytest.fixture
def store(db: Database, rules: Rules) -> Database:
    ws.load(db, rules)
    return db


def _dev(db: Database, case_id: str) -> dict[str, Any]:
    with db.session() as s:
        return next(d for d in export.deviations(s) if d["case_id"] == case_id)


def _cli(db: Database, rules: Rules, *args: str) -> Any:
    app_ctx = AppContext(None)
    app_ctx.__dict__.update(settings=Settings(database_url=db.url), db=db, rules=rules)
    app = typer.Typer()

    @app.callback()
    def _root(ctx: typer.Context) -> None:
        ctx.obj = app_ctx

    cli_case.register(app)
    return CliRunner().invoke(app, ["case", *args])


def test_an_answer_by_phone_from_the_cli_counts_and_can_be_undone(store: Database, rules: Rules) -> None:
    assert _dev(store, AWAITED)["awaiting"] == [HAB] and not _dev(store, AWAITED)["responded"]
    r = _cli(store, rules, "answer", AWAITED, HAB, "--date", "19 mars 2026", "--channel", "telefon",
             "--note", "Remissen är nu mottagen, vi har haft ett samtal", "--who", "anna")
    assert r.exit_code == 0, r.output
    assert f"{AWAITED} {HAB}: svar via telefon 2026-03-19 registrerat" in r.output
    dev = _dev(store, AWAITED)
    assert dev["awaiting"] == [] and dev["responded"] and dev["receivers"][0]["answered"]
    assert dev["response"] is None                        # the export's response is the first mailed answer
    [answer] = dev["answers"]
    assert (answer["receiver_email"], answer["received_date"], answer["message_id"]) == (HAB, "2026-03-19", None)
    assert answer["outcome"] == "Löst genom kommunikationen"     # suggested from the note ("haft ett samtal")
    with store.session() as s:
        assert export.overdue(s, date(2026, 5, 1)) == [] or AWAITED not in {
            o["case_id"] for o in export.overdue(s, date(2026, 5, 1))}
        stats = yearly_stats(s, 2026)
        assert stats.answered_in_time >= 1                # 2026-03-19 is within two months of 2026-02-01
    r = _cli(store, rules, "answer", AWAITED, HAB, "--undo", "--who", "anna")
    assert r.exit_code == 0 and "är borttaget" in r.output, r.output
    assert _dev(store, AWAITED)["awaiting"] == [HAB] and not _dev(store, AWAITED)["responded"]
    with store.session() as s:
        fields = [c.field for c in s.scalars(select(Correction).order_by(Correction.id))]
    assert fields.count("answer_other_route") == 2


@pytest.mark.parametrize(("args", "message"), [
    (["--date", "igår", "--channel", "telefon"], "gick inte att läsa"),
    (["--date", "2026-03-19", "--channel", "brevduva"], "okänt sätt att svara"),
    (["--channel", "telefon"], "ange dagen"),
])
def test_bad_input_gets_a_swedish_message(store: Database, rules: Rules, args: list[str], message: str) -> None:
    r = _cli(store, rules, "answer", AWAITED, HAB, *args)
    assert r.exit_code != 0 and message in r.output and "Traceback" not in r.output
    assert _dev(store, AWAITED)["awaiting"] == [HAB]


def test_an_answer_by_a_meeting_on_the_case_page_and_its_undo(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    html = c.get(f"/arenden/{AWAITED}").text
    assert "Registrera svar" in html and 'value="meeting"' in html
    r = c.post(f"/arenden/{AWAITED}/svar-annat-satt", data={"csrf": token, "email": HAB, "date": "2026-03-20",
                                                          "channel": "meeting", "note": "Möte med enhetschefen"})
    assert "klart=" in r.headers["location"], r.headers["location"]
    html = c.get(f"/arenden/{AWAITED}").text
    assert "Svar via möte den 2026-03-20" in html and "Möte med enhetschefen" in html and "har svarat" in html
    assert '<option value="" selected disabled>– välj utfall –</option>' in html     # nothing suggested
    with store.session() as s:
        pk = s.scalars(select(CaseAnswer.id)).all()[-1]
    r = c.post(f"/arenden/{AWAITED}/utfall", data={"csrf": token, "answer": str(pk), "outcome": "Delvis löst"})
    assert "klart=" in r.headers["location"], r.headers["location"]
    assert _dev(store, AWAITED)["answers"][0]["outcome"] == "Delvis löst"
    r = c.post(f"/arenden/{AWAITED}/svar-annat-satt/angra", data={"csrf": token, "email": HAB, "answer": str(pk)})
    assert "klart=" in r.headers["location"]
    html = c.get(f"/arenden/{AWAITED}").text
    assert "Svar via möte" not in html and "väntar på svar" in html and "Inget svar har kommit." in html


def test_the_case_page_refuses_bad_input_and_a_reader(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    for data in ({"date": "snart", "channel": "phone"}, {"date": "2026-03-20", "channel": "duva"}):
        r = c.post(f"/arenden/{AWAITED}/svar-annat-satt", data={"csrf": token, "email": HAB, **data})
        assert "fel=" in r.headers["location"]
    reader, reader_token = ws.logged_in(store, rules, "reader")
    r = reader.post(f"/arenden/{AWAITED}/svar-annat-satt", data={"csrf": reader_token, "email": HAB,
                                                               "date": "2026-03-20", "channel": "phone"})
    assert r.status_code == 403
    assert "Registrera svar" not in reader.get(f"/arenden/{AWAITED}").text
    assert _dev(store, AWAITED)["awaiting"] == [HAB]


def test_confirm_suggested_on_the_case_page_and_for_a_selection(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    assert "Bekräfta föreslagna" in c.get(f"/arenden/{ANSWERED}").text
    assert [a["outcome_source"] for a in _dev(store, ANSWERED)["answers"]] == ["suggested"]
    r = c.post(f"/arenden/{ANSWERED}/bekrafta-utfall", data={"csrf": token})
    assert "klart=bekraftade" in r.headers["location"], r.headers["location"]
    assert [a["outcome_source"] for a in _dev(store, ANSWERED)["answers"]] == ["set"]
    assert "Bekräfta föreslagna" not in c.get(f"/arenden/{ANSWERED}").text
    r = c.post("/arenden/bekrafta-utfall", data={"csrf": token, "case_id": [ANSWERED, AWAITED],
                                                 "back": "/arenden?alla=1"})
    assert r.headers["location"].startswith("/arenden?klart=inga-forslag"), r.headers["location"]
    r = c.post("/arenden/bekrafta-utfall", data={"csrf": token, "case_id": ["BUS-2026-9999"]})
    assert "fel=" in r.headers["location"]


def test_unlinking_a_mailed_answer_undoes_it(store: Database, rules: Rules) -> None:
    with store.session() as s:
        answer = s.scalars(select(CaseAnswer)).one()
        mid, receiver = answer.message.message_id if answer.message else "", answer.receiver_email
    from store.corrections import link, unlink
    with store.session() as s:
        assert unlink(s, mid, "tester", rules) == ANSWERED
    dev = _dev(store, ANSWERED)
    assert dev["answers"] == [] and dev["response"] is None and receiver in dev["awaiting"]
    with store.session() as s:
        link(s, mid, ANSWERED, "tester", rules)          # linked again: the answer is back
    dev = _dev(store, ANSWERED)
    assert [a["receiver_email"] for a in dev["answers"]] == [receiver] and dev["response"] is not None


def _to(db: Database, revision: str, down: bool = False) -> None:
    with db.engine.begin() as conn:
        cfg = alembic_config(db.engine)
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_migration_0011_keeps_every_answer_and_the_case_level_outcome(store: Database) -> None:
    before = {d["case_id"]: d for d in _dev_all(store)}
    with store.session() as s:
        answered_pk = s.scalars(select(Case.id).where(Case.case_id == ANSWERED)).one()
        awaited_pk = s.scalars(select(Case.id).where(Case.case_id == AWAITED)).one()
    _to(store, "0010_web_indexes", down=True)          # the store as it was: the response on the case
    with store.engine.begin() as conn:
        bus_case = sa.table("bus_case", sa.column("id"), sa.column("overrides", sa.JSON),
                            sa.column("response", sa.JSON))
        assert conn.execute(sa.select(bus_case.c.response).where(bus_case.c.id == answered_pk)).scalar()
        conn.execute(sa.update(bus_case).where(bus_case.c.id == answered_pk)
                     .values(overrides={"response_outcome": "ej löst"}))
        conn.execute(sa.update(bus_case).where(bus_case.c.id == awaited_pk)
                     .values(overrides={"response_outcome": "Delvis löst"}))
        answer = sa.table("case_answer", sa.column("case_pk"))
        conn.execute(sa.delete(answer).where(answer.c.case_pk == answered_pk))   # as before migration 0008 …
    migrate(store.engine)
    after = {d["case_id"]: d for d in _dev_all(store)}
    assert after[ANSWERED]["response"] == before[ANSWERED]["response"]      # … the response is kept as an answer
    [kept] = after[ANSWERED]["answers"]
    assert (kept["outcome"], kept["outcome_source"]) == ("Ej löst", "set")
    [other] = after[AWAITED]["answers"]                 # a case-level outcome without an answer is kept too
    assert (other["outcome"], other["outcome_source"], other["message_id"]) == ("Delvis löst", "set", None)
    with store.session() as s:
        assert all("response_outcome" not in (c.overrides or {}) for c in s.scalars(select(Case)))
        assert s.scalars(select(CaseReceiver.state).join(Case).where(Case.case_id == AWAITED)).all() == ["awaited"]


def _dev_all(db: Database) -> list[dict[str, Any]]:
    with db.session() as s:
        return export.deviations(s)
