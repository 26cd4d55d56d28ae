"""The secretariat's round in a real browser: Debian's headless chromium (selenium, /usr/bin/chromedriver) against a
real `busavvik web` process over a store with three cases and unlinked mail. Log in, filter the case list, open a
case, link an unlinked mail from Granska, set the answer's outcome, see it in the history, log out. Every page is
kept as a PNG in the screenshot folder the run prints (BUSAVVIK_SCREENSHOTS, else a fresh temporary folder).
Only clicks and typing: the pages' Content-Security-Policy forbids inline script, and the console must stay free
of CSP violations. Then every page, at 1366 and at 390 px, with axe-core (the npm package, injected by the driver)
finding no serious or critical violation and, at 390 px, nothing scrolling sideways."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from config.rules import Rules
from store.db import Database
from tests.support import browser
from tests.support import web_support as ws

pytestmark = pytest.mark.integration
USER, PASSWORD = "sara", "sara-lösen-1"
ADMIN, ADMIN_PASSWORD = "adam", "adam-lösen-1"       # sees every page, /drift and /atkomstlogg too
CASE = "BUS-2026-0001"                    # the SIP-möte deviation of tests/support/web_support.py
LOOSE = "Angående vår avvikelse"          # the unlinked mail from the receiver, with no thread headers


@pytest.fixture
def chromium() -> str:
    """Looked for before the server starts, so that a skip is quick."""
    return browser.chromium()


@pytest.fixture
def server(chromium: str, tmp_path: Path, rules: Rules) -> Iterator[str]:
    """`busavvik web` on a free port over a SQLite store, with an account made by `busavvik user add`."""
    url = f"sqlite:///{tmp_path / 'busavvik.db'}"
    database = Database(url)
    ws.load(database, rules)
    database.dispose()
    cfg = tmp_path / "busavvik.toml"
    cfg.write_text(f'[database]\nurl = "{url}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUSAVVIK_")}
    env["BUSAVVIK_WEB_SECRET"] = "browser-test-secret-for-cookies-0123456789"
    cli = [*ws.command(), "--config", str(cfg)]
    for name, role, password in ((USER, "secretariat", PASSWORD), (ADMIN, "admin", ADMIN_PASSWORD)):
        added = subprocess.run([*cli, "user", "add", name, "--role", role, "--password-stdin"], input=password + "\n",
                               env=env, cwd=ws.ROOT, capture_output=True, text=True, timeout=60)
        assert added.returncode == 0, added.stderr
    with ws.web_server(cfg, env) as base:
        yield base


class Round:
    """One browser session: each step lands on a page, checks it and keeps a numbered screenshot of it."""

    def __init__(self, driver: Any, base: str, folder: Path, axe: str) -> None:
        self.driver, self.base, self.folder, self.shots, self.axe = driver, base, folder, 0, axe
        self.problems: list[str] = []

    def shot(self, name: str) -> None:
        self.shots += 1
        path = self.folder / f"{self.shots:02d}-{name}.png"
        assert self.driver.save_screenshot(str(path)), path

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def xpath(self, expr: str) -> Any:
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.XPATH, expr)

    def page(self) -> str:
        return str(self.driver.find_element("tag name", "body").text)

    def path(self) -> str:
        return str(self.driver.current_url).removeprefix(self.base)

    def follow(self, element: Any) -> None:
        """Click a link or a form's button and wait until the next page has replaced this one."""
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait
        old = self.driver.find_element("tag name", "html")
        element.click()
        WebDriverWait(self.driver, 15).until(ec.staleness_of(old))
        WebDriverWait(self.driver, 15).until(ec.presence_of_element_located(("css selector", "main")))

    def notice(self) -> str:
        return str(self.find("p.notice").text)


def _log_in(r: Round) -> None:
    r.driver.get(r.base + "/arenden")                    # not logged in: to the login form
    assert r.path().startswith("/login"), r.path()
    r.shot("inloggning")
    r.find("input[name=username]").send_keys(USER)
    r.find("input[name=password]").send_keys(PASSWORD)
    r.follow(r.find("form.login button[type=submit]"))
    assert r.path().startswith("/arenden"), r.path()     # back where the login began
    assert f"{USER} (" in r.find("form.logout").text


def _filter_and_open(r: Round) -> None:
    from selenium.webdriver.support.ui import Select
    r.shot("arenden")
    assert "Bristande informationsöverföring" in r.page()
    Select(r.find("select[name=ar]")).select_by_visible_text("2026")
    r.find("input[name=q]").send_keys("SIP-mötet")
    r.follow(r.find("form.filters button[type=submit]"))
    assert "q=SIP" in r.path() and "ar=2026" in r.path(), r.path()
    listing = r.page()
    assert "1 ärende." in listing and CASE in listing and "Bristande informationsöverföring" not in listing
    r.shot("arenden-filtrerade")
    r.follow(r.xpath(f"//table[@class='list']//a[text()='{CASE}']"))
    assert r.path() == f"/arenden/{CASE}"
    assert "Uteblivet SIP-möte" in r.page() and "BUP uteblev från SIP-mötet" in r.page()
    r.shot("arende")


def _link_from_review(r: Round) -> None:
    r.follow(r.xpath("//nav/a[text()='Granska']"))
    assert r.path() == "/granska" and LOOSE in r.page() and "1212-1212" not in r.page()
    r.shot("granska")
    row = r.xpath(f"//tr[td[contains(., '{LOOSE}')]]")
    box = row.find_element("css selector", "form[action='/granska/koppla'] input[name=case_id]")
    box.clear()
    box.send_keys(CASE)
    r.follow(row.find_element("css selector", "form[action='/granska/koppla'] button"))
    assert r.path().startswith("/granska?klart="), r.path()
    assert r.notice() == "Meddelandet är kopplat till ärendet."
    assert LOOSE not in r.page()                        # linked mail leaves review
    r.shot("granska-kopplad")


