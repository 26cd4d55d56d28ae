"""Folder names as a Swedish secretariat writes them (non-ASCII, spaces, hierarchy) work end to end."""
from __future__ import annotations

import pytest

from tests.support.imapsync import Store, mail, message_id
from tests.support.servers.fixtures import (  # noqa: F401 - fixtures
    ImapAccount,
    dovecot_server,
    imap_account,
    imap_account_factory,
)

pytestmark = pytest.mark.integration

FOLDERS = ("INBOX", "Återkoppling", "Avvikelser 2026.Besvarade – klara")   # "." is this Dovecot's separator


def test_non_ascii_folder_names_are_read_and_their_cursors_kept(imap_account: ImapAccount) -> None:
    server, user = imap_account.server, imap_account.user
    loaded: dict[str, list[bytes]] = {}
    for n, folder in enumerate(FOLDERS):
        server.create_folder(user, folder)
        loaded[folder] = [mail(10 * n + i, "fold") for i in range(3)]
        server.append(user, folder, loaded[folder])
    before = server.flags(user)
    store = Store()
    report = store.poll(imap_account.settings(folders=FOLDERS))
    assert report.ok, report.errors
    for folder in FOLDERS:
        assert store.ids(folder) == [message_id(m) for m in loaded[folder]]
        assert store.cursors[folder].last_uid == 3
    assert server.flags(user) == before
    server.append(user, FOLDERS[1], [mail(99, "fold")])
    before = server.flags(user)
    again = store.poll(imap_account.settings(folders=FOLDERS))
    assert again.ok and again.fetched == 1
    assert store.batches[-1][0] == FOLDERS[1]
    assert server.flags(user) == before
