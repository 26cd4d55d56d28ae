"""Issue 25's findings on the web pages, each with a test that failed on eee89ed: M3 (redaction dodged), M4 (lost
corrections, stale forms), L5 (sorting on unredacted text), L6/L9 (free text in ?fel=/?klart=), L7 (NUL byte,
uvicorn's logs), L10 (numbers in the address), a message id not tied to the case, `export --help`; and issue 24
part 8 (editing: current value, text areas, dates as people write them, buttons named for their field)."""
from __future__ import annotations

import re
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from config.rules import Rules
from store import corrections
from store.db import Database
from store.models import Case, Message
from tests.support import web_support as ws
from tests.support.tricky import MESSAGE_ID, leaks, load_tricky

CASE = "BUS-2026-0001"


@pytest.fixture
def store(db: Database, rules: Rules) -> Database:
    ws.load(db, rules)
    load_tricky(db, rules)
    return db


def _case(db: Database, case_id: str = CASE) -> Case:
    with db.session() as s:
        return s.scalars(select(Case).where(Case.case_id == case_id)).one()


def _tricky_case(db: Database) -> str:
    with db.session() as s:
        msg = s.scalars(select(Message).where(Message.message_id == MESSAGE_ID.strip("<>").lower())).one()
        case = s.get(Case, msg.case_pk)
        assert case is not None
        return case.case_id


def _version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, html[:300]
    return found.group(1)


# M3 -------------------------------------------------------------------------------------------------------------

def test_m3_no_planted_spelling_is_shown_on_any_page(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    tricky = _tricky_case(store)
    for path in ("/", "/arenden?alla=1", f"/arenden/{tricky}", "/arenden?sort=event_type", "/granska",
                 "/arenden?q=uteblivet", "/rapport/2026"):
        r = c.get(path)
        assert r.status_code == 200, path
        assert leaks(r.text) == [], (path, leaks(r.text))
    page = c.get(f"/arenden/{tricky}").text
    assert page.count("[personnummer]") >= 12


# L5 -------------------------------------------------------------------------------------------------------------

def test_l5_sorting_by_event_type_uses_the_redacted_text(store: Database, rules: Rules) -> None:
    """Stored "a 811218-9876" sorts before "a 9"; shown "a [personnummer]" sorts after it: the list must follow
    what it shows, or probing the order recovers the number."""
    with store.session(write=True) as s:
        corrections.set_field(s, "BUS-2026-0001", "event_type", "a 811218-9876", "t", rules)
        corrections.set_field(s, "BUS-2026-0003", "event_type", "a 9", "t", rules)
    c, _ = ws.logged_in(store, rules, "reader")
    for order, expected in (("&ordning=stigande", ["BUS-2026-0003", "BUS-2026-0001"]), ("&ordning=fallande",
                                                                        ["BUS-2026-0001", "BUS-2026-0003"])):
        html = c.get(f"/arenden?sort=event_type{order}").text
        ids = [i for i in re.findall(r'data-case-id="([^"]+)"', html) or re.findall(r'href="/arenden/(BUS-[\d-]+)"',
                                                                                   html)
               if i in expected]
        assert list(dict.fromkeys(ids)) == expected, (order, ids)


# L6 / L9 --------------------------------------------------------------------------------------------------------

def test_l6_l9_messages_are_codes_and_unknown_codes_show_nothing(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    r = c.post(f"/arenden/{CASE}/falt", data={"csrf": token, "field": "reported_date", "value": "811218-9876"})
    assert r.headers["location"] == f"/arenden/{CASE}?fel=datum"
    r = c.post(f"/arenden/{CASE}/falt", data={"csrf": token, "field": "event_type", "value": "x" * 10_001})
    assert r.headers["location"] == f"/arenden/{CASE}?fel=for-lang"
    r = c.post(f"/arenden/{CASE}/falt", data={"csrf": token, "field": "event_type", "value": "Ny typ"})
    assert r.headers["location"] == f"/arenden/{CASE}?klart=falt"
    page = c.get(f"/arenden/{CASE}?fel=datum").text
    assert "Datumet kunde inte läsas" in page
    for query in ("fel=Ring+0701234567+och+uppge+ditt+l%C3%B6senord", "klart=Ditt+konto+%C3%A4r+sp%C3%A4rrat",
                  "fel=%3Cscript%3E"):
        for path in (f"/arenden/{CASE}", "/granska"):
            html = c.get(f"{path}?{query}").text
            assert "0701234567" not in html and "spärrat" not in html and "&lt;script" not in html
            assert 'class="error"' not in html.split("<main>")[1][:200]


# L7 -------------------------------------------------------------------------------------------------------------

def test_l7_a_nul_byte_is_a_swedish_400(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    for r in (c.post(f"/arenden/{CASE}/falt", data={"csrf": token, "field": "event_type", "value": "a\x00b"}),
              c.post(f"/arenden/{CASE}/koppla", data={"csrf": token, "message_id": "x\x00@y"}),
              c.get("/arenden/BUS-2026-0001%00"), c.get("/arenden?q=%00"), c.get("/arenden?status=%00"),
              ws.client(store, rules).post("/login", data={"username": "a\x00", "password": "x"})):
        assert r.status_code == 400, (r.status_code, r.text[:200])
        assert "nolltecken" in r.text
    assert (_case(store).overrides or {}).get("event_type") is None


def test_l7_uvicorns_loggers_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    """Even through uvicorn's own handlers (its default logging config), its records are redacted."""
    import logging.config

    from uvicorn.config import LOGGING_CONFIG

    from busavvik.logs import setup_logging
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level,
                                                logging.getLogger(n).propagate) for n in names})
    try:
        setup_logging("text", "INFO")
        logging.config.dictConfig(LOGGING_CONFIG)
        secret = "811218" + "-9876"
        try:
            raise ValueError(f"parameters: {{'value': '{secret}'}}")
        except ValueError:
            logging.getLogger("uvicorn.error").exception("Exception in ASGI application 8112\u200b18-9876")
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1", "GET",
                                                 "/arenden?q=811218.9876", "1.1", 200)
        out = capsys.readouterr()
        text = out.out + out.err
        assert "Traceback" in text and "Exception in ASGI" in text and "/arenden?q=" in text, text
        assert "9876" not in text and text.count("[personnummer]") == 3, text
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for n, (h, lv, prop) in saved[2].items():
            logger = logging.getLogger(n)
            logger.handlers[:], logger.level, logger.propagate = h, lv, prop


