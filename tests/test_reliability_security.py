"""Security settings: TLS verification cannot be switched off for a non-loopback host without the explicit
`insecure_skip_verify`, which is logged; secrets never appear in logs, `status`, error messages or tracebacks.
"""
from __future__ import annotations

import logging
import ssl
from collections.abc import Callable
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.load import parse_settings
from config.settings import MailboxSettings, SmtpSettings
from ingest import imap
from ingest.imap_session import ImapAuthError, xoauth2_token
from notify import smtp
from tests.support import harness
from tests.support.servers.fixtures import (  # noqa: F401 - fixtures
    ImapAccount,
    dovecot_server,
    imap_account_factory,
)

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

SECRET = "S3cret-Wrong-Password-4711"   # ASCII: see docs/RELIABILITY.md (non-ASCII passwords)
OAUTH_SECRET = "oauth~Client.Secret_0815xyz"
REMOTE = {"name": "m", "host": "imap.example.se", "username": "u", "password_env": "X"}


@pytest.mark.parametrize("section", ["imap", "smtp"])
def test_no_tls_is_refused_for_a_remote_host(section: str) -> None:
    data = ({"mailboxes": [{**REMOTE, "security": "none", "port": 143}]} if section == "imap" else
            {"smtp": {"host": "smtp.example.se", "security": "none"}})
    with pytest.raises(ConfigError, match="loopback"):
        parse_settings(data)


def test_verification_is_on_by_default_and_off_only_explicitly_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    settings = parse_settings({"mailboxes": [REMOTE], "smtp": {"host": "smtp.example.se"}})
    mb = settings.mailboxes[0]
    assert (mb.security, mb.insecure_skip_verify) == ("ssl", False)
    for ctx in (imap.tls_context(mb), smtp.tls_context(settings.smtp)):
        assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert not caplog.records
    with caplog.at_level(logging.WARNING):
        off = imap.tls_context(MailboxSettings(**{**REMOTE, "insecure_skip_verify": True}))
        smtp_off = smtp.tls_context(SmtpSettings(host="smtp.example.se", insecure_skip_verify=True))
    assert off.verify_mode == ssl.CERT_NONE and smtp_off.verify_mode == ssl.CERT_NONE
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "imap.example.se" in logged and logged.count("insecure_skip_verify") == 2


def test_untrusted_certificate_fails_and_the_explicit_option_is_logged(
        imap_account_factory: Callable[..., ImapAccount], tmp_path: Path) -> None:
    acct = imap_account_factory("tls")
    base = harness.imap_mailbox(acct.server, acct.user, acct.password_file, security="ssl",
                                port=acct.server.ssl_port)
    refused = harness.write_config(tmp_path / "refused.toml", f"sqlite:///{tmp_path / 'a.db'}", [base])
    done = harness.busavvik(refused, "poll", "--once")
    assert done.returncode == 1 and "tls_failed" in done.stdout, done.stdout + done.stderr
    allowed = harness.write_config(tmp_path / "allowed.toml", f"sqlite:///{tmp_path / 'b.db'}",
                                   [{**base, "insecure_skip_verify": True}], logging={"format": "json"})
    done = harness.busavvik(allowed, "poll", "--once")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verification is OFF" in done.stderr and "insecure_skip_verify" in done.stderr


def test_secrets_never_in_logs_status_errors_or_tracebacks(imap_account_factory: Callable[..., ImapAccount],
                                                           tmp_path: Path) -> None:
    acct = imap_account_factory("secret")
    env = {"BUSAVVIK_TEST_PW": SECRET, "BUSAVVIK_TEST_SMTP_PW": SECRET, "BUSAVVIK_TEST_OAUTH": OAUTH_SECRET}
    secret_file = tmp_path / "pw"
    secret_file.write_text(SECRET)
    outputs = []
    for fmt in ("text", "json"):
        config = harness.write_config(
            tmp_path / f"{fmt}.toml", f"sqlite:///{tmp_path / 'secrets.db'}",
            [harness.imap_mailbox(acct.server, acct.user, secret_file, name="file"),
             {**harness.imap_mailbox(acct.server, acct.user, secret_file, name="env"), "password_file": "",
              "password_env": "BUSAVVIK_TEST_PW"}],
            smtp={"host": "127.0.0.1", "port": 9, "security": "none", "auth": "password", "username": "u",
                  "password_env": "BUSAVVIK_TEST_SMTP_PW", "retries": 0, "timeout": 2},
            reminders={"enabled": True}, logging={"format": fmt, "level": "DEBUG"})
        for args in (("poll", "--once"), ("status",), ("status", "--json"), ("remind", "--as-of", "2026-03-16"),
                     ("digest", "--as-of", "2026-03-16", "--send")):
            done = harness.busavvik(config, *args, env=env)
            outputs.append(f"$ {' '.join(args)} -> {done.returncode}\n{done.stdout}{done.stderr}")
    text = "\n".join(outputs)
    assert "auth_failed" in text                                # the wrong password was really tried
    assert "Traceback" in text or "refused the login" in text
    assert SECRET not in text and OAUTH_SECRET not in text, text


def test_oauth_secret_is_scrubbed_from_identity_provider_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUSAVVIK_TEST_OAUTH", OAUTH_SECRET)
    mb = MailboxSettings(name="m365", host="outlook.office365.com", username="bus@example.se", auth="xoauth2",
                         oauth_tenant="t", oauth_client_id="c", oauth_client_secret_env="BUSAVVIK_TEST_OAUTH")

    def factory(*_a: object, client_credential: str, **_k: object) -> object:
        raise ValueError(f"bad credential {client_credential!r}")
    with pytest.raises(ImapAuthError) as info:
        xoauth2_token(mb, app_factory=factory)
    assert OAUTH_SECRET not in str(info.value) and "****" in str(info.value)
