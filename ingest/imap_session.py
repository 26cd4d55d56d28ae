"""One IMAP session: connecting (TLS as configured, verification on by default, no protocol trace) and logging
in (a password, or an XOAUTH2 token from Microsoft Entra ID via msal).

`connect(mb)` returns a logged-in IMAPClient or raises ImapTlsError / ImapAuthError (final: retrying would
fail the same way) or one of ingest.imap.NETWORK_ERRORS (worth a retry).  No secret ever reaches a log line
or an exception message.  (Once ingest/imap_connect.py and ingest/imap_auth.py, split for the line rule.)
"""
from __future__ import annotations

import imaplib
import logging
import ssl
from collections.abc import Callable
from typing import Any

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import CapabilityError, IMAPClientError

from config import credentials
from config.credentials import CredentialError, client_credentials_token, scrub
from config.settings import MailboxSettings, is_loopback

log = logging.getLogger("ingest.imap")    # the poller's logger: one name for everything IMAP in the logs


class ImapError(Exception):
    """An IMAP source failed in a way a retry will not fix; the message says what to check."""


class ImapAuthError(ImapError):
    """The server (or the identity provider) refused our credentials."""


class ImapTlsError(ImapError):
    """TLS could not be set up as configured (certificate not trusted, no STARTTLS, bad ca_file)."""


def tls_context(mb: MailboxSettings) -> ssl.SSLContext:
    """Verification on (system CAs, or `ca_file`); off only with insecure_skip_verify, and then logged."""
    try:
        return credentials.tls_context(mb.ca_file, mb.insecure_skip_verify,
                                       f"mailbox {mb.name}: {mb.host}:{mb.port}")
    except credentials.CredentialError as exc:
        raise ImapTlsError(f"mailbox {mb.name!r}: {exc}") from None


def untraced(client: IMAPClient) -> IMAPClient:
    """Switch off imaplib's protocol trace unless the `imapclient.imaplib` logger would show it.

    imapclient sets imaplib's debug level to 5 and routes the trace to that logger; imaplib then builds the
    repr() of every fetched message, and of each whole FETCH answer, before the logger drops it: ~0.6 ms of
    CPU per 50 kB message, four fifths of what a fetch costs the client.
    """
    if not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
        client._imap.debug = 0
    return client


def _open(mb: MailboxSettings) -> IMAPClient:
    return untraced(_open_traced(mb))


def _open_traced(mb: MailboxSettings) -> IMAPClient:
    timeout = SocketTimeout(connect=mb.timeout, read=mb.timeout)
    if mb.security == "none":
        if not is_loopback(mb.host):
            raise ImapTlsError(f"mailbox {mb.name!r}: security 'none' is allowed only for a loopback host, "
                               f"not {mb.host!r}")
        return IMAPClient(mb.host, port=mb.port, ssl=False, timeout=timeout)
    if mb.security not in ("ssl", "starttls"):
        raise ImapTlsError(f"mailbox {mb.name!r}: unknown security {mb.security!r}")
    context = tls_context(mb)
    try:
        if mb.security == "ssl":
            return IMAPClient(mb.host, port=mb.port, ssl=True, ssl_context=context, timeout=timeout)
        client = IMAPClient(mb.host, port=mb.port, ssl=False, timeout=timeout)
        try:
            client.starttls(context)
        except BaseException:
            close_quietly(client.shutdown)
            raise
        return client
    except ssl.SSLCertVerificationError as exc:
        raise ImapTlsError(f"mailbox {mb.name!r}: the TLS certificate of {mb.host}:{mb.port} was not "
                           f"accepted ({exc.verify_message}); set ca_file to the CA that signed it or fix "
                           "the server's certificate") from None
    except CapabilityError:
        raise ImapTlsError(f"mailbox {mb.name!r}: {mb.host}:{mb.port} does not offer STARTTLS; refusing "
                           "to log in without TLS (use security = \"ssl\" and port 993?)") from None


def connect(mb: MailboxSettings) -> IMAPClient:
    """A logged-in client; raises ImapTlsError / ImapAuthError (final) or a NETWORK_ERRORS (retry)."""
    client = _open(mb)
    try:
        login(client, mb)
    except BaseException:
        close_quietly(client.shutdown)
        raise
    log.info("mailbox %s: logged in to %s:%s as %s (%s, %s)", mb.name, mb.host, mb.port, mb.username,
             mb.security, mb.auth)
    return client


def close_quietly(fn: Callable[[], object]) -> None:
    try:
        fn()
    except Exception:  # closing a broken connection may fail in any way
        log.debug("ignored while closing the connection", exc_info=True)


# ---- logging in ------------------------------------------------------------------------------------------------------
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
