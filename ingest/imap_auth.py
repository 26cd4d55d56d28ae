"""Logging in to an IMAP mailbox: a password, or an XOAUTH2 token from Microsoft Entra ID (msal).

No secret ever reaches a log line or an exception message.
"""
from __future__ import annotations

import imaplib
import logging
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from config.credentials import CredentialError, client_credentials_token, scrub
from config.settings import MailboxSettings

log = logging.getLogger(__name__)

class ImapError(Exception):
    """An IMAP source failed in a way a retry will not fix; the message says what to check."""


class ImapAuthError(ImapError):
    """The server (or the identity provider) refused our credentials."""


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
                                f"{mb.username!r}: {scrub(_server_text(exc), token)} (check that the app "
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
                            f"{mb.username!r}: {scrub(_server_text(exc), secret.value)} (check the user "
                            f"name and the password in {_password_source(mb)})") from None


def _password_source(mb: MailboxSettings) -> str:
    if mb.password_env:
        return f"${mb.password_env}"
    return mb.password_file or "the configuration"


def xoauth2_token(mb: MailboxSettings, app_factory: Any = None) -> str:
    """An access token by the client-credentials flow; `app_factory` replaces msal in tests."""
    try:
        token = client_credentials_token(mb, app_factory)
    except CredentialError as exc:
        raise ImapAuthError(f"mailbox {mb.name!r}: {exc}") from None
    log.debug("mailbox %s: got an OAuth token for %s", mb.name, mb.username)
    return token
