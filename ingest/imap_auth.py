"""Logging in to an IMAP mailbox: a password, or an XOAUTH2 token from Microsoft Entra ID (msal).

No secret ever reaches a log line or an exception message.
"""
from __future__ import annotations

import imaplib
import logging
from pathlib import Path
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from config.settings import MailboxSettings

log = logging.getLogger(__name__)

OAUTH_AUTHORITY = "https://login.microsoftonline.com/{tenant}"
OAUTH_SCOPE = "https://outlook.office365.com/.default"


class ImapError(Exception):
    """An IMAP source failed in a way a retry will not fix; the message says what to check."""


class ImapAuthError(ImapError):
    """The server (or the identity provider) refused our credentials."""


def _scrub(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "****")
    return text


def _server_text(exc: Exception) -> str:
    text = str(exc)
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    return text


def _reraise_network(exc: IMAPClientError) -> None:
    """imapclient turns a dropped connection during LOGIN into LoginError: that is a network error."""
    cause = exc.__context__
    if isinstance(exc, imaplib.IMAP4.abort) or isinstance(cause, (imaplib.IMAP4.abort, OSError)):
        raise cause or exc


def login(client: IMAPClient, mb: MailboxSettings) -> None:
    """Log in with the mailbox's configured method; raise ImapAuthError when refused."""
    if mb.auth == "xoauth2":
        token = xoauth2_token(mb)
        try:
            client.oauth2_login(mb.username, token)
        except IMAPClientError as exc:
            _reraise_network(exc)
            raise ImapAuthError(f"mailbox {mb.name!r}: {mb.host}:{mb.port} refused the XOAUTH2 token for "
                                f"{mb.username!r}: {_scrub(_server_text(exc), token)} (check that the app "
                                "has IMAP.AccessAsApp and a service principal with access to the mailbox)"
                                ) from None
        return
    secret = mb.password()
    if secret is None or not secret.value:
        raise ImapAuthError(f"mailbox {mb.name!r}: no password: set the environment variable "
                            f"{mb.password_env or '(password_env)'} or password_file")
    try:
        if secret.value.isascii() and mb.username.isascii():
            client.login(mb.username, secret.value)
        else:  # LOGIN cannot carry non-ASCII; AUTHENTICATE PLAIN sends UTF-8
            client.plain_login(mb.username, secret.value)
    except IMAPClientError as exc:
        _reraise_network(exc)
        raise ImapAuthError(f"mailbox {mb.name!r}: {mb.host}:{mb.port} refused the login of "
                            f"{mb.username!r}: {_scrub(_server_text(exc), secret.value)} (check the user "
                            f"name and the password in {_password_source(mb)})") from None


def _password_source(mb: MailboxSettings) -> str:
    if mb.password_env:
        return f"${mb.password_env}"
    return mb.password_file or "the configuration"


def _client_credential(mb: MailboxSettings) -> str | dict[str, str]:
    if mb.oauth_certificate_file:
        try:
            pem = Path(mb.oauth_certificate_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ImapAuthError(f"mailbox {mb.name!r}: cannot read oauth_certificate_file "
                                f"{mb.oauth_certificate_file}: {exc.strerror}") from None
        if not mb.oauth_certificate_thumbprint:
            raise ImapAuthError(f"mailbox {mb.name!r}: oauth_certificate_file needs "
                                "oauth_certificate_thumbprint (the certificate's SHA-1 thumbprint)")
        return {"private_key": pem, "thumbprint": mb.oauth_certificate_thumbprint}
    secret = mb.oauth_secret()
    if secret is None or not secret.value:
        raise ImapAuthError(f"mailbox {mb.name!r}: no OAuth client secret: set the environment variable "
                            f"{mb.oauth_client_secret_env or '(oauth_client_secret_env)'}")
    return secret.value


def xoauth2_token(mb: MailboxSettings, app_factory: Any = None) -> str:
    """An access token by the client-credentials flow; `app_factory` replaces msal in tests."""
    import msal

    factory = app_factory or msal.ConfidentialClientApplication
    credential = _client_credential(mb)
    try:
        app = factory(mb.oauth_client_id, client_credential=credential,
                      authority=OAUTH_AUTHORITY.format(tenant=mb.oauth_tenant))
        result = app.acquire_token_for_client(scopes=[OAUTH_SCOPE])
    except ValueError as exc:   # msal raises ValueError for a bad authority, key or thumbprint
        secret = credential if isinstance(credential, str) else ""
        raise ImapAuthError(f"mailbox {mb.name!r}: cannot request an OAuth token from tenant "
                            f"{mb.oauth_tenant!r}: {_scrub(str(exc), secret)}") from None
    token = result.get("access_token") if isinstance(result, dict) else None
    if not token:
        error = result.get("error", "no token") if isinstance(result, dict) else "no answer"
        detail = str(result.get("error_description", "")).splitlines()[0] if isinstance(result, dict) \
            and result.get("error_description") else ""
        raise ImapAuthError(f"mailbox {mb.name!r}: Microsoft Entra ID refused a token for client "
                            f"{mb.oauth_client_id!r} in tenant {mb.oauth_tenant!r}: {error}"
                            + (f" ({detail})" if detail else ""))
    log.debug("mailbox %s: got an OAuth token for %s", mb.name, mb.username)
    return str(token)
