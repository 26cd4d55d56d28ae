"""SMTP AUTH: one OAuth token helper for IMAP and SMTP (secret or certificate), and Exchange's refusal of
Basic auth explained (a real aiosmtpd server with AUTH answers as Exchange Online does)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from config.errors import ConfigError
from config.load import parse_settings
from config.settings import SmtpSettings
from notify import smtp
from tests.support.servers.smtpsink import SinkHandler, free_port

pytestmark = pytest.mark.integration

EXCHANGE_REFUSAL = "5.7.139 Authentication unsuccessful, basic authentication is disabled."


class ExchangeLikeAuth:
    """Refuses every password login the way Exchange Online does once Basic auth is off for SMTP AUTH."""

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        return AuthResult(success=False, handled=False, message=f"535 {EXCHANGE_REFUSAL}")


@pytest.fixture
def exchange_like(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    controller = Controller(SinkHandler(tmp_path), hostname="127.0.0.1", port=port,
                            authenticator=ExchangeLikeAuth(), auth_require_tls=False)
    controller.start()
    yield port
    controller.stop()


def test_basic_auth_refused_by_exchange_says_to_use_oauth(exchange_like: int,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUSAVVIK_TEST_SMTP_PW", "hemligt")
    settings = SmtpSettings(host="127.0.0.1", port=exchange_like, security="none", auth="password",
                            username="bus@example.se", password_env="BUSAVVIK_TEST_SMTP_PW", retries=0)
    result = smtp.SmtpSender(settings).send(b"Subject: x\r\n\r\nx\r\n", "bus@example.se", ["a@example.se"],
                                            lambda: True)
    assert result.status == "rejected" and result.code == 535
    assert "5.7.139" in result.detail and 'smtp.auth = "xoauth2"' in result.detail
    assert "SMTP.SendAsApp" in result.detail and "hemligt" not in result.detail


def test_other_refusals_are_passed_on_as_they_are() -> None:
    settings = SmtpSettings(host="smtp.example.se", auth="password")
    assert smtp.explain_refusal(535, "5.7.8 bad credentials", settings) == "5.7.8 bad credentials"
    assert "xoauth2" in smtp.explain_refusal(550, "5.7.30 Basic authentication is not supported", settings)


class FakeApp:
    calls: list[dict[str, Any]] = []

    def __init__(self, client_id: str, client_credential: Any, authority: str) -> None:
        FakeApp.calls.append({"client_id": client_id, "credential": client_credential, "authority": authority})

    def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any]:
        FakeApp.calls[-1]["scopes"] = scopes
        return {"access_token": "tok-smtp"}


def test_smtp_token_by_certificate_credentials(tmp_path: Path) -> None:
    pem = tmp_path / "app.pem"
    pem.write_text("-----BEGIN PRIVATE KEY-----\n...\n")
    settings = SmtpSettings(host="smtp.office365.com", auth="xoauth2", username="bus@example.se",
                            oauth_tenant="t1", oauth_client_id="c1", oauth_certificate_file=str(pem),
                            oauth_certificate_thumbprint="AB12")
    FakeApp.calls = []
    assert smtp.xoauth2_token(settings, app_factory=FakeApp) == "tok-smtp"
    assert FakeApp.calls == [{"client_id": "c1", "credential": {"private_key": pem.read_text(), "thumbprint": "AB12"},
                              "authority": "https://login.microsoftonline.com/t1",
                              "scopes": ["https://outlook.office365.com/.default"]}]


def test_smtp_xoauth2_config_needs_its_keys() -> None:
    with pytest.raises(ConfigError, match="xoauth2 needs username"):
        parse_settings({"smtp": {"host": "smtp.office365.com", "auth": "xoauth2"}})
    parsed = parse_settings({"smtp": {"host": "smtp.office365.com", "auth": "xoauth2", "username": "bus@x.se",
                                      "oauth_tenant": "t", "oauth_client_id": "c",
                                      "oauth_certificate_file": "/etc/busavvik/app.pem",
                                      "oauth_certificate_thumbprint": "AB"}})
    assert parsed.smtp.oauth_certificate_thumbprint == "AB"
