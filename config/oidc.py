"""`[web.oidc]`: optional single sign-on with Microsoft Entra ID (OpenID Connect, authorization code + PKCE).

Who may log in is written here: `[web.oidc.users]` maps a user's e-mail/UPN to a role, `[web.oidc.groups]` maps a
group's object id to a role. Anyone else is refused (no access by default). The client secret is never written in
the file: `client_secret_env` names an environment variable (or `client_secret_file` a file).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from config.errors import ConfigError
from config.settings import DEFAULT_REDIRECT, ROLES, OidcSettings, is_loopback

_KEYS = {"issuer", "client_id", "client_secret_env", "client_secret_file", "redirect_path", "scopes", "users",
         "groups", "timeout"}


def _url_ok(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and bool(parts.hostname) and is_loopback(parts.hostname or "")


def _mapping(value: Any, key: str, errors: list[str]) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        errors.append(f"{key}: expected a table of name = \"role\"")
        return ()
    out = []
    for name, role in value.items():
        if role not in ROLES:
            errors.append(f"{key}.{name}: role must be one of {', '.join(ROLES)}, got {role!r}")
        elif not name.strip():
            errors.append(f"{key}: an empty name")
        else:
            out.append((name.strip().lower(), role))
    return tuple(out)


def _text(data: dict[str, Any], key: str, default: str, errors: list[str]) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        errors.append(f"web.oidc.{key}: expected text, got {value!r}")
        return default
    return value.strip()


def _key_problems(data: dict[str, Any]) -> list[str]:
    found = []
    if "client_secret" in data:
        found.append("web.oidc.client_secret: secrets are not written in the config file; use client_secret_env "
                     "(an environment variable) or client_secret_file")
    unknown = sorted(set(data) - _KEYS - {"client_secret"})
    if unknown:
        found.append(f"web.oidc: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}")
    return found


def _scopes_timeout(data: dict[str, Any], found: list[str]) -> tuple[tuple[str, ...], float]:
    scopes = data.get("scopes", list(OidcSettings.scopes))
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes) or "openid" not in scopes:
        found.append(f"web.oidc.scopes: a list of scopes that includes \"openid\", got {scopes!r}")
        scopes = list(OidcSettings.scopes)
    timeout = data.get("timeout", 10.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 120:
        found.append(f"web.oidc.timeout: seconds, more than 0 and at most 120, got {timeout!r}")
        timeout = 10.0
    return tuple(scopes), float(timeout)


def _secret_problems(oidc: OidcSettings) -> list[str]:
    if not (oidc.client_secret_env or oidc.client_secret_file):
        return []
    try:
        if oidc.client_secret() is None:
            return [f"web.oidc: the client secret is missing: environment variable {oidc.client_secret_env} "
                    "is not set"]
    except ConfigError as exc:
        return [f"web.oidc: {exc}"]
    return []


def parse_oidc(data: Any, check_secrets: bool, errors: list[str]) -> OidcSettings | None:
    """The `[web.oidc]` table, validated; problems are appended to `errors` (then None)."""
    if not isinstance(data, dict):
        errors.append("web.oidc: expected a table")
        return None
    found = _key_problems(data)
    issuer = _text(data, "issuer", "", found).rstrip("/")
    client_id = _text(data, "client_id", "", found)
    if not _url_ok(issuer):
        found.append(f"web.oidc.issuer: must be an https:// URL (http:// only for a loopback host), e.g. "
                     f"\"https://login.microsoftonline.com/TENANT-ID/v2.0\", got {issuer!r}")
    if not client_id:
        found.append("web.oidc.client_id: missing (the application (client) id of the app registration)")
    redirect = _text(data, "redirect_path", DEFAULT_REDIRECT, found)
    if not redirect.startswith("/") or redirect.startswith("//") or any(c in redirect for c in "?#\\ "):
        found.append(f"web.oidc.redirect_path: must be a path like {DEFAULT_REDIRECT!r}, got {redirect!r}")
    scopes, timeout = _scopes_timeout(data, found)
    users = _mapping(data.get("users", {}), "web.oidc.users", found)
    groups = _mapping(data.get("groups", {}), "web.oidc.groups", found)
    if not users and not groups and "users" not in data and "groups" not in data:
        found.append("web.oidc: map at least one user ([web.oidc.users]) or group ([web.oidc.groups]) to a role; "
                     "nobody else may log in")
    oidc = OidcSettings(issuer, client_id, _text(data, "client_secret_env", "", found),
                        _text(data, "client_secret_file", "", found), redirect, scopes, users, groups, timeout)
    if check_secrets and not found:
        found += _secret_problems(oidc)
    errors += found
    return None if found else oidc
