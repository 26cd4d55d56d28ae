"""Who may see and do what on the web pages: login, sessions, roles, CSRF, throttling, security headers."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from config.rules import Rules
from config.settings import Settings, WebSettings
from store import users
from store.db import Database
from store.models import Case, WebUser
from tests.support import web_support as ws
from web.auth import COOKIE, Throttle


@pytest.fixture
def store(db: Database, rules: Rules) -> Database:
    ws.load(db, rules)
    return db


def test_healthz_answers_without_login(store: Database, rules: Rules) -> None:
    r = ws.client(store, rules).get("/healthz")
    assert r.status_code == 200 and r.text == "ok"


@pytest.mark.parametrize("path", ["/", "/arenden", "/arenden?alla=1", "/arenden/BUS-2026-0001", "/granska",
                                  "/rapport/2026", "/rapport/2026.xlsx", "/drift"])
def test_every_page_without_login_redirects_to_login(store: Database, rules: Rules, path: str) -> None:
    r = ws.client(store, rules).get(path)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


def test_login_form_has_username_and_password_fields(store: Database, rules: Rules) -> None:
    html = ws.client(store, rules).get("/login").text
    assert 'name="username"' in html and 'name="password"' in html and 'type="password"' in html


def test_login_sets_a_httponly_samesite_cookie_and_logout_ends_it(store: Database, rules: Rules) -> None:
    c = ws.client(store, rules)
    r = ws.login(c, "reader")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(COOKIE + "=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie                     # plain http on loopback, no https base_url
    assert c.get("/arenden").status_code == 200
    token = ws.csrf_of(c.get("/").text)
    assert c.post("/logout", data={"csrf": token}).status_code == 303
    assert c.get("/arenden").status_code == 303


def test_cookie_is_secure_when_the_base_url_is_https(store: Database, rules: Rules) -> None:
    settings = Settings(database_url=store.url, web=WebSettings(base_url="https://busavvik.example.se"))
    c = ws.client(store, rules, settings=settings)
    assert "Secure" in ws.login(c, "reader").headers["set-cookie"]


def test_wrong_password_and_unknown_user_are_refused_alike(store: Database, rules: Rules) -> None:
    c = ws.client(store, rules)
    wrong, unknown = ws.login(c, "reader", "fel-lösenord"), ws.login(c, "ingen", "fel-lösenord")
    assert wrong.status_code == unknown.status_code == 401
    assert "Fel användarnamn eller lösenord" in wrong.text and "Fel användarnamn eller lösenord" in unknown.text


def test_login_is_throttled_after_five_failures_per_user(store: Database, rules: Rules) -> None:
    clock = [1000.0]
    c = ws.client(store, rules, throttle=Throttle(clock=lambda: clock[0]))
    for _ in range(5):
        assert ws.login(c, "secretariat", "fel-lösenord").status_code == 401
    blocked = ws.login(c, "secretariat")                  # the right password, but too soon
    assert blocked.status_code == 429 and "Vänta" in blocked.text
    clock[0] += 31
    assert ws.login(c, "secretariat").status_code == 303


def test_login_is_throttled_per_client_address(store: Database, rules: Rules) -> None:
    clock = [0.0]
    c = ws.client(store, rules, throttle=Throttle(limit=5, address_limit=8, clock=lambda: clock[0]))
    for i in range(8):
        assert ws.login(c, f"gissning{i}", "fel-lösenord").status_code == 401
    assert ws.login(c, "admin").status_code == 429           # another name from the same address waits too


def test_throttle_waits_longer_after_each_further_failure(db: Database) -> None:
    clock = [0.0]
    t = Throttle(limit=5, base_wait=30, clock=lambda: clock[0], db=db)
    for _ in range(5):
        assert t.attempt("anna", "10.0.0.1") == 0         # counted (as failures: none succeeded)
    assert t.attempt("anna", "10.0.0.1") == 30
    assert t.attempt("anna", "10.0.0.2") == 0            # another address is not held up (L2)
    clock[0] = 30
    assert t.attempt("anna", "10.0.0.1") == 0            # the sixth, after the wait
    assert t.attempt("anna", "10.0.0.1") == 60           # then twice as long
    t.succeeded("anna", "10.0.0.1")
    assert t.attempt("anna", "10.0.0.1") == 0


def test_reader_may_read_but_not_act(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "reader")
    assert c.get("/arenden/BUS-2026-0001").status_code == 200
    r = c.post("/arenden/BUS-2026-0001/status", data={"csrf": token, "status": "closed"})
    assert r.status_code == 403
    with store.session() as s:
        assert s.scalars(select(Case.status).where(Case.case_id == "BUS-2026-0001")).one() == "open"
    assert "Stäng ärendet" not in c.get("/arenden/BUS-2026-0001").text


def test_only_admin_sees_drift(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "secretariat")
    assert c.get("/drift").status_code == 403
    admin, _ = ws.logged_in(store, rules, "admin")
    r = admin.get("/drift")
    assert r.status_code == 200 and "Brevlådor" in r.text


@pytest.mark.parametrize("token", [None, "", "fel-token"])
def test_a_post_without_a_valid_csrf_token_is_refused(store: Database, rules: Rules, token: str | None) -> None:
    c, _ = ws.logged_in(store, rules, "admin")
    data = {"status": "closed"} if token is None else {"status": "closed", "csrf": token}
    assert c.post("/arenden/BUS-2026-0001/status", data=data).status_code == 403
    with store.session() as s:
        assert s.scalars(select(Case.status).where(Case.case_id == "BUS-2026-0001")).one() == "open"


def test_login_from_another_site_is_refused(store: Database, rules: Rules) -> None:
    c = ws.client(store, rules)
    r = c.post("/login", data={"username": "admin", "password": ws.PASSWORD},
               headers={"origin": "https://evil.example"})
    assert r.status_code == 403


def test_disabling_or_a_new_password_ends_open_sessions(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "reader")
    d, _ = ws.logged_in(store, rules, "secretariat")
    with store.session() as s:
        users.set_password(s, "reader", "ett-nytt-lösenord")
        users.disable_user(s, "secretariat")
    assert c.get("/arenden").status_code == 303
    assert d.get("/arenden").status_code == 303
    assert ws.login(d, "secretariat").status_code == 401
    assert ws.login(c, "reader", "ett-nytt-lösenord").status_code == 303


def test_passwords_are_stored_as_argon2_hashes(store: Database) -> None:
    with store.session() as s:
        hashes = s.scalars(select(WebUser.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") and ws.PASSWORD not in h for h in hashes)


def test_pages_carry_the_security_headers(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "reader")
    for path in ("/login", "/arenden", "/healthz"):
        h = c.get(path).headers
        assert "default-src 'self'" in h["content-security-policy"]
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert "unsafe-inline" not in h["content-security-policy"]
        assert h["x-frame-options"] == "DENY" and h["cache-control"] == "no-store"
        assert h["x-content-type-options"] == "nosniff"
    assert c.get("/static/style.css").status_code == 200


def test_pages_hold_no_inline_script(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "admin")
    for path in ("/", "/arenden?alla=1", "/arenden/BUS-2026-0001", "/granska", "/rapport/2026", "/drift"):
        html = c.get(path).text.lower()
        assert "<script" not in html.replace("&lt;script", "") and " onclick=" not in html, path
