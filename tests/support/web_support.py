"""A small store for the web tests: three deviations (one hostile, one with a personnummer), an answer, and
unlinked mail; accounts of each role; a logged-in TestClient."""
from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from config.rules import Rules
from config.settings import Settings
from ingest.types import RawMessage
from pipeline.batch import Pipeline
from store import users
from store.db import Database
from tests.support.formbuilder import build_form
from tests.support.mailbuilder import exchange_id, make_mail
from tests.support.servers import guard
from web.app import create_app
from web.auth import Throttle

SECRETARIAT = ["BUS-avvikelser@storsthlm.se", "BUS-avvikelser.hsf@sll.se"]
PNR = "19121212-1212"                  # Luhn-valid: must never appear on a page
HOSTILE = "<script>alert('x')</script> Uteblivet möte"
PASSWORD = "rätt-lösenord-1"
TODAY = date(2026, 6, 1)


ROOT = Path(__file__).resolve().parents[2]


def command() -> list[str]:
    """The `busavvik` console script of this interpreter (else `python -m busavvik.cli`)."""
    script = Path(sys.executable).with_name("busavvik")
    return [str(script)] if script.exists() else [sys.executable, "-m", "busavvik.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def web_server(config: Path, env: dict[str, str], port: int | None = None) -> Iterator[str]:
    """`busavvik --config CONFIG web` as a real process (on `port`, else a free one); yields its base URL once
    /healthz answers, and stops it afterwards."""
    guard.server_started("busavvik web as a process")
    port = port or free_port()
    proc = subprocess.Popen([*command(), "--config", str(config), "web", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, base)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_healthy(proc: subprocess.Popen[str], base: str) -> None:
    for _ in range(300):                                    # up to ~30 s for the process to listen
        if proc.poll() is not None:
            raise AssertionError(f"busavvik web ended: {proc.stdout.read() if proc.stdout else ''}")
        try:
            if httpx.get(base + "/healthz", timeout=1).text == "ok":
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("busavvik web did not answer /healthz")


def _when(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 15, tzinfo=timezone.utc)


def _values(event: str, description: str, units: list[str], reporter: str) -> dict[str, Any]:
    return {"event_type": event, "units_involved": units, "description": description,
            "proposed_action": "Tydligare rutin", "reported_date": date(2026, 1, 10),
            "reporter_unit": "Farsta stadsdelsförvaltning, socialtjänsten", "reporter_contact_person": "Anna Berg",
            "reporter_email": reporter, "reporter_phone": "08-123 456 78", "reporter_manager_name": "Chef Berg",
            "reporter_manager_unit": "Farsta socialtjänst", "reporter_manager_email": "chef." + reporter,
            "reporter_manager_phone": "08-123 456 00"}


def _deviation(label: str, subject: str, values: dict[str, Any], when: datetime, sender: str,
               receiver: str) -> tuple[str, bytes]:
    mid = exchange_id(label)
    return mid, make_mail(subject=subject, sender=sender, to=[receiver], cc=SECRETARIAT, when=when, message_id=mid,
                          thread=f"{label}:{subject}", attachments=[("Avvikelseblankett BUS.docx",
                                                                     build_form(values))])


def mails() -> list[bytes]:
    anna, per = "anna.berg@farsta.stockholm.se", "per.lind@sll.se"
    sip = _values("Uteblivet SIP-möte", "BUP uteblev från SIP-mötet utan att meddela förhinder", ["BUP Farsta"], anna)
    mid_a, dev_a = _deviation("web-a", "BUS-avvikelse SIP", sip, _when(1, 12), anna, per)
    answer_values = {**sip, "response_description": "Behandlaren var sjuk", "response_improvements": "Ny rutin",
                     "response_received_date": date(2026, 2, 18), "response_manager_name": "Per Lind",
                     "response_manager_unit": "BUP Farsta", "response_manager_email": per}
    answer = make_mail(subject="SV: BUS-avvikelse SIP", sender=per, to=[anna], cc=SECRETARIAT, when=_when(2, 20),
                       in_reply_to=mid_a, references=[mid_a], thread="web-a:BUS-avvikelse SIP", thread_replies=1,
                       attachments=[("Avvikelseblankett BUS svar.docx", build_form(answer_values))])
    hostile = _values(HOSTILE, f"Barnet med personnummer {PNR} fick ingen tid. <b>fet</b> & \"citat\"",
                      ["BUMM Sachsska"], "lisa.ek@huddinge.se")
    _, dev_b = _deviation("web-b", f"BUS-avvikelse {PNR}", hostile, _when(3, 3), "lisa.ek@huddinge.se",
                          "mottagare@sll.se")
    late = _values("Bristande informationsöverföring", "Remissen kom aldrig fram", ["Habilitering Syd"],
                   "karin.ny@nacka.se")
    _, dev_c = _deviation("web-c", "BUS-avvikelse remiss", late, _when(2, 1), "karin.ny@nacka.se",
                          "hab@sll.se")
    news = make_mail(subject="Nyhetsbrev juni", sender="info@nyheter.example.org", to=SECRETARIAT, when=_when(5, 5),
                     body="Veckans nyheter")
    loose = make_mail(subject=f"Angående vår avvikelse {PNR}", sender=per, to=SECRETARIAT, when=_when(3, 1),
                      body="Vi har pratat med rapportören och åtgärdat det.")
    return [dev_a, answer, dev_b, dev_c, news, loose]


_templates: dict[Rules, Path] = {}


def load(db: Database, rules: Rules) -> None:
    """The store above into `db`.  On SQLite it is built once per session and per rules, then copied into each
    test's fresh database (the SQLite backup API): the web tests' set-up was the fast loop's largest cost."""
    if not db.sqlite or not db.engine.url.database:
        _load(db, rules)
        return
    template = _templates.get(rules)
    if template is None:
        template = Path(tempfile.mkdtemp(prefix="busavvik-web-template-")) / "busavvik.db"
        built = Database(f"sqlite:///{template}")
        try:
            _load(built, rules)
        finally:
            built.dispose()
        _templates[rules] = template
    _copy_sqlite(template, db)


def _copy_sqlite(template: Path, db: Database) -> None:
    db.engine.dispose()                          # no pooled connection keeps the old pages
    source = sqlite3.connect(template)
    target = sqlite3.connect(str(db.engine.url.database))
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _load(db: Database, rules: Rules) -> None:
    with Pipeline(db, rules) as pipeline:
        pipeline.ingest(RawMessage("storsthlm", "INBOX", m) for m in mails())
    with db.session() as session:
        for role in users.ROLES:
            users.add_user(session, role, role, PASSWORD)


def client(db: Database, rules: Rules, throttle: Throttle | None = None,
           settings: Settings | None = None) -> TestClient:
    app = create_app(db, settings or Settings(database_url=db.url), rules, throttle=throttle, today=lambda: TODAY)
    return TestClient(app, follow_redirects=False)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def login(c: TestClient, name: str, password: str = PASSWORD) -> Any:
    token = csrf_of(c.get("/login").text)
    return c.post("/login", data={"username": name, "password": password, "csrf": token, "next": "/"})


def logged_in(db: Database, rules: Rules, role: str) -> tuple[TestClient, str]:
    """A client logged in with the account of that role, and its CSRF token."""
    c = client(db, rules)
    assert login(c, role).status_code == 303
    return c, csrf_of(c.get("/").text)
