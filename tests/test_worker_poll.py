"""The worker's poll cycle against a real Dovecot: two secretariat mailboxes, the corpus in both."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from busavvik.context import AppContext
from busavvik.poll import poll_once
from config.settings import Settings
from store import export
from store.models import Cursor, MailboxStatus
from tests.support.corpus import build
from tests.support.servers.fixtures import (  # noqa: F401 - fixtures
    ImapAccount,
    dovecot_server,
    imap_account_factory,
)

pytestmark = pytest.mark.integration


def _app(db_url: str, *accounts: tuple[str, ImapAccount, dict]) -> AppContext:
    app = AppContext()
    app.settings = Settings(database_url=db_url, mailboxes=tuple(
        acct.settings(name=name, **extra) for name, acct, extra in accounts))
    return app


@pytest.fixture
def two_mailboxes(imap_account_factory: Callable[..., ImapAccount]) -> tuple[ImapAccount, ImapAccount, object]:
    corpus = build()
    storsthlm, hsf = imap_account_factory("storsthlm"), imap_account_factory("hsf")
    for _name, data, boxes in corpus.mails:
        for box in boxes:
            target = storsthlm if box.endswith("storsthlm.se") else hsf
            target.server.append(target.user, "INBOX", [data])
    return storsthlm, hsf, corpus


def test_poll_twice_links_everything_and_changes_nothing(db_url: str, two_mailboxes: tuple) -> None:
    storsthlm, hsf, corpus = two_mailboxes
    before = (storsthlm.server.flags(storsthlm.user), hsf.server.flags(hsf.user))
    app = _app(db_url, ("storsthlm", storsthlm, {}), ("hsf", hsf, {}))
    first = poll_once(app)
    assert [r.error for r in first] == [None, None]
    assert first[0].stats.new == len(corpus.mails) and first[1].stats.new == 0
    assert first[0].stats.deviations == len(corpus.expect)
    second = poll_once(app)
    assert sum(r.stats.new + r.stats.duplicates for r in second) == 0  # idle poll fetches nothing
    assert (storsthlm.server.flags(storsthlm.user), hsf.server.flags(hsf.user)) == before
    with app.db.session() as s:
        devs = {d["source_message_id"]: d for d in export.deviations(s)}
        msgs = {m["message_id"]: m for m in export.messages(s)}
        cursors = {(c.mailbox, c.folder) for c in s.query(Cursor)}
    assert sorted(devs) == sorted(e.source for e in corpus.expect)
    assert all(msgs[e.source]["mailboxes"] == ["hsf", "storsthlm"] for e in corpus.expect)
    assert {devs[e.source]["responded"] for e in corpus.expect if e.responded} == {True}
    assert cursors == {("storsthlm", "INBOX"), ("hsf", "INBOX")}


def test_a_failing_mailbox_never_stops_the_other(db_url: str, two_mailboxes: tuple, tmp_path: Path) -> None:
    storsthlm, hsf, corpus = two_mailboxes
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password")
    app = _app(db_url, ("storsthlm", storsthlm, {"password_file": str(wrong)}), ("hsf", hsf, {}))
    results = poll_once(app)
    assert results[0].error is not None and results[0].error_code == "auth_failed"
    assert "not-the-password" not in results[0].error
    assert results[1].error is None and results[1].stats.new > 0
    with app.db.session() as s:
        status = {m.mailbox: m for m in s.query(MailboxStatus)}
    assert status["storsthlm"].last_success_at is None and status["storsthlm"].last_error_code == "auth_failed"
    assert status["hsf"].last_success_at is not None
    fixed = dataclasses.replace(app.settings.mailboxes[0], password_file=str(storsthlm.password_file))
    app.settings = dataclasses.replace(app.settings, mailboxes=(fixed, app.settings.mailboxes[1]))
    again = poll_once(app)
    assert again[0].error is None and again[0].stats.duplicates > 0  # the mail already seen via hsf


def _cli(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUSAVVIK_")}
    return subprocess.run([sys.executable, "-m", "busavvik", "--config", str(cfg), *args], env=env,
                          cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=300)


def test_status_shows_each_mailbox_after_a_poll(imap_account_factory: Callable[..., ImapAccount],
                                                tmp_path: Path) -> None:
    """`busavvik status`: last success, last poll, the error of a mailbox that failed, counts and cursors."""
    good, bad = imap_account_factory("status-good"), imap_account_factory("status-bad")
    good.server.append(good.user, "INBOX", [data for _n, data, _b in build().mails[:3]])
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password")
    cfg = tmp_path / "busavvik.toml"
    box = '[[mailboxes]]\nname = "{}"\nhost = "127.0.0.1"\nport = {}\nsecurity = "none"\nusername = "{}"\n' \
          'password_file = "{}"\n'
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "status.db"}"\n'
                   + box.format("storsthlm", good.server.port, good.user, good.password_file)
                   + box.format("hsf", bad.server.port, bad.user, wrong))
    never = _cli(cfg, "status")
    assert never.returncode == 0, never.stderr
    assert never.stdout.count("never") == 4               # no poll yet: neither success nor poll, both boxes
    assert _cli(cfg, "poll", "--once").returncode != 0    # one mailbox failed
    rows = {r["mailbox"]: r for r in json.loads(_cli(cfg, "status", "--json").stdout)}
    assert rows["storsthlm"]["fetched"] == 3 and rows["storsthlm"]["errors"] == 0
    assert rows["storsthlm"]["last_success"] == rows["storsthlm"]["last_poll"] is not None
    assert rows["storsthlm"]["cursors"]["INBOX"].endswith(":3")
    assert rows["hsf"]["last_success"] is None and rows["hsf"]["errors"] == 1 and rows["hsf"]["last_error"]
    assert "not-the-password" not in json.dumps(rows)
    table = _cli(cfg, "status").stdout
    assert "times in Europe/Stockholm" in table and "never" in table and "INBOX: UIDVALIDITY" in table
