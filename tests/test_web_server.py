"""The real thing: `busavvik user add … --password-stdin`, then `busavvik web --host 127.0.0.1 --port N` as a
process, spoken to over HTTP."""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from config.rules import Rules
from store.db import Database
from tests.support import web_support as ws

pytestmark = pytest.mark.integration


@pytest.fixture
def config(db_url: str, tmp_path: Path, rules: Rules) -> Iterator[tuple[Path, dict[str, str]]]:
    database = Database(db_url)
    ws.load(database, rules)
    database.dispose()
    cfg = tmp_path / "busavvik.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUSAVVIK_")}
    env["BUSAVVIK_WEB_SECRET"] = "test-secret-for-signing-cookies-0123456789"
    yield cfg, env


def _cli(cfg: Path, env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ws.command(), "--config", str(cfg), *args], input=stdin, env=env, cwd=ws.ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def server(config: tuple[Path, dict[str, str]]) -> Iterator[str]:
    with ws.web_server(*config) as base:
        yield base


def test_user_commands(config: tuple[Path, dict[str, str]]) -> None:
    cfg, env = config
    added = _cli(cfg, env, "user", "add", "eva", "--role", "secretariat", "--password-stdin", stdin="hemligt-ord-9\n")
    assert added.returncode == 0 and "eva" in added.stdout, added.stderr
    again = _cli(cfg, env, "user", "add", "eva", "--role", "reader", "--password-stdin", stdin="hemligt-ord-9\n")
    assert again.returncode == 1 and "finns redan" in again.stderr
    short = _cli(cfg, env, "user", "add", "kim", "--role", "reader", "--password-stdin", stdin="kort\n")
    assert short.returncode == 1 and "minst 12 tecken" in short.stderr
    role = _cli(cfg, env, "user", "add", "kim", "--role", "chef", "--password-stdin", stdin="hemligt-ord-9\n")
    assert role.returncode == 1 and "okänd roll" in role.stderr
    assert _cli(cfg, env, "user", "passwd", "eva", "--password-stdin", stdin="nytt-ord-1234\n").returncode == 0
    assert _cli(cfg, env, "user", "disable", "eva").returncode == 0
    assert "redan avstängd" in _cli(cfg, env, "user", "disable", "eva").stdout
    assert _cli(cfg, env, "user", "disable", "ingen").returncode == 1


def test_the_web_process_serves_the_pages(server: str, config: tuple[Path, dict[str, str]]) -> None:
    cfg, env = config
    assert _cli(cfg, env, "user", "add", "sara", "--role", "secretariat", "--password-stdin",
                stdin="sara-lösen-1\n").returncode == 0
    with httpx.Client(base_url=server, timeout=30) as c:
        assert c.get("/arenden").status_code == 303
        form = c.get("/login").text
        assert 'name="username"' in form and 'name="password"' in form
        token = re.search(r'name="csrf" value="([^"]+)"', form)
        assert token
        r = c.post("/login", data={"username": "sara", "password": "sara-lösen-1", "csrf": token.group(1)})
        assert r.status_code == 303
        listing = c.get("/arenden?alla=1").text
        assert all(f"BUS-2026-000{i}" in listing for i in (1, 2, 3))
        page = c.get("/arenden/BUS-2026-0001")
        assert "Uteblivet SIP-möte" in page.text and "BUP uteblev från SIP-mötet" in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert "Nyhetsbrev juni" in c.get("/granska").text
        assert c.post("/arenden/BUS-2026-0001/status", data={"status": "closed"}).status_code == 403
        assert "1212-1212" not in c.get("/arenden/BUS-2026-0002").text
    with httpx.Client(base_url=server, timeout=30) as plain:        # a form post with just the two fields
        r = plain.post("/login", data={"username": "sara", "password": "sara-lösen-1"})
        assert r.status_code == 303 and plain.get("/arenden?alla=1").status_code == 200


def test_forwarded_for_from_loopback_does_not_lift_the_address_limit(server: str) -> None:
    """L1. Before: uvicorn believed X-Forwarded-For from any loopback client, so each guess could claim another
    address and the per-address limit (20) never came. After: believed only from web.trusted_proxies (none here)."""
    with httpx.Client(base_url=server, timeout=60) as c:
        codes = [c.post("/login", data={"username": f"gissning{i}", "password": "fel-lösenord"},
                        headers={"x-forwarded-for": f"198.51.100.{i}"}).status_code for i in range(21)]
    assert codes[:20] == [401] * 20 and codes[20] == 429
