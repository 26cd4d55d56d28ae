"""The SMTP seam: one message per call over STARTTLS/SSL (certificates verified), password or XOAUTH2.

`SmtpSender.send()` never raises for SMTP trouble; it returns a `SendResult` whose status tells the outbox
what is known about the message:

* ``accepted`` — the server answered 250 to the end of DATA: the message is on its way;
* ``deferred`` — a 4xx reply or a connection error *before* the message body was handed over: the server
  certainly does not have it, so it is safe to try again later (the sender already retried with backoff);
* ``rejected`` — a 5xx reply: permanent, do not retry (also when every `required` recipient was refused:
  a reminder that would reach only the secretariat's copy has not reached anyone it was meant for);
* ``unknown``  — the connection broke after the body was handed over and before the final reply: the server
  may have accepted it.  The outbox never resends such a message automatically;
* ``aborted``  — the `before_payload` callback refused (another process took the row over).

A non-ASCII address (a raw UTF-8 local part, RFC 6532) goes out only to a server that offers SMTPUTF8;
another server never sees it: it is refused here with 553 5.6.7, as the server would have refused it.

Secrets (passwords, tokens) are never logged or put into results.
"""
from __future__ import annotations

import logging
import math
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from config import credentials
from config.retry import Backoff, Failure, retry_call
from config.settings import SmtpSettings, is_loopback

log = logging.getLogger(__name__)
NOT_ASCII = "5.6.7 non-ASCII address, and the server does not offer SMTPUTF8 (not sent)"


@dataclass(frozen=True)
class SendResult:
    status: str                  # accepted | deferred | rejected | unknown | aborted
    code: int | None = None
    detail: str = ""


class Transport(Protocol):
    def send(self, data: bytes, sender: str, recipients: Sequence[str],
             before_payload: Callable[[], bool], required: Sequence[str] = ()) -> SendResult: ...


class _Refused(Exception):
    """A definitive SMTP reply other than success."""

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{code} {detail}")
        self.code, self.detail = code, detail


class _Aborted(Exception):
    pass


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    try:
        return credentials.tls_context(settings.ca_file, settings.insecure_skip_verify,
                                       f"smtp {settings.host}:{settings.port}")
    except credentials.CredentialError as exc:
        raise _Refused(530, f"TLS: {exc}") from None


def xoauth2_token(settings: SmtpSettings, app_factory: Any = None) -> str:
    """An app-only access token for SMTP AUTH XOAUTH2 (Microsoft 365 SMTP.SendAsApp, client credentials)."""
    try:
        return credentials.client_credentials_token(settings, app_factory)
    except credentials.CredentialError as exc:
        raise _Refused(535, f"XOAUTH2 token: {exc}") from None


class SmtpSender:
    """Sends through the configured server; retries transient failures with exponential backoff."""

    def __init__(self, settings: SmtpSettings, backoff: float = 2.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if settings.security == "none" and not is_loopback(settings.host):
            raise ValueError("smtp.security = 'none' is allowed only for a loopback host")
        self.settings, self.backoff, self.sleep = settings, backoff, sleep

    @property
    def retry(self) -> Backoff:
        """smtp.retries more attempts after the first, waiting `backoff` s, then twice as long each time."""
        return Backoff(max(1, self.settings.retries + 1), self.backoff, math.inf, self.sleep)

    def send(self, data: bytes, sender: str, recipients: Sequence[str],
             before_payload: Callable[[], bool], required: Sequence[str] = ()) -> SendResult:
        """`required`: of these recipients (a reminder's To:) at least one must be accepted, or nothing is sent."""

        def transient(failure: Failure) -> None:
            detail = failure.result.detail if isinstance(failure.result, SendResult) else ""
            log.info("smtp: transient failure (attempt %d): %s", failure.number, detail)

        return retry_call(lambda: self._attempt(data, sender, recipients, before_payload, required), self.retry,
                          failed=lambda result: result.status == "deferred", on_failure=transient)

    def _attempt(self, data: bytes, sender: str, recipients: Sequence[str],
                 before_payload: Callable[[], bool], required: Sequence[str]) -> SendResult:
        conn: smtplib.SMTP | None = None
        state = {"payload": False}
        try:
            conn = self._connect()
            refused = _envelope(conn, sender, recipients, required)
            if not before_payload():
                raise _Aborted()
            _data(conn, data, state)
            return SendResult("accepted", 250, "; ".join(refused)[:500])
        except _Aborted:
            return SendResult("aborted", None, "the reminder was taken over by another run")
        except _Refused as exc:
            return SendResult("deferred" if 400 <= exc.code < 500 else "rejected", exc.code, exc.detail[:500])
        except (OSError, smtplib.SMTPException) as exc:
            status = "unknown" if state["payload"] else "deferred"
            return SendResult(status, None, f"{type(exc).__name__}: {exc}"[:500])
        except ValueError as exc:  # after OSError (an SSL error is both): e.g. an address it cannot encode
            status = "unknown" if state["payload"] else "rejected"
            return SendResult(status, None, f"{type(exc).__name__}: {exc}"[:500])
        finally:
            _quit(conn)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        conn: smtplib.SMTP
        if s.security == "ssl":
            conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=tls_context(s))
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=tls_context(s))
                conn.ehlo()
            self._login(conn)
        except smtplib.SMTPResponseException as exc:
            _quit(conn)
            raise _Refused(exc.smtp_code, explain_refusal(exc.smtp_code, _text(exc.smtp_error), s)) from None
        return conn

    def _login(self, conn: smtplib.SMTP) -> None:
        s = self.settings
        if s.auth == "password":
            secret = s.password()
            if secret is None:
                raise _Refused(530, "smtp password is not set (password_env / password_file)")
            conn.login(s.username, secret.value)
        elif s.auth == "xoauth2":
            token = xoauth2_token(s)
            conn.auth("XOAUTH2", lambda challenge=None: _xoauth2(s.username, token, challenge))

