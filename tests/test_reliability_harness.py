"""The harness must be able to fail: its duplicate count, its read-only fingerprint and the faults bench's
checks (planned cuts, the poll bound) are shown to see what they are there to see.  (Counted from UNIQUE
columns, `duplicated` could never be anything but 0; a fingerprint without \\Recent passed a poller that
SELECTs instead of EXAMINE.)"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from busavvik.context import AppContext
from config.settings import Settings
from store.db import Database
from store.models import Case
from tests.support import faults, harness
from tests.support.servers.fixtures import (  # noqa: F401 - fixtures
    ImapAccount,
    dovecot_server,
    imap_account_factory,
)
from tests.support.servers.tcpproxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.reliability]   # a real Dovecot


def _copy(session: sa.orm.Session, row: object, **changes: object) -> object:
    mapper = sa.inspect(type(row))
    values = {a.key: getattr(row, a.key) for a in mapper.column_attrs if a.key != "id"}
    clone = type(row)(**{**values, **changes})
    session.add(clone)
    session.flush()
    return clone


def test_a_message_stored_twice_is_counted(imap_account_factory: Callable[..., ImapAccount], db_url: str,
                                           tmp_path: Path) -> None:
    acct = imap_account_factory("dup")
    harness.load_with_flags(acct.server, acct.user, harness.backfill(12))
    config = harness.write_config(tmp_path / "poll.toml", db_url,
                                  [harness.imap_mailbox(acct.server, acct.user, acct.password_file)])
    assert harness.busavvik(config, "poll", "--once").returncode == 0
    clean = harness.store_vs_mailbox(db_url, acct.server, acct.user, "storsthlm")
    assert (clean.in_mailbox, clean.stored, clean.lost, clean.duplicated, clean.extra) == (12, 12, 0, 0, 0)
    db = Database(db_url)
    try:
        with db.session() as s:     # the same mail once more, under a synthetic id, and the case it opened again
            case = s.scalars(select(Case).order_by(Case.id)).first()
            assert case is not None and case.source_message is not None
            copy = _copy(s, case.source_message, message_id="0123abcd@synthetic.busavvik.invalid",
                         synthetic_id=True)
            _copy(s, case, case_id="BUS-2026-0999", seq=999, source_message_id=copy.id)  # type: ignore[attr-defined]
    finally:
        db.dispose()
    planted = harness.store_vs_mailbox(db_url, acct.server, acct.user, "storsthlm")
    assert (planted.stored, planted.duplicated, planted.extra) == (13, 1, 0), planted
    assert (clean.duplicated_cases, planted.duplicated_cases) == (0, 1), planted


def test_the_fingerprint_sees_a_select_where_examine_belongs(
        imap_account_factory: Callable[..., ImapAccount]) -> None:
    acct = imap_account_factory("sel")
    harness.load_with_flags(acct.server, acct.user, harness.backfill(6))
    before, count = harness.mailbox_fingerprint(acct.server, acct.user)
    assert harness.mailbox_fingerprint(acct.server, acct.user)[0] == before     # looking changes nothing
    client = acct.server.login(acct.user)
    client.select_folder("INBOX", readonly=True)                             # EXAMINE: nothing changes
    client.fetch(client.search(["ALL"]), ["BODY.PEEK[]"])
    client.logout()
    assert harness.mailbox_fingerprint(acct.server, acct.user)[0] == before
    client = acct.server.login(acct.user)
    client.select_folder("INBOX", readonly=False)                            # SELECT: \Recent is taken
    client.fetch(client.search(["ALL"]), ["BODY.PEEK[]"])
    client.logout()
    after, count_after = harness.mailbox_fingerprint(acct.server, acct.user)
    assert count_after == count == 6 and after != before


def test_the_faults_bench_fails_when_a_planned_cut_does_not_happen_or_a_poll_outlives_its_bound(
        imap_account_factory: Callable[..., ImapAccount], tmp_path: Path) -> None:
    figures = faults.ImapFigures(messages=10, cuts_planned=8, cuts_done=4, stalls_planned=2, stalls_done=2,
                                 longest_poll_s=80.0, poll_bound_s=79.0, stored=10, flags_unchanged=True)
    assert faults.imap_failures(figures) == ["4 of 8 planned cuts happened",
                                             "a poll took 80.0 s, over its bound of 79.0 s"]
    acct = imap_account_factory("hang")
    harness.load_with_flags(acct.server, acct.user, harness.backfill(30))
    with TcpProxy("127.0.0.1", acct.server.port) as proxy:
        proxy.stall_after(4_000)                       # the poll waits for its 30 s read timeout
        app = AppContext()
        app.settings = Settings(database_url=f"sqlite:///{tmp_path / 'hang.db'}",
                                mailboxes=(acct.settings(port=proxy.port, timeout=30.0),))
        with pytest.raises(faults.HarnessFailure, match="still running after 2 s") as failed:
            faults._watched_poll(app, 2.0, 1)
    assert failed.value.poll is not None
    failed.value.poll.join(60)                    # the proxy is gone: the poll gives up after its retries
    assert not failed.value.poll.is_alive()
