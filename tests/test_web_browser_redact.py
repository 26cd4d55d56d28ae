"""The case page with the tricky personnummer spellings of tests/tricky.py planted (issue 25 M3), in a real
browser (headless chromium against a real `busavvik web`) at 1366 and 390 px: what the browser renders
(`body.text`, after bidi, soft hyphens and zero-width characters are laid out) holds no trace of the number, and
a screenshot of each width is kept in the run's screenshot folder (tests/browser.py)."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from config.rules import Rules
from store.db import Database
from store.models import Case, Message
from tests.support import browser
from tests.support import web_support as ws
from tests.support.tricky import DIGITS, MESSAGE_ID, load_tricky

pytestmark = pytest.mark.integration


@pytest.fixture
def server(tmp_path: Path, rules: Rules) -> Iterator[tuple[str, str]]:
    browser.chromium()
    url = f"sqlite:///{tmp_path / 'busavvik.db'}"
    database = Database(url)
    ws.load(database, rules)
    load_tricky(database, rules)
    with database.session() as s:
        msg = s.scalars(select(Message).where(Message.message_id == MESSAGE_ID.strip("<>").lower())).one()
        case_id = s.scalars(select(Case.case_id).where(Case.id == msg.case_pk)).one()
    database.dispose()
    cfg = tmp_path / "busavvik.toml"
    cfg.write_text(f'[database]\nurl = "{url}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUSAVVIK_")}
    env["BUSAVVIK_WEB_SECRET"] = "browser-test-secret-for-cookies-0123456789"
    with ws.web_server(cfg, env) as base:
        yield base, case_id


def test_the_tricky_spellings_are_redacted_in_the_browser(server: tuple[str, str], tmp_path: Path) -> None:
    base, case_id = server
    folder = browser.screenshot_folder()
    print(f"screenshots: {folder}")
    with browser.headless(browser.chromium(), tmp_path / "profile") as driver:
        driver.get(base + "/login")
        driver.find_element("css selector", "input[name=username]").send_keys("secretariat")
        driver.find_element("css selector", "input[name=password]").send_keys(ws.PASSWORD)
        driver.find_element("css selector", "form.login button[type=submit]").click()
        for width, name in ((1366, "bred"), (390, "mobil")):
            driver.set_window_size(width, 3000)
            driver.get(f"{base}/arenden/{case_id}")
            text = str(driver.find_element("tag name", "body").text)
            digits = re.sub(r"\D", "", text)
            assert DIGITS not in digits and DIGITS[::-1] not in digits, text
            assert text.count("[personnummer]") >= 12 and "Uteblivet möte" in text
            values = " ".join(str(e.get_attribute("value")) for e in
                              driver.find_elements("css selector", "input[name=value], textarea"))
            assert DIGITS not in re.sub(r"\D", "", values)       # nor in the prefilled correction forms
            path = folder / f"{1 if width > 400 else 2:02d}-arende-med-planterade-personnummer-{name}.png"
            assert driver.save_screenshot(str(path)) and path.stat().st_size > 1000