def _envelope(conn: smtplib.SMTP, sender: str, recipients: Sequence[str], required: Sequence[str]) -> list[str]:
    """MAIL and RCPT; the permanently refused recipients are returned (and left out).

    A temporary refusal of any recipient defers the whole message: delivering to the others now
    would make the later retry a second copy for them.  When every recipient, or every `required` one, is
    refused permanently, nothing is sent.
    """
    utf8 = not all(a.isascii() for a in (sender, *recipients))
    if utf8 and conn.has_extn("smtputf8"):
        conn.command_encoding = "utf-8"       # as smtplib.sendmail does for SMTPUTF8
        code, reply = conn.mail(sender, ["SMTPUTF8"])
    elif not sender.isascii():
        raise _Refused(553, f"{sender}: {NOT_ASCII}")
    else:
        code, reply = conn.mail(sender)
    if code != 250:
        raise _Refused(code, _text(reply))
    refused: list[tuple[int, str, str]] = []
    for rcpt in recipients:
        if not rcpt.isascii() and conn.command_encoding != "utf-8":
            refused.append((553, rcpt, f"{rcpt}: 553 {NOT_ASCII}"))
            continue
        code, reply = conn.rcpt(rcpt)
        if code not in (250, 251):
            refused.append((code, rcpt, f"{rcpt}: {code} {_text(reply)}"))
    temporary = [d for c, _, d in refused if c < 500]
    gone = {a.lower() for _, a, _ in refused}
    if temporary or len(refused) == len(recipients) or (required and all(a.lower() in gone for a in required)):
        conn.rset()
        code = 451 if temporary else max(c for c, _, _ in refused)
        raise _Refused(code, "; ".join(d for _, _, d in refused))
    return [d for _, _, d in refused]


BASIC_AUTH_OFF = ("5.7.30", "5.7.139", "basic authentication is disabled", "basic authentication is not supported")


def explain_refusal(code: int, text: str, settings: SmtpSettings) -> str:
    """The server's refusal, plus what to do when Exchange Online refuses Basic auth (off from end of 2026)."""
    if settings.auth == "password" and code in (535, 550) and any(k in text.lower() for k in BASIC_AUTH_OFF):
        return (f"{text} — the server refuses Basic authentication (user name and password) for SMTP AUTH; "
                "Exchange Online turns it off by default at the end of December 2026. Use OAuth: "
                'smtp.auth = "xoauth2" with an app that has SMTP.SendAsApp (docs/EXCHANGE.md)')
    return text


def _xoauth2(user: str, token: str, challenge: bytes | None) -> str:
    return "" if challenge else f"user={user}\x01auth=Bearer {token}\x01\x01"


def _data(conn: smtplib.SMTP, data: bytes, state: dict[str, bool]) -> None:
    """DATA, with `state['payload']` set from the moment the body may have reached the server."""
    conn.putcmd("data")
    code, reply = conn.getreply()
    if code != 354:
        raise _Refused(code, _text(reply))
    body = re.sub(rb"(?m)^\.", b"..", re.sub(rb"\r\n|\n|\r(?!\n)", b"\r\n", data))
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    state["payload"] = True
    conn.send(body + b".\r\n")
    code, reply = conn.getreply()
    if code != 250:
        raise _Refused(code, _text(reply))


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _quit(conn: smtplib.SMTP | None) -> None:
    if conn is None:
        return
    try:
        conn.quit()
    except (OSError, smtplib.SMTPException):
        conn.close()
