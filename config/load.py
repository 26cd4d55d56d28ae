"""Reading and validating the config file into `Settings` (the checks are in config/checks.py)."""
from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from datetime import date, time
from pathlib import Path
from typing import Any

from config.checks import check_mailbox, check_sections, check_smtp
from config.errors import ConfigError
from config.oidc import parse_oidc
from config.retention import parse_retention
from config.settings import (
    DigestSettings,
    LoggingSettings,
    MailboxSettings,
    ParsingSettings,
    ReminderSettings,
    Settings,
    SmtpSettings,
    WebSettings,
    WorkerSettings,
)

CONFIG_ENV = "BUSAVVIK_CONFIG"
DATABASE_ENV = "BUSAVVIK_DATABASE_URL"
RULES_ENV = "BUSAVVIK_RULES"
_SECTIONS = {"smtp": SmtpSettings, "reminders": ReminderSettings, "digest": DigestSettings,
             "worker": WorkerSettings, "parsing": ParsingSettings, "logging": LoggingSettings,
             "web": WebSettings}


def _convert(value: Any, hint: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        inner = [a for a in args if a is not type(None)][0]
        return None if value is None else _convert(value, inner, key)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is str and isinstance(value, str):
        return value
    if hint is date:
        return _date(value, key)
    if hint is time:
        return _time(value, key)
    if origin is tuple and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{key}: expected {getattr(hint, '__name__', hint)}, got {value!r}")


def _date(value: Any, key: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{key}: expected a date like 2026-01-01, got {value!r}") from None


def _time(value: Any, key: str) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{key}: expected a time like 08:00, got {value!r}") from None


def _build(cls: type, data: dict[str, Any], prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix}: expected a table")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{prefix}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
    return cls(**{k: _convert(v, hints[k], f"{prefix}.{k}") for k, v in data.items()})


def _mailbox(i: int, item: Any, check_secrets: bool, seen: set[str]) -> tuple[MailboxSettings | None, list[str]]:
    prefix = f"mailboxes[{i}]"
    if not isinstance(item, dict) or not item.get("name"):
        return None, [f"{prefix}.name: every mailbox needs a name"]
    for secret_key in ("password", "client_secret", "oauth_client_secret"):
        if secret_key in item:
            return None, [f"{prefix} ({item['name']}).{secret_key}: passwords are not written in the config "
                          "file; use password_env (an environment variable) or password_file"]
    try:
        mb = _build(MailboxSettings, item, f"{prefix} ({item['name']})")
    except ConfigError as exc:
        return None, [str(exc)]
    errors = [f"{prefix}.name: {mb.name!r} is used twice"] if mb.name in seen else []
    seen.add(mb.name)
    return mb, errors + check_mailbox(mb, f"{prefix} ({mb.name})", check_secrets)


def _mailboxes(items: Any, check_secrets: bool, errors: list[str]) -> tuple[MailboxSettings, ...]:
    if not isinstance(items, list):
        errors.append("mailboxes: expected [[mailboxes]] tables")
        return ()
    out: list[MailboxSettings] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        mb, found = _mailbox(i, item, check_secrets, seen)
        errors += found
        if mb is not None:
            out.append(mb)
    return tuple(out)


def _built(data: dict[str, Any], errors: list[str]) -> tuple[dict[str, Any], set[str]]:
    """Every optional table built (its defaults where it is wrong: the error is recorded), and those that failed."""
    sections: dict[str, Any] = {}
    failed: set[str] = set()
    for key, cls in _SECTIONS.items():
        table = data.get(key, {})
        if key == "web" and isinstance(table, dict):
            table = {k: v for k, v in table.items() if k != "oidc"}      # [web.oidc]: config/oidc.py
        try:
            sections[key] = _build(cls, table, key)
        except ConfigError as exc:
            errors.append(str(exc))
            sections[key], failed = cls(), failed | {key}
    return sections, failed


def _sections(data: dict[str, Any], errors: list[str], check_secrets: bool = False) -> dict[str, Any]:
    """The optional tables, built and checked; every problem is appended to `errors`."""
    sections, failed = _built(data, errors)
    errors += check_sections(sections)
    web_table = data.get("web", {})
    oidc = web_table.get("oidc") if isinstance(web_table, dict) else None
    if oidc is not None and "web" not in failed:
        sections["web"] = dataclasses.replace(sections["web"], oidc=parse_oidc(oidc, check_secrets, errors))
    if "smtp" in data and "smtp" not in failed:
        errors += check_smtp(sections["smtp"])
    return sections


def parse_settings(data: dict[str, Any], source: str = "", check_secrets: bool = False) -> Settings:
    """Settings from a parsed TOML document; every problem found is reported at once (ConfigError)."""
    known = {"database", "rules", "mailboxes", "retention", *_SECTIONS}
    errors: list[str] = []
    unknown = sorted(set(data) - known)
    if unknown:
        errors.append(f"unknown table(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    db = data.get("database", {})
    rules = data.get("rules", {})
    for name, table, keys in (("database", db, {"url"}), ("rules", rules, {"path", "organisations", "history"})):
        if not isinstance(table, dict) or set(table) - keys:
            errors.append(f"{name}: unknown key(s); known: {', '.join(sorted(keys))}")
    sections = _sections(data, errors, check_secrets)
    mailboxes = _mailboxes(data.get("mailboxes", []), check_secrets, errors)
    retention = parse_retention(data.get("retention", {}), tuple(m.name for m in mailboxes), errors)
    if len(errors) == 1:
        raise ConfigError(errors[0])
    if errors:
        raise ConfigError(f"{len(errors)} problems:\n  " + "\n  ".join(errors))
    return Settings(database_url=str(db.get("url", Settings.database_url)), rules_path=str(rules.get("path", "")),
                    organisations_path=str(rules.get("organisations", "")),
                    history_path=str(rules.get("history", "")),
                    mailboxes=mailboxes, retention=retention, source=source, **sections)


def load_settings(path: str | Path | None = None, check_secrets: bool = False) -> Settings:
    """Config from `path`, else $BUSAVVIK_CONFIG, else defaults; $BUSAVVIK_DATABASE_URL wins for the DB."""
    path = path or os.environ.get(CONFIG_ENV) or None
    data: dict[str, Any] = {}
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    try:
        settings = parse_settings(data, str(path or "defaults"), check_secrets)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}" if path else str(exc)) from None
    overrides: dict[str, Any] = {}
    if os.environ.get(DATABASE_ENV):
        overrides["database_url"] = os.environ[DATABASE_ENV]
    if os.environ.get(RULES_ENV):
        overrides["rules_path"] = os.environ[RULES_ENV]
    return dataclasses.replace(settings, **overrides) if overrides else settings
