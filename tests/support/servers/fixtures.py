"""Pytest fixtures for a real Dovecot; import them into tests/conftest.py:

    from tests.support.servers.fixtures import (  # noqa: F401
        dovecot_server, imap_account, imap_account_factory, tcp_proxy_factory)

A missing `dovecot` binary FAILS the test with what to install; it never skips.
"""
from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from config.settings import MailboxSettings
from tests.support.servers.dovecot import DovecotError, DovecotServer
from tests.support.servers.tcpproxy import TcpProxy

_counter = itertools.count(1)


@dataclass(frozen=True)
class ImapAccount:
    """A user on the test server, and MailboxSettings that log in as it (plain IMAP on loopback)."""
    server: DovecotServer
    user: str
    password: str
    password_file: Path

    def settings(self, **overrides: Any) -> MailboxSettings:
        base = MailboxSettings(name=self.user, host="127.0.0.1", port=self.server.port, security="none",
                               username=self.user, password_file=str(self.password_file), timeout=10.0)
        return replace(base, **overrides)

    def tls_settings(self, **overrides: Any) -> MailboxSettings:
        """IMAPS on the server's TLS port, verifying against the test CA."""
        tls: dict[str, Any] = {"security": "ssl", "port": self.server.ssl_port,
                               "ca_file": str(self.server.ca_file)}
        return self.settings(**{**tls, **overrides})


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[DovecotServer]:
    """One Dovecot for the session: plain IMAP on `.port`, IMAPS on `.ssl_port` (CA in `.ca_file`)."""
    try:
        server = DovecotServer(tls=True).start()
    except DovecotError as exc:
        pytest.fail(f"cannot start the Dovecot test server: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def imap_account_factory(dovecot_server: DovecotServer) -> Callable[[], ImapAccount]:
    """Make fresh users (unique names) on the session's server."""
    def make(prefix: str = "user") -> ImapAccount:
        user = f"{prefix}{next(_counter)}-{uuid.uuid4().hex[:6]}"
        password = f"pw-{uuid.uuid4().hex}"
        secrets = dovecot_server.root / "secrets"
        secrets.mkdir(exist_ok=True, mode=0o700)
        path = secrets / user
        path.write_text(password)
        os.chmod(path, 0o600)
        dovecot_server.add_user(user, password)
        return ImapAccount(dovecot_server, user, password, path)
    return make


@pytest.fixture
def imap_account(imap_account_factory: Callable[[], ImapAccount]) -> ImapAccount:
    return imap_account_factory()


@pytest.fixture
def tcp_proxy_factory(dovecot_server: DovecotServer) -> Iterator[Callable[[], TcpProxy]]:
    """Proxies in front of the server's plain IMAP port; all stopped after the test."""
    proxies: list[TcpProxy] = []

    def make(port: int | None = None) -> TcpProxy:
        proxy = TcpProxy("127.0.0.1", port or dovecot_server.port).start()
        proxies.append(proxy)
        return proxy
    yield make
    for proxy in proxies:
        proxy.stop()
