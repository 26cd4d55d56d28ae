"""Debian's chromium through /usr/bin/chromedriver (selenium), headless, for tests/test_web_browser.py; and the
screenshot folder, which the test run names in its summary (tests/conftest.py) so CI can keep it."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import guard
from tests.support.shared_corpus import in_ci

CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
         "--window-size=1280,1600", "--lang=sv-SE")
screenshot_folders: list[Path] = []           # shown by pytest_terminal_summary in tests/conftest.py


def chromium() -> str:
    """The chromium binary; skips the test when absent, fails it under CI=true (the browser must be there)."""
    found = shutil.which("chromium")
    missing = [name for name, path in (("chromium", found), ("chromium-driver", CHROMEDRIVER))
               if not path or not os.access(path, os.X_OK)]
    if missing:
        reason = f"{', '.join(missing)} not installed (bash scripts/install-test-deps.sh as root)"
        if in_ci():
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    assert found
    return found


def screenshot_folder() -> Path:
    """BUSAVVIK_SCREENSHOTS (emptied of an earlier run's screenshots), or a fresh folder under the system's
    temporary directory."""
    chosen = os.environ.get("BUSAVVIK_SCREENSHOTS", "").strip()
    if chosen:
        folder = Path(chosen).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        for old in [*folder.glob("[0-9][0-9]-*.png"), *folder.glob("fel.*")]:
            old.unlink()
    else:
        folder = Path(tempfile.mkdtemp(prefix="busavvik-screenshots-"))
    screenshot_folders.append(folder)
    return folder


@contextmanager
def headless(binary: str, profile: Path) -> Iterator[Any]:
    """A selenium WebDriver on a fresh profile; quits the browser and its driver on the way out."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        if in_ci():
            pytest.fail("CI=true: selenium is not installed (pip install -e '.[test]')")
        pytest.skip("selenium is not installed (pip install -e '.[test]')")
    guard.server_started("chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        driver.set_page_load_timeout(20)
        yield driver
    finally:
        driver.quit()


AXE = Path(__file__).resolve().parents[1] / ".node" / "node_modules" / "axe-core" / "axe.min.js"


def axe_source() -> str:
    """axe-core's axe.min.js (installed by scripts/install-test-deps.sh into tests/.node/); skips the test when
    absent, fails it under CI=true."""
    if not AXE.is_file():
        reason = f"axe-core not installed ({AXE}; bash scripts/install-test-deps.sh, needs npm)"
        if in_ci():
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    return AXE.read_text(encoding="utf-8")


def axe_serious(driver: Any, source: str) -> list[str]:
    """Injects axe-core into the current page (by the driver, so the page's CSP does not apply) and runs it; the
    serious and critical violations, one line each (rule, impact, the first offending elements)."""
    driver.set_script_timeout(60)
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(source)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))"
        ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in result
            if v["impact"] in ("serious", "critical")]


def set_width(driver: Any, width: int) -> None:
    """Resizes the browser so that the page's viewport is `width` CSS pixels wide."""
    driver.set_window_size(width, 1000)
    inner = int(driver.execute_script("return window.innerWidth"))
    if inner != width:
        driver.set_window_size(2 * width - inner, 1000)


def sideways(driver: Any) -> str:
    """"" when nothing on the page scrolls sideways, else by how much and the first elements reaching past the
    viewport's right edge."""
    extra = int(driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"))
    if extra <= 0:
        return ""
    wide = driver.execute_script(
        "const w = document.documentElement.clientWidth; return Array.from(document.querySelectorAll('body *'))"
        ".filter(e => e.getBoundingClientRect().right > w + 1).slice(-4)"
        ".map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' +"
        " Math.round(e.getBoundingClientRect().right) + 'px')")
    return f"scrolls sideways by {extra} px ({', '.join(wide)})"
