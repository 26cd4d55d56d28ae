"""Issue 25, sessions and logins: server-side sessions that end (M1, L8), a throttle that a burst or a restart does
not beat and that cannot lock another person out (M2, L2), argon2 outside any database session and capped (L3), the
body counted as it arrives and the login checked before a form is read (L4), X-Forwarded-For only from configured
proxies (L1), passphrases and the cookie secret, and the access log."""
from __future__ import annotations

import asyncio
import base64
import json
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from busavvik.cli import app as cli
from busavvik.commands.web import uvicorn_options
from config.rules import Rules
from config.settings import Settings, WebSettings
from store import users
from store.db import Database
from store.models import AccessLog, WebSession
from tests.support import web_support as ws
from web.app import MAX_BODY, create_app
from web.auth import COOKIE, SecretError, Throttle, check_secret

CASE = "BUS-2026-0001"


@pytest.fixture
def store(db: Database, rules: Rules) -> Database:
    ws.load(db, rules)
    return db


def _web(c: Any) -> Any:
    return c.app.app.state.web                      # TestClient → SecurityHeaders → Starlette


def _run(config: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--config", str(config), *args])


@pytest.fixture
def config(store: Database, tmp_path: Path) -> Path:
    cfg = tmp_path / "busavvik.toml"
    cfg.write_text(f'[database]\nurl = "{store.url}"\n')
    return cfg


# --- M1, L8: sessions end ---------------------------------------------------------------------------------------

def test_a_cookie_copied_before_logout_no_longer_reads_or_acts(store: Database, rules: Rules) -> None:
    """M1. Before: the copy read cases and acted for the rest of session_hours. After: 303 to login and 403."""
    c, token = ws.logged_in(store, rules, "secretariat")
    stolen = c.cookies[COOKIE]
    assert c.post("/logout", data={"csrf": token}).status_code == 303
    thief = ws.client(store, rules)
    thief.cookies.set(COOKIE, stolen)
    assert thief.get("/arenden").status_code == 303
    assert thief.post(f"/arenden/{CASE}/status", data={"csrf": token, "status": "closed"}).status_code == 403
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 0


def test_the_cookie_carries_only_a_signed_random_id(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "admin")
    payload = c.cookies[COOKIE].split(".")[0]
    content = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(content) == {"i"} and "admin" not in c.cookies[COOKIE] and token not in json.dumps(content)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_get_or_head_logout_does_not_log_out(store: Database, rules: Rules, method: str) -> None:
    """L8. Before: GET/HEAD /logout ended the session without a CSRF token. After: a page with the button."""
    c, _ = ws.logged_in(store, rules, "reader")
    r = c.request(method, "/logout")
    assert r.status_code == 200
    if method == "GET":
        assert 'action="/logout"' in r.text and "Logga ut överallt" in r.text
    assert c.get("/arenden").status_code == 200


def test_logging_in_again_ends_the_earlier_session(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "reader")
    earlier = c.cookies[COOKIE]
    c.cookies.clear()
    c.cookies.set(COOKIE, earlier)
    token = ws.csrf_of(c.get("/").text)
    assert c.post("/login", data={"username": "admin", "password": ws.PASSWORD, "csrf": token}).status_code == 303
    copy = ws.client(store, rules)
    copy.cookies.set(COOKIE, earlier)
    assert copy.get("/arenden").status_code == 303 and c.get("/drift").status_code == 200


def test_the_nginx_example_sends_hsts_and_the_unit_documents_the_time_outs() -> None:
    readme = (ws.ROOT / "README.md").read_text(encoding="utf-8")
    assert 'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;' in readme
    assert "client_header_timeout" in readme and "trusted_proxies" in readme
    unit = (ws.ROOT / "docs" / "busavvik-web.service").read_text(encoding="utf-8")
    assert "timeout_keep_alive=5" in unit and "h11_max_incomplete_event_size=16384" in unit


def test_logout_everywhere_ends_every_session_of_the_user(store: Database, rules: Rules) -> None:
    first, token = ws.logged_in(store, rules, "secretariat")
    second, _ = ws.logged_in(store, rules, "secretariat")
    other, _ = ws.logged_in(store, rules, "reader")
    assert first.post("/logout", data={"csrf": token, "overallt": "1"}).status_code == 303
    assert second.get("/arenden").status_code == 303
    assert other.get("/arenden").status_code == 200


def test_sessions_end_when_idle_and_at_their_absolute_end(store: Database, rules: Rules) -> None:
    settings = Settings(database_url=store.url, web=WebSettings(session_hours=2, session_idle_minutes=30))
    c = ws.client(store, rules, settings=settings)
    sessions = _web(c).sessions
    start = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    now = [start]
    sessions.clock = lambda: now[0]
    assert ws.login(c, "reader").status_code == 303
    for minutes in (25, 50, 75, 100):                  # used every 25 minutes: never idle for 30
        now[0] = start + timedelta(minutes=minutes)
        assert c.get("/arenden").status_code == 200, minutes
    now[0] = start + timedelta(hours=2)                # the absolute end
    assert c.get("/arenden").status_code == 303
    assert ws.login(c, "reader").status_code == 303
    now[0] += timedelta(minutes=31)                    # idle too long
    assert c.get("/arenden").status_code == 303


def test_user_sessions_lists_and_revokes(store: Database, rules: Rules, config: Path) -> None:
    c, _ = ws.logged_in(store, rules, "secretariat")
    d, _ = ws.logged_in(store, rules, "secretariat")
    listed = _run(config, "user", "sessions", "secretariat")
    assert listed.exit_code == 0 and listed.stdout.count("lösenord") == 2 and "testclient" in listed.stdout
    one = listed.stdout.split()[0]
    assert "1 inloggningar" in _run(config, "user", "sessions", "secretariat", "--revoke", "--id", one).stdout
    assert sorted([c.get("/arenden").status_code, d.get("/arenden").status_code]) == [200, 303]
    assert "1 inloggningar" in _run(config, "user", "sessions", "secretariat", "--revoke").stdout
    assert c.get("/arenden").status_code == d.get("/arenden").status_code == 303
    assert "inga öppna inloggningar" in _run(config, "user", "sessions", "secretariat").stdout


def test_disable_and_a_new_password_delete_the_session_rows(store: Database, rules: Rules) -> None:
    ws.logged_in(store, rules, "reader")
    ws.logged_in(store, rules, "secretariat")
    with store.session() as s:
        users.set_password(s, "reader", "ett nytt långt lösenord")
        users.disable_user(s, "secretariat")
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 0


# --- M2, L2: the throttle ----------------------------------------------------------------------------------------

def _app(store: Database, rules: Rules, throttle: Throttle | None = None) -> Any:
    return create_app(store, Settings(database_url=store.url), rules, throttle=throttle, today=lambda: ws.TODAY)


async def _attempts(app: Any, passwords: list[str], name: str = "admin", address: str = "10.1.1.1") -> list[int]:
    transport = httpx.ASGITransport(app=app, client=(address, 4711))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        async def one(password: str) -> int:
            r = await c.post("/login", data={"username": name, "password": password, "next": "/"})
            return r.status_code
        return list(await asyncio.gather(*(one(p) for p in passwords)))


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password check (argon2) the login makes."""
    checked: list[str] = []
    real = users.verify_password

    def verify(hashed: str | None, password: str) -> bool:
        checked.append(password)
        return real(hashed, password)
    monkeypatch.setattr(users, "verify_password", verify)
    return checked


def test_a_parallel_burst_of_guesses_gets_only_five_checked(store: Database, rules: Rules,
                                                             counted: list[str]) -> None:
    """M2. Before: 40 parallel guesses for one name from one address were all checked (40 of 40) and the right
    one, among them, logged in. After: 5 of 40 are checked, the other 35 get 429."""
    guesses = [f"fel-gissning-{i}" for i in range(39)]
    guesses.insert(20, ws.PASSWORD)
    codes = asyncio.run(_attempts(_app(store, rules), guesses))
    print(f"parallel burst: {len(counted)} of {len(guesses)} guesses checked")
    assert len(counted) == 5
    assert codes.count(429) == 35 and codes.count(401) + codes.count(303) == 5


def test_a_restart_does_not_reset_the_count(store: Database, rules: Rules) -> None:
    """M2. Before: the counts lived in the process. After: in the store; a new application still refuses."""
    assert asyncio.run(_attempts(_app(store, rules), ["fel-lösenord"] * 5)) == [401] * 5
    assert asyncio.run(_attempts(_app(store, rules), [ws.PASSWORD])) == [429]


def test_failures_from_one_address_do_not_lock_out_another(store: Database, rules: Rules) -> None:
    """L2. Before: 5 anonymous wrong tries, and the right password got 429. After: the owner logs in from their
    own address; the guesser's address still waits."""
    assert asyncio.run(_attempts(_app(store, rules), ["fel-lösenord"] * 5, address="203.0.113.9")) == [401] * 5
    assert asyncio.run(_attempts(_app(store, rules), [ws.PASSWORD], address="10.20.30.40")) == [303]
    assert asyncio.run(_attempts(_app(store, rules), [ws.PASSWORD], address="203.0.113.9")) == [429]


# --- L3: argon2 outside the store, capped ------------------------------------------------------------------------

def test_a_flood_of_failing_logins_leaves_pages_quick(store: Database, rules: Rules,
                                                      real_password_hashes: None) -> None:
    """L3. Before: 60 parallel failing logins made logged-in pages take 7–18 s (argon2 held a database connection
    and the thread pool). After: argon2 runs two at a time in a pool of its own, outside any session."""
    app = _app(store, rules, Throttle(limit=1000, address_limit=1000, queue=1000))

    async def scene() -> tuple[float, float]:
        transport = httpx.ASGITransport(app=app, client=("10.9.9.9", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            login = await c.post("/login", data={"username": "reader", "password": ws.PASSWORD, "next": "/"})
            assert login.status_code == 303
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as flood:
                start = time.perf_counter()
                tasks = [asyncio.create_task(flood.post("/login", data={"username": f"gissning{i}",
                                                                         "password": "fel-lösenord"}))
                         for i in range(60)]
                await asyncio.sleep(0.2)                     # the flood is under way
                page_start = time.perf_counter()
                page = await c.get("/arenden")
                page_time = time.perf_counter() - page_start
                assert page.status_code == 200
                assert [r.status_code for r in await asyncio.gather(*tasks)] == [401] * 60
                return page_time, time.perf_counter() - start
    page_time, flood_time = asyncio.run(scene())
    print(f"flood: logged-in page {page_time:.2f} s during 60 failing logins ({flood_time:.2f} s)")
    assert page_time < flood_time / 4


def test_too_many_waiting_checks_get_a_quick_swedish_503(store: Database, rules: Rules,
                                                          real_password_hashes: None) -> None:
    from store import users
    with store.session(write=True) as session:     # the account's hash at the real cost: each check takes time
        users.set_password(session, "admin", ws.PASSWORD)
    app = _app(store, rules, Throttle(limit=1000, address_limit=1000, verifications=1, queue=2))
    codes = asyncio.run(_attempts(app, ["fel-lösenord"] * 12))
    assert codes.count(503) >= 1 and set(codes) <= {401, 503}


# --- L4: the body ------------------------------------------------------------------------------------------------

async def _chunked(app: Any, path: str, chunks: int, size: int = 64 * 1024,
                   cookie: str = "") -> tuple[int, int]:
    """POST a chunked body of `chunks` × `size` bytes (no content-length) straight to the ASGI app: the status
    and how many chunks it read."""
    sent = [0]
    status = [0]
    chunk = b"a" * size

    async def receive() -> dict[str, Any]:
        sent[0] += 1
        return {"type": "http.request", "body": chunk, "more_body": sent[0] < chunks}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]
    headers = [(b"host", b"testserver"), (b"content-type", b"application/x-www-form-urlencoded"),
               (b"transfer-encoding", b"chunked")]
    if cookie:
        headers.append((b"cookie", f"{COOKIE}={cookie}".encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
             "client": ("10.3.3.3", 1), "server": ("testserver", 80)}
    await app(scope, receive, send)
    return status[0], sent[0]


def test_a_chunked_body_is_refused_once_it_passes_the_limit(store: Database, rules: Rules) -> None:
    """L4. Before: chunked bodies bypassed the 256 KiB limit (6 requests: 128 MB → 1.6 GB). After: 413 once
    256 KiB have arrived; the rest is never read."""
    app = _app(store, rules)
    tracemalloc.start()
    status, read = asyncio.run(_chunked(app, "/login", chunks=1600))        # 100 MiB offered
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"chunked: 100 MiB offered, {read} × 64 KiB read, peak {peak / 2**20:.1f} MiB traced")
    assert status == 413 and read <= MAX_BODY // (64 * 1024) + 1
    assert peak < 16 * 2**20


def test_an_anonymous_post_is_refused_before_its_body_is_read(store: Database, rules: Rules) -> None:
    """L4. Before: the form was parsed before the login check. After: 403 with nothing read."""
    status, read = asyncio.run(_chunked(_app(store, rules), f"/arenden/{CASE}/status", chunks=100))
    assert status == 403 and read == 0


def test_a_declared_length_over_the_limit_is_refused(store: Database, rules: Rules) -> None:
    c, token = ws.logged_in(store, rules, "secretariat")
    r = c.post(f"/arenden/{CASE}/status", content=b"csrf=" + token.encode() + b"&x=" + b"a" * MAX_BODY,
               headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


# --- L1: X-Forwarded-For -----------------------------------------------------------------------------------------

def test_forwarded_for_is_trusted_only_from_configured_proxies() -> None:
    """L1. Before: uvicorn believed X-Forwarded-For from any loopback client. After: from none by default."""
    default = uvicorn_options(WebSettings())
    assert default["proxy_headers"] is False and default["forwarded_allow_ips"] == ""
    proxied = uvicorn_options(WebSettings(trusted_proxies=("10.0.0.5",)))
    assert proxied["proxy_headers"] is True and proxied["forwarded_allow_ips"] == "10.0.0.5"
    assert default["timeout_keep_alive"] == 5 and default["h11_max_incomplete_event_size"] == 16384


# --- accounts ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("password, why", [(" " * 8, "minst 12"), (" " * 12, "för få olika"),
                                            ("kort-ord-1", "minst 12"), ("aaaaaaaaaaaaaaab", "för få olika"),
                                            ("password1234", "vanliga"), ("Lösenordet2026!", "vanliga"),
                                            ("correct horse battery staple", "vanliga")])
def test_weak_passphrases_are_refused(db: Database, password: str, why: str) -> None:
    with db.session() as s, pytest.raises(users.UserError, match=why):
        users.add_user(s, "kim", "reader", password)


def test_a_passphrase_is_accepted(db: Database) -> None:
    with db.session() as s:
        assert users.add_user(s, "kim", "reader", "fyra ord i rad").name == "kim"


@pytest.mark.parametrize("secret", ["kort", "a" * 40, "test-secret-for-signing-cookies"])
def test_a_weak_cookie_secret_is_refused_at_start(store: Database, rules: Rules, secret: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUSAVVIK_WEB_SECRET", secret)
    with pytest.raises(SecretError, match="för svag"):
        create_app(store, Settings(database_url=store.url), rules)
    assert check_secret("x7Gq2LmZ9pR4tW8yB1nC5vK3hJ6fD0sA") != ""


def test_the_web_command_says_so_in_swedish(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUSAVVIK_WEB_SECRET", "hemligt")
    r = _run(config, "web")
    assert r.exit_code == 1 and "för svag" in r.output and "Traceback" not in r.output


# --- the access log ----------------------------------------------------------------------------------------------

def _log(store: Database) -> list[tuple[str, str, str]]:
    with store.session() as s:
        return [(r.who, r.event, r.target) for r in s.scalars(select(AccessLog).order_by(AccessLog.id))]


def test_logins_failures_logouts_and_opened_cases_are_logged(store: Database, rules: Rules) -> None:
    c = ws.client(store, rules)
    assert ws.login(c, "reader", "fel-lösenord").status_code == 401
    assert ws.login(c, "reader").status_code == 303
    c.get(f"/arenden/{CASE}")
    c.get("/granska")
    c.post("/logout", data={"csrf": ws.csrf_of(c.get("/").text)})
    assert _log(store) == [("reader", "login_failed", ""), ("reader", "login", ""), ("reader", "case", CASE),
                           ("reader", "review", "sida 1"), ("reader", "logout", "")]


def test_the_access_log_page_is_for_admins_paginated_and_read_only(store: Database, rules: Rules) -> None:
    with store.session() as s:
        from store import access_log
        for i in range(150):
            access_log.record(s, f"person{i}", "case", at=datetime(2026, 5, 1, tzinfo=UTC) + timedelta(minutes=i),
                              target=f"BUS-2026-{i:04d}", address="10.0.0.1")
    secretariat, _ = ws.logged_in(store, rules, "secretariat")
    assert secretariat.get("/atkomstlogg").status_code == 403
    admin, token = ws.logged_in(store, rules, "admin")
    first = admin.get("/atkomstlogg")
    assert first.status_code == 200 and "Åtkomstlogg" in first.text and "Nästa" in first.text
    assert first.text.count("<tr>") == 101                     # the head and 100 rows
    assert "person149" in first.text and "öppnade ärende" in first.text
    second = admin.get("/atkomstlogg?sida=2")
    assert "Nästa" not in second.text and "Föregående" in second.text
    assert admin.get("/atkomstlogg?vem=person7").text.count("<tr>") == 2
    assert admin.post("/atkomstlogg", data={"csrf": token}).status_code == 405


def test_an_admin_logs_a_user_out_everywhere(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "secretariat")
    admin, token = ws.logged_in(store, rules, "admin")
    page = admin.get("/atkomstlogg?vem=secretariat").text
    assert "Logga ut secretariat överallt" in page
    r = admin.post("/atkomstlogg/logga-ut", data={"csrf": token, "vem": "secretariat"})
    assert r.status_code == 303
    assert "1 inloggningar för secretariat avslutade" in admin.get(r.headers["location"]).text
    assert c.get("/arenden").status_code == 303 and admin.get("/arenden").status_code == 200
    reader, reader_token = ws.logged_in(store, rules, "reader")
    assert reader.post("/atkomstlogg/logga-ut", data={"csrf": reader_token, "vem": "admin"}).status_code == 403
    assert admin.get("/arenden").status_code == 200


def test_the_access_log_cannot_be_edited(store: Database, rules: Rules) -> None:
    import sqlalchemy as sa

    ws.login(ws.client(store, rules), "reader")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.session() as s:
        s.execute(sa.update(AccessLog).values(who="någon annan"))
    assert _log(store) == [("reader", "login", "")]


def test_busavvik_audit_lists_the_log(store: Database, rules: Rules, config: Path) -> None:
    c = ws.client(store, rules)
    ws.login(c, "admin", "fel-lösenord")
    ws.login(c, "admin")
    out = _run(config, "audit", "--user", "admin")
    assert out.exit_code == 0, out.output
    assert "loggade in" in out.stdout and "misslyckad inloggning" in out.stdout and "2 av 2 händelser" in out.stdout


@pytest.fixture(autouse=True)
def _no_secret_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("BUSAVVIK_WEB_SECRET", raising=False)
    yield
