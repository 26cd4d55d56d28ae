"""Batches are bounded by bytes as well as by count: a run of big mails never sits in memory at once."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.load import parse_settings
from ingest.imap import connect, sync_folder
from ingest.maildir import sync_maildir_folder
from tests.support.imapsync import mail, message_id
from tests.support.servers.fixtures import (  # noqa: F401 - fixtures
    ImapAccount,
    dovecot_server,
    imap_account,
    imap_account_factory,
)

pytestmark = pytest.mark.integration

KB = 1024


def test_batches_hold_at_most_batch_bytes_and_a_bigger_mail_goes_alone(imap_account: ImapAccount) -> None:
    sizes_kb = [20, 20, 20, 20, 300, 20, 20, 20, 20, 20, 20, 20]
    loaded = [mail(i, "sized", body_kb=kb) for i, kb in enumerate(sizes_kb)]
    imap_account.server.append(imap_account.user, "INBOX", loaded)
    client = connect(imap_account.settings())
    try:
        batches = list(sync_folder(client, "mb", "INBOX", None, batch_size=5, batch_bytes=100 * KB))
    finally:
        client.logout()
    got = [[len(m.data) for m in b.messages] for b in batches]
    assert [len(b) for b in got] == [4, 1, 4, 3]        # 4 × ~21 kB, the 300 kB one alone, then count and bytes
    assert all(sum(b) <= 100 * KB for b in got if len(b) > 1)
    assert [message_id(m.data) for b in batches for m in b.messages] == [message_id(m) for m in loaded]
    assert [b.cursor.last_uid for b in batches] == [4, 5, 9, 12]


def test_maildir_batches_hold_at_most_batch_bytes_and_resume_without_a_miss(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    for d in ("cur", "new", "tmp"):
        (root / d).mkdir(parents=True)
    sizes_kb = [20, 20, 20, 20, 300, 20, 20, 20, 20, 20, 20, 20]
    loaded = [mail(i, "md", body_kb=kb) for i, kb in enumerate(sizes_kb)]
    for i, data in enumerate(loaded):                  # written within one coarse clock tick, most of them
        (root / "cur" / f"{i:02d}.x:2,").write_bytes(data)
    later = lambda: time.time_ns() + 10 * 10**9          # noqa: E731 - "the scan runs 10 s later"
    batches = list(sync_maildir_folder("md", root, "INBOX", None, batch_size=5, batch_bytes=100 * KB,
                                       clock=later))
    got = [[len(m.data) for m in b.messages] for b in batches]
    assert all(sum(b) <= 100 * KB for b in got if len(b) > 1) and max(len(b) for b in got) <= 5
    assert any(b == [max(map(len, loaded))] for b in got)           # the big one alone
    ids = sorted(message_id(m) for m in loaded)
    assert sorted({message_id(m.data) for b in batches for m in b.messages}) == ids
    for k, batch in enumerate(batches):                # resuming after any batch misses nothing
        rest = sync_maildir_folder("md", root, "INBOX", batch.cursor, batch_size=5, batch_bytes=100 * KB,
                                   clock=later)
        seen = {message_id(m.data) for b in [*batches[:k + 1], *rest] for m in b.messages}
        assert sorted(seen) == ids, k


@pytest.mark.parametrize(("key", "value", "says"), [
    ("batch_mb", 0, "batch_mb: must be more than 0"),
    ("batch_size", 0, "batch_size: must be 1..5000"),
    ("batch_size", 10_000, "batch_size: must be 1..5000"),
])
def test_batch_limits_are_checked_when_the_config_is_read(key: str, value: int, says: str) -> None:
    mailbox = {"name": "x", "host": "127.0.0.1", "port": 143, "security": "none", "username": "u",
               "password_env": "X", key: value}
    with pytest.raises(ConfigError, match=says):
        parse_settings({"mailboxes": [mailbox]})
