"""A message the server will not deliver is set aside, and never stops its folder (ingest/imap_fetch.py).

Dovecot closes the connection (BYE) when it cannot read a message's file (here: a file made unreadable);
Exchange Online answers NO to a FETCH of a message it cannot convert. Before, either failed the same batch
at every poll and the folder's cursor never moved again.
"""
from __future__ import annotations

import imaplib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from imapclient.exceptions import IMAPClientError
from sqlalchemy import update
from typer.testing import CliRunner

from busavvik.cli import app as cli
from busavvik.context import AppContext
from busavvik.poll import poll_once
from config.settings import Settings
from ingest.imap_fetch import EMPTY, HEADERS, LOST, FetchState, fetch_chunk, hung_up
from ingest.types import Batch, FolderCursor, SetAside
from notify import digest as dg
from store.db import Database
from store.message_rows import now
from store.models import Message, SetAsideMail
from store.setaside import due_for_retry, record_set_aside, retry_after, summary
from tests.support.imapsync import Store, mail, message_id
from tests.support.servers.fixtures import (  # noqa: F401 - fixtures
    ImapAccount,
    dovecot_server,
    imap_account,
    imap_account_factory,
)

pytestmark = pytest.mark.integration


def _file_of(account: ImapAccount, data: bytes) -> Path:
    """The Maildir file holding the message with data's Message-ID."""
    wanted = message_id(data).encode()
    for sub in ("cur", "new"):
        for path in (account.server.maildir(account.user) / sub).iterdir():
            if wanted in path.read_bytes():
                return path
    raise AssertionError(f"no file holds {wanted!r}")


@contextmanager
def unreadable(path: Path) -> Iterator[None]:
    os.chmod(path, 0)                 # the mail processes (user `mail`) can no longer read it
    try:
        yield
    finally:
        os.chmod(path, 0o600)


def _uid_of(account: ImapAccount, data: bytes) -> int:
    client = account.server.login(account.user)
    try:
        client.select_folder("INBOX", readonly=True)
        return int(client.search(["HEADER", "Message-ID", message_id(data)])[0])
    finally:
        client.logout()


def test_messages_dovecot_cannot_read_are_set_aside_and_the_folder_goes_on(imap_account: ImapAccount) -> None:
    loaded = [mail(i, "aside") for i in range(12)]
    imap_account.server.append(imap_account.user, "INBOX", loaded)
    bad = [loaded[3], loaded[9]]
    bad_uids = [_uid_of(imap_account, m) for m in bad]
    store = Store()
    with unreadable(_file_of(imap_account, bad[0])), unreadable(_file_of(imap_account, bad[1])):
        report = store.poll(imap_account.settings(batch_size=5))
    # two hang-ups per message, more than the 4 attempts allow in all: each one that got further counts anew
    assert report.ok, report.errors
    assert report.folders[0].retries >= 6
    assert sorted(store.ids()) == sorted(message_id(m) for m in loaded if m not in bad)
    aside = [item for _f, batch in store.batches for item in batch.set_aside]
    assert aside == [SetAside(uid, "hung_up", LOST) for uid in bad_uids] and report.folders[0].set_aside == 2
    assert store.cursors["INBOX"].last_uid == 12
    # readable again: asked for again, delivered, and the cursor stays where it was
    cursor = store.cursors["INBOX"]
    store.retry = [(cursor.uidvalidity, uid) for uid in bad_uids]
    again = store.poll(imap_account.settings(batch_size=5))
    assert again.ok, again.errors
    last = store.batches[-1][1]
    assert sorted(message_id(m.data) for m in last.messages) == sorted(message_id(m) for m in bad)
    assert last.retried == tuple(bad_uids) and last.set_aside == () and last.cursor == cursor


