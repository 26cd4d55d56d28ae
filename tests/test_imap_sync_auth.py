"""The IMAP source's login: passwords, TLS verification and XOAUTH2 tokens (msal replaced by a fake)."""
from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from config.settings import MailboxSettings
from ingest.imap import (
    ImapAuthError,
    ImapTlsError,
    connect,
)
from tests.support.imapsync import Store, account, mail  # noqa: F401 - fixtures
from tests.support.servers.dovecot import DovecotServer
from tests.support.servers.fixtures import (  # noqa: F401 - fixtures
    ImapAccount,
    dovecot_server,
    imap_account,
    imap_account_factory,
    tcp_proxy_factory,
)

pytestmark = pytest.mark.integration


# ---- authentication and TLS --------------------------------------------------------------------------------
def test_wrong_password_is_a_clear_auth_error_without_the_password(account: ImapAccount,
                                                                    tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("hemligt-fel-losen-123")
    with pytest.raises(ImapAuthError) as caught:
        connect(account.settings(password_file=str(wrong)))
    text = str(caught.value)
    assert account.user in text and "refused the login" in text and "AUTHENTICATIONFAILED" in text
    assert "hemligt-fel-losen-123" not in text and account.password not in text
    report = Store().poll(account.settings(password_file=str(wrong), folders=("INBOX", "Arkiv")))
    assert [f.fatal for f in report.folders] == [True, True]
    assert all("hemligt" not in e for e in report.errors)


def test_tls_verifies_with_the_ca_file(account: ImapAccount) -> None:
    account.server.append(account.user, "INBOX", [mail(1)])
    for mb in (account.tls_settings(), account.tls_settings(host="localhost"),
               account.settings(security="starttls", ca_file=str(account.server.ca_file))):
        store = Store()
        report = store.poll(mb)
        assert report.ok and report.fetched == 1, (mb.security, mb.host, report.errors)


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_without_the_ca_fails_clearly(account: ImapAccount, security: str) -> None:
    mb = account.tls_settings(ca_file="", security=security)
    if security == "starttls":
        mb = replace(mb, port=account.server.port)
    with pytest.raises(ImapTlsError, match=r"TLS certificate of 127\.0\.0\.1:\d+ was not accepted "
                                           r"\(unable to get local issuer certificate\); set ca_file"):
        connect(mb)
    report = Store().poll(mb)
    assert report.folders[0].fatal and "ca_file" in report.errors[0]


def test_insecure_skip_verify_works_but_is_logged(account: ImapAccount,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ingest.imap"):
        connect(account.tls_settings(ca_file="", insecure_skip_verify=True)).logout()
    assert "verification is OFF" in caplog.text


def test_plain_imap_is_refused_for_a_remote_host(account: ImapAccount) -> None:
    with pytest.raises(ImapTlsError, match="only for a loopback host"):
        connect(account.settings(host="imap.example.se"))


# ---- XOAUTH2 token (msal replaced by a fake; no network) ----------------------------------------------------
class FakeApp:
    calls: list[dict[str, Any]] = []

    def __init__(self, client_id: str, client_credential: Any, authority: str) -> None:
        self.calls.append({"client_id": client_id, "credential": client_credential, "authority": authority})
        self.result: dict[str, Any] = FakeApp.next_result

    next_result: dict[str, Any] = {}

    def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any]:
        self.calls[-1]["scopes"] = scopes
        return self.result


def _oauth_mb(monkeypatch: pytest.MonkeyPatch, **kw: Any) -> Any:
    from config.settings import MailboxSettings
    monkeypatch.setenv("BUSAVVIK_TEST_OAUTH", "klient-hemlighet-42")
    return MailboxSettings(name="hsf", host="outlook.office365.com", username="bus@sll.se", auth="xoauth2",
                           oauth_tenant="contoso-tenant", oauth_client_id="app-123",
                           oauth_client_secret_env="BUSAVVIK_TEST_OAUTH", **kw)


def test_xoauth2_token_by_client_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.imap_session import xoauth2_token
    FakeApp.calls, FakeApp.next_result = [], {"access_token": "tok-abc"}
    assert xoauth2_token(_oauth_mb(monkeypatch), app_factory=FakeApp) == "tok-abc"
    assert FakeApp.calls == [{"client_id": "app-123", "credential": "klient-hemlighet-42",
                              "authority": "https://login.microsoftonline.com/contoso-tenant",
                              "scopes": ["https://outlook.office365.com/.default"]}]


def test_xoauth2_refused_token_is_a_clear_error_without_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.imap_session import xoauth2_token
    FakeApp.next_result = {"error": "invalid_client",
                           "error_description": "AADSTS7000215: Invalid client secret provided.\nTrace ID: x"}
    with pytest.raises(ImapAuthError) as caught:
        xoauth2_token(_oauth_mb(monkeypatch), app_factory=FakeApp)
    text = str(caught.value)
    assert "refused a token for client 'app-123' in tenant 'contoso-tenant': invalid_client" in text
    assert "AADSTS7000215" in text and "Trace ID" not in text and "klient-hemlighet-42" not in text


def test_xoauth2_certificate_needs_a_thumbprint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from ingest.imap_session import xoauth2_token
    pem = tmp_path / "app.pem"
    pem.write_text("-----BEGIN PRIVATE KEY-----\n...\n")
    mb = _oauth_mb(monkeypatch, oauth_certificate_file=str(pem))
    with pytest.raises(ImapAuthError, match="needs oauth_certificate_thumbprint"):
        xoauth2_token(mb, app_factory=FakeApp)
    FakeApp.calls, FakeApp.next_result = [], {"access_token": "tok"}
    xoauth2_token(replace(mb, oauth_certificate_thumbprint="AB12"), app_factory=FakeApp)
    assert FakeApp.calls[0]["credential"] == {"private_key": pem.read_text(), "thumbprint": "AB12"}


def test_a_refused_xoauth2_login_is_an_auth_error(account: ImapAccount,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.imap_session
    monkeypatch.setattr(ingest.imap_session, "xoauth2_token", lambda _mb: "token-that-must-not-leak")
    with pytest.raises(ImapAuthError, match="refused the XOAUTH2 token") as caught:
        connect(account.settings(auth="xoauth2"))
    assert "token-that-must-not-leak" not in str(caught.value)


def test_non_ascii_password_logs_in(dovecot_server: DovecotServer, tmp_path: Path) -> None:
    user, password = f"utf8-{uuid.uuid4().hex[:6]}", "hemlig-lösenÅrd-42"
    dovecot_server.add_user(user, password)
    secret = tmp_path / "pw"
    secret.write_text(password, encoding="utf-8")
    mb = MailboxSettings(name=user, host="127.0.0.1", port=dovecot_server.port, security="none", username=user,
                         password_file=str(secret), timeout=10.0)
    connect(mb).logout()
