"""The IMAP source against a real Dovecot behind a TCP proxy: cut, stalled and unreachable connections."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.imapsync import Store, account, mail, message_id  # noqa: F401 - fixtures
from tests.support.servers.fixtures import (  # noqa: F401 - fixtures
    ImapAccount,
    dovecot_server,
    imap_account,
    imap_account_factory,
    tcp_proxy_factory,
)
from tests.support.servers.tcpproxy import TcpProxy

pytestmark = pytest.mark.integration


# ---- network failures --------------------------------------------------------------------------------------
def test_cut_mid_fetch_reconnects_and_delivers_everything(
        account: ImapAccount, tcp_proxy_factory: Callable[[], TcpProxy]) -> None:
    loaded = [mail(i, "big", body_kb=50) for i in range(30)]
    account.server.append(account.user, "INBOX", loaded)
    proxy = tcp_proxy_factory()
    proxy.cut_after(400_000)             # in the middle of the first 10 × 50 kB FETCH
    proxy.cut_after(900_000)             # and again, later, on the second connection
    store = Store()
    report = store.poll(account.settings(port=proxy.port, batch_size=10))
    assert report.ok, report.errors
    assert proxy.cuts == 2 and report.folders[0].retries == 2
    assert sorted(set(store.ids())) == sorted(message_id(m) for m in loaded)
    assert store.cursors["INBOX"].last_uid == 30


def test_stalled_server_times_out_and_the_poll_resumes(
        account: ImapAccount, tcp_proxy_factory: Callable[[], TcpProxy]) -> None:
    account.server.append(account.user, "INBOX", [mail(i, "s", body_kb=20) for i in range(10)])
    proxy = tcp_proxy_factory()
    proxy.stall_after(60_000)
    store = Store()
    report = store.poll(account.settings(port=proxy.port, batch_size=5, timeout=1.0))
    assert report.ok and report.folders[0].retries == 1
    assert len(set(store.ids())) == 10


def test_unreachable_server_is_reported_not_raised(account: ImapAccount) -> None:
    from tests.support.servers.dovecot import free_port
    report = Store().poll(account.settings(port=free_port(), folders=("INBOX", "Arkiv")))
    assert not report.ok and all(f.fatal for f in report.folders)
    assert "network error after 4 attempts" in report.errors[0]


def test_a_connection_cut_during_login_is_retried_not_an_auth_error(
        account: ImapAccount, tcp_proxy_factory: Callable[[], TcpProxy]) -> None:
    account.server.append(account.user, "INBOX", [mail(1)])
    proxy = tcp_proxy_factory()
    proxy.cut_before(b"Logged in")        # the answer to LOGIN never arrives
    report = Store().poll(account.settings(port=proxy.port))
    assert report.ok and report.fetched == 1 and report.folders[0].retries == 1, report.errors
    assert proxy.cuts == 1