class RefusingClient:
    """Answers like Exchange Online for a message it cannot convert: NO to any FETCH that names it."""

    def __init__(self, refused: set[int], empty: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        self.refused, self.empty, self.calls = refused, empty, 0

    def fetch(self, uids: list[int], items: Any) -> dict[int, dict[bytes, Any]]:
        self.calls += 1
        if items == [HEADERS]:        # the headers it can give: enough for a person to find the message
            return {uid: {b"SEQ": uid, b"BODY[HEADER.FIELDS (FROM SUBJECT DATE MESSAGE-ID)]":
                          f"From: =?utf-8?q?=C3=85sa?= <asa@example.se>\r\nSubject: Avvikelse {uid}\r\n"
                          f"Date: Mon, 30 Nov 2026 09:00:00 +0100\r\n\r\n".encode()} for uid in uids}
        if self.refused & set(uids):
            raise IMAPClientError("FETCH failed: The requested message could not be converted to an RFC-822 "
                                  "compatible format.")
        body = b"Subject: x\r\n\r\nx\r\n"
        return {uid: ({b"SEQ": uid} if uid in self.empty else {b"SEQ": uid, b"BODY[]": body}) for uid in uids}


def test_a_refused_fetch_is_split_until_the_refused_messages_are_found() -> None:
    client = RefusingClient(refused={37, 150}, empty={90})
    uids = list(range(1, 201))
    messages, aside = fetch_chunk(client, "mb", "INBOX", 7, uids, FetchState())  # type: ignore[arg-type]
    assert [m.uid for m in messages] == [u for u in uids if u not in (37, 90, 150)]
    assert [(a.uid, a.code, a.reason == EMPTY) for a in aside] == [
        (37, "refused", False), (90, "empty", True), (150, "refused", False)]
    assert "could not be converted" in aside[0].reason
    assert summary(aside[0].headers) == "Åsa <asa@example.se> · Avvikelse 37 · Mon, 30 Nov 2026 09:00:00 +0100"
    assert client.calls <= 2 + 2 * 2 * 8        # halves down to each refused UID, then their headers at once


def _app(db_url: str, account: ImapAccount) -> AppContext:
    app = AppContext()
    app.settings = Settings(database_url=db_url, mailboxes=(account.settings(name="storsthlm", batch_size=4),))
    return app


def test_set_aside_mail_is_recorded_shown_and_fetched_once_readable(
        db_url: str, imap_account: ImapAccount, tmp_path: Path) -> None:
    loaded = [mail(i, "rec") for i in range(9)]
    imap_account.server.append(imap_account.user, "INBOX", loaded)
    app = _app(db_url, imap_account)
    with unreadable(_file_of(imap_account, loaded[5])):
        first = poll_once(app)
        again_too_soon = poll_once(app)       # asked for again only an hour later
    assert first[0].error is None and first[0].stats.new == 8 and first[0].set_aside == 1
    assert again_too_soon[0].set_aside == 0 and again_too_soon[0].stats.new == 0
    with app.db.session() as s:
        rows = s.query(SetAsideMail).all()
        assert [(r.mailbox, r.folder, r.uid, r.attempts) for r in rows] == [("storsthlm", "INBOX", 6, 1)]
    _assert_shown(app, db_url, tmp_path)
    with app.db.session() as s:
        review = " ".join(" ".join(r.cells) for r in dg.collect(s, now().date()).review)
    assert "brevlådan storsthlm: servern lämnar inte ut ett mejl (INBOX, UID 6)" in review
    assert "servern kopplar ned när det begärs (1 försök)" in review
    with app.db.session() as s:              # an hour has passed
        s.execute(update(SetAsideMail).values(last_tried_at=now() - timedelta(hours=1, minutes=1)))
    retried = poll_once(app)
    assert retried[0].error is None and retried[0].stats.new == 1 and retried[0].set_aside == 0
    with app.db.session() as s:
        assert s.query(SetAsideMail).count() == 0
        assert s.query(Message).count() == 9


def _config(app: AppContext, db_url: str, tmp_path: Path) -> Path:
    config = tmp_path / "busavvik.toml"
    mb = app.settings.mailboxes[0]
    config.write_text(f'[database]\nurl = "{db_url}"\n[[mailboxes]]\nname = "storsthlm"\nhost = "127.0.0.1"\n'
                      f'port = {mb.port}\nsecurity = "none"\nusername = "{mb.username}"\n'
                      f'password_file = "{mb.password_file}"\nbatch_size = 4\n')
    return config


def _assert_shown(app: AppContext, db_url: str, tmp_path: Path) -> None:
    config = _config(app, db_url, tmp_path)
    run: Callable[..., Any] = CliRunner().invoke
    status = run(cli, ["--config", str(config), "status", "--json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)[0]["set_aside"] == 1
    problems = run(cli, ["--config", str(config), "problems", "--format", "json"])
    assert problems.exit_code == 0, problems.output
    aside = [p for p in json.loads(problems.output) if p.get("kind") == "set_aside"]
    assert [(a["mailbox"], a["uid"], a["reason"]) for a in aside] == [("storsthlm", 6, LOST)]


def test_set_aside_rows_are_kept_per_uidvalidity_and_dropped_when_it_changes(db: Database) -> None:
    def batch(uidvalidity: int, aside: tuple[int, ...] = (), retried: tuple[int, ...] = ()) -> Batch:
        return Batch((), FolderCursor(uidvalidity, 100), set_aside=tuple(SetAside(u, "refused", "NO") for u in aside),
                     retried=retried)

    def rows() -> list[tuple[str, int, int, int]]:
        with db.session() as s:
            return sorted((r.folder, r.uidvalidity, r.uid, r.attempts) for r in s.query(SetAsideMail))
    described = SetAside(1, "refused", "NO", headers=b"From: a@example.se\r\nSubject: S\xc3\xa4kert\r\n\r\n")
    with db.session() as s:
        record_set_aside(s, "mb", "INBOX", batch(7, aside=(5, 9)))
        record_set_aside(s, "mb", "Arkiv", Batch((), FolderCursor(3, 100), set_aside=(described,)))
        s.flush()
        assert [r.summary for r in s.query(SetAsideMail).filter_by(folder="Arkiv")] == ["a@example.se · Säkert"]
    with db.session() as s:
        record_set_aside(s, "mb", "INBOX", batch(7, aside=(9,), retried=(5, 9)))   # 5 delivered, 9 still refused
    assert rows() == [("Arkiv", 3, 1, 1), ("INBOX", 7, 9, 2)]
    with db.session() as s:
        assert due_for_retry(s, "mb", "INBOX") == []                  # tried twice: again after 2 hours
        s.execute(update(SetAsideMail).values(last_tried_at=now() - timedelta(hours=2, minutes=1)))
        assert due_for_retry(s, "mb", "INBOX") == [(7, 9)]
        assert [retry_after(n).total_seconds() / 3600 for n in (1, 2, 3, 5, 6, 40)] == [1, 2, 4, 16, 24, 24]
        record_set_aside(s, "mb", "INBOX", batch(8))     # a new UIDVALIDITY: the folder is read again
    assert rows() == [("Arkiv", 3, 1, 1)]


def test_a_server_that_refuses_everything_fails_the_folder_and_sets_nothing_aside() -> None:
    client = RefusingClient(refused=set(range(1, 201)))
    with pytest.raises(IMAPClientError, match="8 messages refused one by one and none delivered"):
        fetch_chunk(client, "mb", "INBOX", 7, list(range(1, 201)), FetchState())  # type: ignore[arg-type]
    assert client.calls <= 24                  # found out early, not after 399 FETCHes


def test_only_a_bye_that_blames_the_fetch_counts_against_a_message() -> None:
    abort = imaplib.IMAP4.abort
    assert hung_up(abort("command: FETCH => FETCH failed: Internal error occurred. Refer to server log"))
    for exc in (abort("command: FETCH => socket error: EOF"), TimeoutError("timed out"), OSError("reset"),
                abort("command: FETCH => Session invalidated - AccessTokenExpired"),
                abort("command: FETCH => Server shutting down.")):
        assert not hung_up(exc), exc


@pytest.mark.usefixtures("own_logging")
def test_poll_retry_set_aside_asks_for_every_set_aside_message_at_once(imap_account: ImapAccount,
                                                                         tmp_path: Path) -> None:
    loaded = [mail(i, "now") for i in range(5)]
    imap_account.server.append(imap_account.user, "INBOX", loaded)
    db_url = f"sqlite:///{tmp_path / 'busavvik.db'}"
    config = str(_config(_app(db_url, imap_account), db_url, tmp_path))
    run: Callable[..., Any] = CliRunner().invoke
    with unreadable(_file_of(imap_account, loaded[2])):
        first = run(cli, ["--config", config, "poll", "--once"])
    assert first.exit_code == 0 and "new 4" in first.output and "set aside 1" in first.output, first.output
    not_due = run(cli, ["--config", config, "poll", "--once"])
    assert not_due.exit_code == 0 and "new 0" in not_due.output, not_due.output
    now_please = run(cli, ["--config", config, "poll", "--once", "--retry-set-aside"])
    assert now_please.exit_code == 0 and "new 1" in now_please.output, now_please.output
    assert "set aside" not in now_please.output