def test_l7_busavvik_web_hands_uvicorn_no_logging_config_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn's own handlers would print tracebacks unredacted: log_config=None leaves them to busavvik's."""
    import uvicorn

    import web.app
    from busavvik.commands.web import web_cmd
    from config.settings import Settings
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    monkeypatch.setattr(web.app, "create_app", lambda *a, **kw: None)
    web_cmd(SimpleNamespace(obj=SimpleNamespace(settings=Settings(), db=None, rules=None)),  # type: ignore[arg-type]
            host="127.0.0.1", port=1)
    assert "log_config" in seen and seen["log_config"] is None


# L10 ------------------------------------------------------------------------------------------------------------

def test_l10_numbers_in_the_address_are_parsed_strictly(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "reader")
    huge = "9" * 20
    for path in ("/arenden?ar=%C2%B2", f"/arenden?ar={huge}", "/arenden?sida=%C2%B2", f"/arenden?sida={huge}",
                 "/arenden?sida=%D9%A3", "/granska?sida=%C2%B2", f"/granska?sida={huge}", "/arenden?sida=-1"):
        r = c.get(path)
        assert r.status_code == 400 and "ogiltigt värde" in r.text, path
    for path in (f"/rapport/{huge}", f"/rapport/{huge}.xlsx", f"/rapport/{huge}/diagram/teman.png", "/rapport/0"):
        r = c.get(path)
        assert r.status_code == 404, path
    assert "Det finns ingen årsrapport" in c.get(f"/rapport/{huge}").text
    assert c.get("/arenden?ar=2026&sida=1").status_code == 200 and c.get("/rapport/2026").status_code == 200


# a message id in a form ------------------------------------------------------------------------------------------

def test_a_posted_message_must_belong_to_the_case_in_the_url(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    with store.session() as s:
        answer = s.scalars(select(Message).where(Message.subject.startswith("SV: BUS-avvikelse SIP"))).one()
    for path, data in (("koppla-bort", {}), ("utfall", {"outcome": rules.outcome_labels[0]})):
        r = c.post(f"/arenden/BUS-2026-0003/{path}", data={"csrf": token, "message": str(answer.id), **data})
        assert r.headers["location"] == "/arenden/BUS-2026-0003?fel=annat-arende", path
    with store.session() as s:
        assert s.get(Message, answer.id).case_pk == _case(store).id  # type: ignore[union-attr]
    assert "hör inte till det här ärendet" in c.get("/arenden/BUS-2026-0003?fel=annat-arende").text


# M4 -------------------------------------------------------------------------------------------------------------

PARALLEL = {"event_type": "Händelse A", "description": "Beskrivning B", "proposed_action": "Åtgärd C",
            "personal_data_contact": "Kontakt D", "reported_date": "2026-05-04", "units_involved": "Enhet E; Enhet F"}


def test_m4_six_parallel_saves_of_different_fields_are_all_kept(store: Database, rules: Rules) -> None:
    clients = [ws.logged_in(store, rules, "secretariat") for _ in PARALLEL]
    version = _version(clients[0][0].get(f"/arenden/{CASE}").text)
    for round_ in range(3):
        barrier, answers = threading.Barrier(len(PARALLEL)), list[Any]()

        def save(i: int, field: str, value: str, barrier: threading.Barrier = barrier, answers: list[Any] = answers,
                 version: str = version) -> None:
            c, token = clients[i]
            barrier.wait()
            answers.append(c.post(f"/arenden/{CASE}/falt", data={"csrf": token, "field": field, "version": version,
                                                                  "value": value}))
        threads = [threading.Thread(target=save, args=(i, f, v if f == "reported_date" else f"{v} {round_}"))
                   for i, (f, v) in enumerate(PARALLEL.items())]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        version = _version(clients[0][0].get(f"/arenden/{CASE}").text)
        assert sorted(a.headers["location"] for a in answers) == [f"/arenden/{CASE}?klart=falt"] * 6
        overrides = _case(store).overrides
        assert overrides["event_type"] == f"Händelse A {round_}" and overrides["description"] == \
            f"Beskrivning B {round_}" and overrides["proposed_action"] == f"Åtgärd C {round_}"
        assert overrides["personal_data_contact"] == f"Kontakt D {round_}"
        assert overrides["reported_date"] == "2026-05-04" and overrides["units_involved"] == ["Enhet E",
                                                                                            f"Enhet F {round_}"]


def test_m4_a_save_from_a_stale_page_is_refused(store: Database, rules: Rules) -> None:
    first, first_token = ws.logged_in(store, rules, "secretariat")
    other, other_token = ws.logged_in(store, rules, "admin")
    shown = _version(first.get(f"/arenden/{CASE}").text)
    r = other.post(f"/arenden/{CASE}/falt", data={"csrf": other_token, "field": "event_type", "value": "Annans",
                                                  "version": _version(other.get(f"/arenden/{CASE}").text)})
    assert r.headers["location"].endswith("klart=falt")
    r = first.post(f"/arenden/{CASE}/falt", data={"csrf": first_token, "field": "event_type", "value": "Min",
                                                  "version": shown})
    assert r.headers["location"] == f"/arenden/{CASE}?fel=andrat"
    assert _case(store).overrides["event_type"] == "Annans"
    assert "Någon annan har ändrat detta" in first.get(r.headers["location"]).text
    r = first.post(f"/arenden/{CASE}/falt", data={"csrf": first_token, "field": "description", "value": "Min",
                                                  "version": shown})
    assert r.headers["location"].endswith("klart=falt")         # another field: nothing to overwrite
    r = first.post(f"/arenden/{CASE}/status", data={"csrf": first_token, "status": "closed", "version": shown})
    assert r.headers["location"].endswith("klart=status")
    r = other.post(f"/arenden/{CASE}/status", data={"csrf": other_token, "status": "paused", "version": shown})
    assert r.headers["location"].endswith("fel=andrat") and _case(store).status == "closed"


# issue 24 part 8: editing ----------------------------------------------------------------------------------------

def test_the_correction_forms_show_the_current_value_with_named_buttons(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    html = c.get(f"/arenden/{CASE}").text
    assert re.search(r'<textarea id="falt-description" name="value"[^>]*>BUP uteblev från SIP-mötet', html)
    assert 'id="falt-event_type" name="value" value="Uteblivet SIP-möte"' in html
    assert 'value="2026-01-10"' in html and 'value="BUP Farsta"' in html
    assert "Spara händelsetyp" in html and "Spara beskrivningen" in html and "Spara teman" in html
    assert not re.search(r">\s*Spara\s*</button>", html)
    assert html.count('<label for="falt-') == 6


@pytest.mark.parametrize("typed", ["19 augusti 2026", "2026-08-19", "19/8 2026", "19 aug 2026", "den 19 aug. 2026"])
def test_dates_as_people_write_them(store: Database, rules: Rules, typed: str) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    r = c.post(f"/arenden/{CASE}/falt", data={"csrf": token, "field": "reported_date", "value": typed})
    assert r.headers["location"].endswith("klart=falt")
    assert _case(store).overrides["reported_date"] == "2026-08-19"


def test_a_date_that_cannot_be_read_gets_a_swedish_message(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    for typed, code in (("igår", "datum"), ("31 februari 2026", "datum"), ("19 augusti 1889", "datum-utanfor")):
        r = c.post(f"/arenden/{CASE}/falt", data={"csrf": token, "field": "reported_date", "value": typed})
        assert r.headers["location"].endswith(f"fel={code}"), typed
        page = c.get(r.headers["location"]).text
        assert "expected" not in page and ("Datumet" in page)
    assert "reported_date" not in (_case(store).overrides or {})


# export --help ---------------------------------------------------------------------------------------------------

def test_export_help_shows_the_redaction_marker() -> None:
    from busavvik.cli import app as cli
    out = CliRunner().invoke(cli, ["export", "deviations", "--help"], env={"COLUMNS": "200"})
    assert out.exit_code == 0 and "with [personnummer]." in out.stdout, out.stdout
