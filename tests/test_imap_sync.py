"""The IMAP source against a real Dovecot (support/servers/): first, incremental and idle syncs, read-only polling."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from imapclient import IMAPClient

from ingest.imap import (
    connect,
)
from ingest.types import FolderCursor
from tests.support.imapsync import (  # noqa: F401 - fixtures
    CommandLog,
    Store,
    account,
    client,
    collect,
    mail,
    message_id,
)
from tests.support.servers.dovecot import Message
from tests.support.servers.fixtures import (  # noqa: F401 - fixtures
    ImapAccount,
    dovecot_server,
    imap_account,
    imap_account_factory,
    tcp_proxy_factory,
)

pytestmark = pytest.mark.integration


def test_first_sync_gets_every_message_in_batches_with_cursors(account: ImapAccount,
                                                                 client: IMAPClient) -> None:
    loaded = [mail(i) for i in range(7)]
    account.server.append(account.user, "INBOX", loaded)
    batches = collect(client, "INBOX", None, batch_size=3)
    assert [len(b.messages) for b in batches] == [3, 3, 1]
    assert [m.data for b in batches for m in b.messages] == loaded
    uidvalidity = account.server.uidvalidity(account.user)
    assert [b.cursor for b in batches] == [FolderCursor(uidvalidity, u) for u in (3, 6, 7)]
    first = batches[0].messages[0]
    assert (first.mailbox, first.folder, first.uidvalidity, first.uid) == ("mb", "INBOX", uidvalidity, 1)


def test_incremental_sync_gets_only_new_messages(account: ImapAccount, client: IMAPClient) -> None:
    account.server.append(account.user, "INBOX", [mail(i) for i in range(4)])
    cursor = collect(client, "INBOX", None)[-1].cursor
    account.server.append(account.user, "INBOX", [mail(i, "new") for i in range(3)])
    batches = collect(client, "INBOX", cursor)
    assert [message_id(m.data) for b in batches for m in b.messages] == [f"<new-{i}@busavvik.test>"
                                                                         for i in range(3)]
    assert [m.uid for b in batches for m in b.messages] == [5, 6, 7]
    assert batches[-1].cursor.last_uid == 7


def test_imaplib_trace_is_built_only_when_its_logger_shows_it(account: ImapAccount,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    """imapclient turns on imaplib's trace, which formats every fetched message even when nobody logs it."""
    account.server.append(account.user, "INBOX", [mail(1, body_kb=50)])
    quiet = connect(account.settings())
    try:
        assert quiet._imap.debug == 0
        assert len(collect(quiet, "INBOX", None)[0].messages[0].data) > 50_000
    finally:
        quiet.logout()
    with caplog.at_level(logging.DEBUG, logger="imapclient.imaplib"):
        traced = connect(account.settings())
        try:
            assert traced._imap.debug == 5
            collect(traced, "INBOX", None)
        finally:
            traced.logout()
    assert any("FETCH" in r.getMessage() for r in caplog.records if r.name == "imapclient.imaplib")


def test_idle_poll_sends_only_examine(account: ImapAccount, client: IMAPClient) -> None:
    account.server.append(account.user, "INBOX", [mail(i) for i in range(5)])
    cursor = collect(client, "INBOX", None)[-1].cursor
    log = CommandLog(client)
    assert collect(client, "INBOX", cursor) == []
    assert log.names == ["EXAMINE"]


def test_without_uidnext_the_highest_uid_from_n_star_is_not_refetched(account: ImapAccount,
                                                                       client: IMAPClient) -> None:
    account.server.append(account.user, "INBOX", [mail(i) for i in range(3)])
    cursor = collect(client, "INBOX", None)[-1].cursor
    select = client.select_folder

    def no_uidnext(folder: str, readonly: bool = False) -> dict[bytes, Any]:
        info = dict(select(folder, readonly=readonly))
        info.pop(b"UIDNEXT", None)
        return info
    client.select_folder = no_uidnext  # type: ignore[method-assign]
    log = CommandLog(client)
    assert collect(client, "INBOX", cursor) == []
    assert log.names == ["EXAMINE", "UID SEARCH"]          # UID 3:* still matched UID 3: filtered out


def test_since_limits_the_first_scan_only(account: ImapAccount, client: IMAPClient) -> None:
    old = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)
    account.server.append(account.user, "INBOX", [Message(mail(1, "old"), date=old), mail(2, "recent")])
    batches = collect(client, "INBOX", None, since=datetime(2025, 1, 1).date())
    assert [message_id(m.data) for b in batches for m in b.messages] == ["<recent-2@busavvik.test>"]
    assert batches[-1].cursor.last_uid == 2


def test_empty_folder_gets_a_cursor_and_then_idles(account: ImapAccount, client: IMAPClient) -> None:
    account.server.create_folder(account.user, "Tom")
    batches = collect(client, "Tom", None)
    assert [len(b.messages) for b in batches] == [0]
    log = CommandLog(client)
    assert collect(client, "Tom", batches[0].cursor) == []
    assert log.names == ["EXAMINE"]


