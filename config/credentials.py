"""What IMAP and SMTP share to reach Microsoft 365 and other servers safely: one TLS context, one OAuth token.

* `tls_context` — certificate verification on (system CAs, or a `ca_file`); off only on an explicit
  `insecure_skip_verify`, and then logged.
* `client_credentials_token` — an app-only access token from Microsoft Entra ID by the OAuth 2.0
  client-credentials flow (msal), with a client secret or a certificate; for IMAP (IMAP.AccessAsApp) and SMTP
  AUTH (SMTP.SendAsApp) alike.

Neither ever puts a secret into a log line or an exception message. Errors are `CredentialError` with a
message that says what to check; the caller adds which mailbox or server it was.
"""
from __future__ import annotations

import logging
import os
import ssl
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

OAUTH_AUTHORITY = "https://login.microsoftonline.com/{tenant}"
OAUTH_SCOPE = "https://outlook.office365.com/.default"   # IMAP and SMTP AUTH of Exchange Online alike


class CredentialError(Exception):
    """TLS or OAuth could not be set up as configured; the message says what to check (never a secret)."""


class OAuthClient(Protocol):
    """The settings a token needs (MailboxSettings and SmtpSettings both have them)."""
    @property
    def oauth_tenant(self) -> str: ...

    @property
    def oauth_client_id(self) -> str: ...

    @property
    def oauth_client_secret_env(self) -> str: ...

    @property
    def oauth_certificate_file(self) -> str: ...

    @property
    def oauth_certificate_thumbprint(self) -> str: ...


def tls_context(ca_file: str, insecure_skip_verify: bool, where: str) -> ssl.SSLContext:
    """A client TLS context; `where` names the server in the warning (e.g. "mailbox hsf: host:993")."""
    if ca_file and not os.access(ca_file, os.R_OK):
        raise CredentialError(f"ca_file {ca_file} does not exist or is not readable")
    try:
        context = ssl.create_default_context(cafile=ca_file or None)
    except ssl.SSLError as exc:
        raise CredentialError(f"ca_file {ca_file} holds no usable certificate: {exc}") from None
    if insecure_skip_verify:
        log.warning("%s: TLS certificate verification is OFF (insecure_skip_verify = true); anyone on the path "
                    "can read the password and the mail", where)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def scrub(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "****")
    return text


def _client_credential(client: OAuthClient) -> str | dict[str, str]:
    if client.oauth_certificate_file:
        try:
            pem = Path(client.oauth_certificate_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise CredentialError(f"cannot read oauth_certificate_file {client.oauth_certificate_file}: "
                                  f"{exc.strerror}") from None
        if not client.oauth_certificate_thumbprint:
            raise CredentialError("oauth_certificate_file needs oauth_certificate_thumbprint "
                                  "(the certificate's SHA-1 thumbprint)")
        return {"private_key": pem, "thumbprint": client.oauth_certificate_thumbprint}
    name = client.oauth_client_secret_env
    secret = os.environ.get(name, "") if name else ""
    if not secret:
        raise CredentialError(f"no OAuth client secret: set the environment variable "
                              f"{name or '(oauth_client_secret_env)'} or use oauth_certificate_file")
    return secret


def client_credentials_token(client: OAuthClient, app_factory: Any = None) -> str:
    """An access token for Exchange Online; `app_factory` replaces msal.ConfidentialClientApplication."""
    if app_factory is None:
        import msal  # imported here: only OAuth deployments need it, and it is slow to import
        app_factory = msal.ConfidentialClientApplication
    credential = _client_credential(client)
    try:
        app = app_factory(client.oauth_client_id, client_credential=credential,
                          authority=OAUTH_AUTHORITY.format(tenant=client.oauth_tenant))
        result = app.acquire_token_for_client(scopes=[OAUTH_SCOPE])
    except ValueError as exc:   # msal raises ValueError for a bad authority, key or thumbprint
        secret = credential if isinstance(credential, str) else ""
        raise CredentialError(f"cannot request an OAuth token from tenant {client.oauth_tenant!r}: "
                              f"{scrub(str(exc), secret)}") from None
    token = result.get("access_token") if isinstance(result, dict) else None
    if not token:
        error = result.get("error", "no token") if isinstance(result, dict) else "no answer"
        described = isinstance(result, dict) and result.get("error_description")
        detail = str(result.get("error_description")).splitlines()[0] if described else ""
        raise CredentialError(f"Microsoft Entra ID refused a token for client {client.oauth_client_id!r} in "
                              f"tenant {client.oauth_tenant!r}: {error}" + (f" ({detail})" if detail else ""))
    return str(token)
