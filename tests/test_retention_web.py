"""The case page's legal hold button and the retention part of /drift (admin only)."""
from __future__ import annotations

import dataclasses

import pytest
from starlette.testclient import TestClient

from config.rules import Rules
from config.settings import RetentionRule, RetentionSettings, Settings
from store.db import Database
from tests.support import web_support as ws
from web.app import create_app

CASE = "BUS-2026-0001"


@pytest.fixture
def store(db: Database, rules: Rules) -> Database:
    ws.load(db, rules)
    return db


def _client(db: Database, rules: Rules, role: str) -> tuple[TestClient, str]:
    retention = RetentionSettings(rules=(RetentionRule("storsthlm", "Storsthlm 2026/45", raw_mail_days=730),))
    settings = dataclasses.replace(Settings(database_url=db.url), retention=retention)
    c = TestClient(create_app(db, settings, rules, today=lambda: ws.TODAY), follow_redirects=False)
    assert ws.login(c, role).status_code == 303
    return c, ws.csrf_of(c.get("/").text)


def test_hold_and_release_from_the_case_page(store: Database, rules: Rules) -> None:
    c, token = _client(store, rules, "secretariat")
    assert "Spärra för gallring" in c.get(f"/arenden/{CASE}").text
    r = c.post(f"/arenden/{CASE}/sparr", data={"csrf": token, "action": "hold", "reason": "JO-ärende 123"})
    assert r.status_code == 303 and "klart=" in r.headers["location"]
    page = c.get(f"/arenden/{CASE}").text
    assert "Spärrat för gallring: JO-ärende 123 (secretariat)" in page and "Häv spärren" in page
    assert c.post(f"/arenden/{CASE}/sparr", data={"csrf": token, "action": "hold"}).headers["location"].count("fel=")
    c.post(f"/arenden/{CASE}/sparr", data={"csrf": token, "action": "release"})
    assert "Spärra för gallring" in c.get(f"/arenden/{CASE}").text


def test_hold_needs_csrf_and_a_role(store: Database, rules: Rules) -> None:
    c, token = _client(store, rules, "secretariat")
    assert c.post(f"/arenden/{CASE}/sparr", data={"action": "hold", "reason": "x"}).status_code in (400, 403)
    reader, token = _client(store, rules, "reader")
    assert reader.post(f"/arenden/{CASE}/sparr", data={"csrf": token, "action": "hold",
                                                       "reason": "x"}).status_code == 403


def test_drift_shows_the_rules_and_holds_to_admins_only(store: Database, rules: Rules) -> None:
    c, token = _client(store, rules, "admin")
    c.post(f"/arenden/{CASE}/sparr", data={"csrf": token, "action": "hold", "reason": "begäran om allmän handling"})
    html = c.get("/drift").text
    assert "<h2>Gallring</h2>" in html and "Storsthlm 2026/45" in html and "rå e-post 730 d" in html
    assert "begäran om allmän handling" in html and "Inga ännu." in html
    secretariat, _ = _client(store, rules, "secretariat")
    assert secretariat.get("/drift").status_code == 403