def _set_outcome(r: Round) -> None:
    from selenium.webdriver.support.ui import Select
    r.driver.get(f"{r.base}/arenden/{CASE}")
    assert LOOSE in r.find("ol.timeline").text            # the mail is now in the case's thread
    form = r.find("form[action$='/utfall']")                 # the outcome of the case's answer
    Select(form.find_element("css selector", "select[name=outcome]")).select_by_visible_text(
        "Löst genom kommunikationen")
    r.follow(form.find_element("css selector", "button[type=submit]"))
    assert r.path().startswith(f"/arenden/{CASE}?klart="), r.path()
    assert r.notice() == "Svarets utfall är sparat."
    r.shot("arende-utfall")
    rows = [row.text for row in r.find("table.history").find_elements("css selector", "tr")]
    assert any(USER in row and "Löst genom kommunikationen" in row for row in rows), rows
    assert any(USER in row and "Koppling" in row and CASE in row for row in rows), rows
    r.find("table.history").screenshot(str(r.folder / f"{r.shots + 1:02d}-historik.png"))
    r.shots += 1


def _bulk(r: Round) -> None:
    """Tick a case on the list and pause it with "Pausa markerade"; tick the newsletter in Granska and dismiss it
    with "Avfärda markerade" (the checkboxes belong to a form outside the table, by their form attribute)."""
    r.driver.get(r.base + "/arenden")
    box = r.find("#valj-BUS-2026-0003")
    assert box.accessible_name == "Markera BUS-2026-0003"       # its label, for screen readers only
    box.click()
    assert box.is_selected()
    r.follow(r.xpath("//form[@id='markerade']//button[text()='Pausa markerade']"))
    assert r.path() == "/arenden?klart=pausade" and r.notice() == "De markerade ärendena är pausade."
    assert "pausat" in r.xpath("//tr[@data-case-id='BUS-2026-0003']").text
    r.shot("arenden-pausade")
    r.driver.get(r.base + "/granska")
    row = r.xpath("//tr[td[contains(., 'Nyhetsbrev')]]")
    row.find_element("css selector", "input[type=checkbox][name=message]").click()
    r.follow(r.xpath("//form[@id='markerade']//button[text()='Avfärda markerade']"))
    assert r.path() == "/granska?klart=avfardade" and "Nyhetsbrev" not in r.page()
    r.shot("granska-avfardade-markerade")


def _log_out(r: Round) -> None:
    r.follow(r.find("form.logout button[type=submit]"))
    assert r.path().startswith("/login"), r.path()
    r.shot("utloggad")
    r.driver.get(r.base + f"/arenden/{CASE}")             # the session is gone
    assert r.path().startswith("/login"), r.path()


SWEPT = ("/", "/arenden", f"/arenden/{CASE}", "/granska", "/granska/avfardade", "/att-folja-upp", "/rapport/2026",
         "/drift", "/atkomstlogg")
WIDTHS = (1366, 390)


def _check(r: Round, name: str, width: int) -> None:
    """axe-core finds no serious or critical violation on the current page; at 390 px nothing scrolls sideways;
    a screenshot of the page at this width is kept."""
    where = f"{r.path()} at {width} px"
    r.problems += [f"{where}: {v}" for v in browser.axe_serious(r.driver, r.axe)]
    if width <= 390 and (wide := browser.sideways(r.driver)):
        r.problems.append(f"{where}: {wide}")
    r.shot(f"{name}-{width}")


def _sweep(r: Round) -> None:
    """Every page at 1366 and at 390 px: the login form, then as an admin each page of SWEPT."""
    for width in WIDTHS:
        browser.set_width(r.driver, width)
        r.driver.get(r.base + "/login")
        _check(r, "inloggning", width)
    r.find("input[name=username]").send_keys(ADMIN)
    r.find("input[name=password]").send_keys(ADMIN_PASSWORD)
    r.follow(r.find("form.login button[type=submit]"))
    for width in WIDTHS:
        browser.set_width(r.driver, width)
        for path in SWEPT:
            r.driver.get(r.base + path)
            r.find("main")
            assert "Logga in" not in r.driver.title, path
            name = path.strip("/").replace("/", "-") or "oversikt"
            _check(r, name, width)
    browser.set_width(r.driver, 1280)
    assert r.problems == [], "\n".join(r.problems)


def _csp_violations(driver: Any) -> list[str]:
    return [str(e["message"]) for e in driver.get_log("browser") if "Content Security Policy" in str(e["message"])]


def test_the_secretariats_round_in_a_real_browser(chromium: str, server: str, tmp_path: Path,
                                                  record_property: Callable[[str, object], None]) -> None:
    folder = browser.screenshot_folder()
    print(f"screenshots: {folder}")                     # also in the run's summary and the JUnit XML
    record_property("screenshots", str(folder))
    axe = browser.axe_source()
    with browser.headless(chromium, tmp_path / "chromium-profile") as driver:
        r = Round(driver, server, folder, axe)
        try:
            for step in (_log_in, _filter_and_open, _link_from_review, _set_outcome, _bulk, _log_out, _sweep):
                step(r)
        except Exception:
            driver.save_screenshot(str(folder / "fel.png"))    # the page the round stopped on
            (folder / "fel.html").write_text(f"<!-- {driver.current_url} -->\n{driver.page_source}")
            raise
        assert _csp_violations(driver) == []
    names = sorted(p.name for p in folder.glob("*.png"))
    assert len(names) >= 8 and all((folder / n).stat().st_size > 1000 for n in names), names
