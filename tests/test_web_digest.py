"""The weekly digest links to the web pages when web.base_url is set: each case id to {base_url}/arenden/{id}
(an <a> in HTML, the URL beside it in text), review to /granska; no links when it is unset."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from config.rules import Rules
from config.settings import Settings, WebSettings
from notify import digest as dg
from store.db import Database
from tests.support import web_support as ws

BASE = "https://busavvik.example.se"


@pytest.fixture
def digest(db: Database, rules: Rules) -> dg.Digest:
    ws.load(db, rules)
    with db.session() as s:
        d = dg.collect(s, date(2026, 3, 5))           # the week of BUS-2026-0002 and of the loose mail
    assert any(r.case_id == "BUS-2026-0002" for r in d.new) and d.review
    return d


def _mail(d: dg.Digest, base_url: str) -> tuple[str, str]:
    settings = replace(Settings(), web=WebSettings(base_url=base_url))
    msg = dg.build_mail(d, settings, datetime(2026, 3, 9, 7, tzinfo=UTC), "busavvik.example.se")
    html, plain = msg.get_body(("html",)), msg.get_body(("plain",))
    assert html is not None and plain is not None
    return html.get_content(), plain.get_content()


def test_the_digest_links_to_the_pages(digest: dg.Digest) -> None:
    html, text = _mail(digest, BASE + "/")
    assert f'<a href="{BASE}/arenden/BUS-2026-0002">BUS-2026-0002</a>' in html
    assert f'<a href="{BASE}/granska">' in html
    assert "BUS-2026-0002" in text and f"{BASE}/arenden/BUS-2026-0002" in text and f"{BASE}/granska" in text
    assert "<a href" not in text


def test_no_links_without_a_base_url(digest: dg.Digest) -> None:
    html, text = _mail(digest, "")
    assert "<a href" not in html and "/arenden/" not in html + text and "/granska" not in html + text
    assert "BUS-2026-0002" in html and "BUS-2026-0002" in text