# ---- read-only --------------------------------------------------------------------------------------------
def test_polling_changes_no_flag_anywhere(account: ImapAccount) -> None:
    flags = [(), ("\\Seen",), ("\\Flagged",), ("\\Seen", "\\Answered"), (), ("$Forwarded",)]
    account.server.append(account.user, "INBOX", [Message(mail(i), f) for i, f in enumerate(flags)])
    account.server.append(account.user, "Arkiv", [Message(mail(i, "ark"), f) for i, f in enumerate(flags)])
    before = account.server.flags(account.user)
    assert sum(b"\\Seen" in f for f in before["INBOX"].values()) == 2      # the test can see a change
    store = Store()
    report = store.poll(account.settings(folders=("INBOX", "Arkiv")))
    assert report.ok and report.fetched == 12
    assert account.server.flags(account.user) == before


def test_only_read_only_commands_go_on_the_wire(account: ImapAccount) -> None:
    account.server.append(account.user, "INBOX", [mail(i) for i in range(5)])
    account.server.append(account.user, "Arkiv", [mail(i, "ark") for i in range(3)])
    logs: list[CommandLog] = []

    def logged_connect(mb: Any) -> IMAPClient:
        client = connect(mb)
        logs.append(CommandLog(client))
        return client
    store = Store()
    for _ in range(2):
        assert store.poll(account.settings(folders=("INBOX", "Arkiv"), batch_size=2),
                          connect=logged_connect).ok
    names = [n for log in logs for n in log.names]
    assert {"EXAMINE", "UID SEARCH", "UID FETCH"} <= set(names) <= {
        "CAPABILITY", "EXAMINE", "UID SEARCH", "UID FETCH", "LOGOUT"}
    fetches = [line for log in logs for line in log.lines if line.split()[1:3] == [b"UID", b"FETCH"]]
    bodies = [line for line in fetches if b"BODY.PEEK[]" in line]
    sizes = [line for line in fetches if line.endswith(b"(RFC822.SIZE)\r\n")]   # planning the batches by bytes
    assert len(bodies) == 5 and len(sizes) == 2 and len(bodies) + len(sizes) == len(fetches)


# ---- UIDVALIDITY, several mailboxes, moves -----------------------------------------------------------------
def test_uidvalidity_reset_rescans_the_whole_folder(account: ImapAccount) -> None:
    account.server.append(account.user, "INBOX", [mail(i) for i in range(5)])
    store, mb = Store(), account.settings(batch_size=2)
    store.poll(mb)
    old = store.cursors["INBOX"]
    new_validity = account.server.reset_uidvalidity(account.user)
    report = store.poll(mb)
    assert report.ok and report.folders[0].uidvalidity == new_validity != old.uidvalidity
    rescanned = [m for f, b in store.batches if b.cursor.uidvalidity == new_validity for m in b.messages]
    assert sorted(message_id(m.data) for m in rescanned) == sorted(store.ids()[:5])
    assert {m.uidvalidity for m in rescanned} == {new_validity}
    assert store.cursors["INBOX"] == FolderCursor(new_validity, 5)


def test_same_message_in_two_mailboxes(imap_account_factory: Callable[[], ImapAccount]) -> None:
    first, second = imap_account_factory(), imap_account_factory()
    shared = mail(1, "both")
    first.server.append(first.user, "INBOX", [shared])
    second.server.append(second.user, "INBOX", [mail(9, "other"), shared])
    got = {}
    for account in (first, second):  # noqa: F402 - the fixture is not used here
        store = Store()
        assert store.poll(account.settings()).ok
        got[account.user] = [(m.mailbox, m.uid, m.data) for _f, b in store.batches for m in b.messages]
    assert got[first.user] == [(first.user, 1, shared)]
    assert got[second.user][1] == (second.user, 2, shared)


def test_message_moved_between_folders_shows_up_in_the_new_folder(account: ImapAccount) -> None:
    account.server.append(account.user, "INBOX", [mail(i) for i in range(3)])
    account.server.create_folder(account.user, "Arkiv")
    store, mb = Store(), account.settings(folders=("INBOX", "Arkiv"))
    store.poll(mb)
    account.server.move(account.user, "INBOX", "Arkiv", 2)
    seen = len(store.batches)
    report = store.poll(mb)
    assert report.ok
    moved = [(f, m.uid, message_id(m.data)) for f, b in store.batches[seen:] for m in b.messages]
    assert moved == [("Arkiv", 1, "<m-1@busavvik.test>")]


def test_a_missing_folder_is_reported_and_the_others_are_polled(account: ImapAccount) -> None:
    account.server.append(account.user, "INBOX", [mail(1)])
    store = Store()
    report = store.poll(account.settings(folders=("Finns inte", "INBOX")))
    assert report.fetched == 1
    assert [bool(f.error) for f in report.folders] == [True, False]
    assert "Finns inte" in report.errors[0]
