"""Reading and validating the config file into `Settings`."""
from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import typing
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.errors import ConfigError
from config.oidc import parse_oidc
from config.settings import (
    SECURITY,
    DigestSettings,
    LoggingSettings,
    MailboxSettings,
    ParsingSettings,
    ReminderSettings,
    Settings,
    SmtpSettings,
    WebSettings,
    WorkerSettings,
    is_loopback,
    valid_host,
)

CONFIG_ENV = "BUSAVVIK_CONFIG"
DATABASE_ENV = "BUSAVVIK_DATABASE_URL"
RULES_ENV = "BUSAVVIK_RULES"
MAX_RECIPIENTS_CEILING = 500
MAX_NOTICE_DAYS = 30           # reminders.notice_days_before: at most this many days before the due date
_SECTIONS = {"smtp": SmtpSettings, "reminders": ReminderSettings, "digest": DigestSettings,
             "worker": WorkerSettings, "parsing": ParsingSettings, "logging": LoggingSettings,
             "web": WebSettings}
CPU_SECONDS = (0.1, 3600.0)       # parsing.cpu_seconds: a real mail parses in well under 0.1 s
MEMORY_MB = (64, 65536)           # parsing.memory_mb: a 68 MB mail needs ~300 MB


def _convert(value: Any, hint: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, __import__("types").UnionType) and type(None) in args:
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


def _check_endpoint(obj: Any, prefix: str) -> list[str]:
    errors = []
    if not valid_host(obj.host):
        errors.append(f"{prefix}.host: {obj.host!r} is not a valid host name or address")
    if obj.security not in SECURITY:
        errors.append(f"{prefix}.security: must be one of {', '.join(SECURITY)}, got {obj.security!r}")
    elif obj.security == "none" and valid_host(obj.host) and not is_loopback(obj.host):
        errors.append(f"{prefix}.security: 'none' (no TLS) is allowed only for a loopback host, not {obj.host!r}")
    if not 0 < obj.port < 65536:
        errors.append(f"{prefix}.port: {obj.port} is not a port number")
    return errors


def _check_batches(mb: MailboxSettings, prefix: str) -> list[str]:
    errors = []
    if not 1 <= mb.batch_size <= 5000:
        errors.append(f"{prefix}.batch_size: must be 1..5000 (UIDs per FETCH), got {mb.batch_size}")
    if not mb.batch_mb > 0:
        errors.append(f"{prefix}.batch_mb: must be more than 0 (MB of mail per batch), got {mb.batch_mb}")
    if mb.timeout <= 0:
        errors.append(f"{prefix}.timeout: must be more than 0 seconds, got {mb.timeout}")
    return errors


def _check_auth(mb: MailboxSettings, prefix: str, check_secrets: bool) -> list[str]:
    if mb.auth not in ("password", "xoauth2"):
        return [f"{prefix}.auth: must be 'password' or 'xoauth2', got {mb.auth!r}"]
    if mb.auth == "xoauth2":
        if mb.oauth_tenant and mb.oauth_client_id and (mb.oauth_client_secret_env or mb.oauth_certificate_file):
            return []
        return [f"{prefix}: xoauth2 needs oauth_tenant, oauth_client_id and "
                "oauth_client_secret_env or oauth_certificate_file"]
    if not (mb.password_env or mb.password_file):
        return [f"{prefix}: set password_env (an environment variable) or password_file; "
                "passwords are not written in the config file"]
    if check_secrets and mb.password() is None:
        return [f"{prefix}: the password is missing: environment variable {mb.password_env or '(none)'} is not set"]
    return []


_DAY = r"(mon|tue|wed|thu|fri|sat|sun|[0-6])"
_PLAIN_DAYS = re.compile(rf"^{_DAY}(-{_DAY})?(,{_DAY}(-{_DAY})?)*$")


def _check_schedule(digest: DigestSettings) -> list[str]:
    """The digest's cron fields; APScheduler (slow to import) is asked only about what is not plain."""
    plain = (isinstance(digest.hour, int) and 0 <= digest.hour <= 23 and isinstance(digest.minute, int)
             and 0 <= digest.minute <= 59 and bool(_PLAIN_DAYS.match(str(digest.day_of_week).lower())))
    if plain:
        return []
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger(day_of_week=digest.day_of_week, hour=digest.hour, minute=digest.minute)
    except (ValueError, TypeError) as exc:
        return [f"digest: day_of_week, hour and minute do not make a schedule ({exc}); "
                "e.g. day_of_week = \"mon\", hour = 7, minute = 0"]
    return []


def _check_smtp_auth(smtp: SmtpSettings) -> list[str]:
    if smtp.auth not in ("none", "password", "xoauth2"):
        return [f"smtp.auth: must be 'none', 'password' or 'xoauth2', got {smtp.auth!r}"]
    if smtp.auth == "xoauth2" and not (smtp.oauth_tenant and smtp.oauth_client_id and smtp.username
                                       and (smtp.oauth_client_secret_env or smtp.oauth_certificate_file)):
        return ["smtp: xoauth2 needs username (the sending mailbox), oauth_tenant, oauth_client_id and "
                "oauth_client_secret_env or oauth_certificate_file"]
    return []


def _check_mailbox(mb: MailboxSettings, prefix: str, check_secrets: bool) -> list[str]:
    errors = _check_batches(mb, prefix)
    if mb.type == "maildir":
        return errors + ([] if mb.path else [f"{prefix}.path: a maildir mailbox needs the path of the Maildir"])
    if mb.type != "imap":
        return errors + [f"{prefix}.type: must be 'imap' or 'maildir', got {mb.type!r}"]
    errors += _check_endpoint(mb, prefix)
    if not mb.folders:
        errors.append(f"{prefix}.folders: list at least one folder, e.g. [\"INBOX\"]")
    if not mb.username:
        errors.append(f"{prefix}.username: missing")
    return errors + _check_auth(mb, prefix, check_secrets)


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
    return mb, errors + _check_mailbox(mb, f"{prefix} ({mb.name})", check_secrets)


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


def _sections(data: dict[str, Any], errors: list[str], check_secrets: bool = False) -> dict[str, Any]:
    """Every optional table built (its defaults where it is wrong: the error is recorded)."""
    sections: dict[str, Any] = {}
    failed: set[str] = set()
    web_table = data.get("web", {})
    oidc = web_table.get("oidc") if isinstance(web_table, dict) else None
    for key, cls in _SECTIONS.items():
        table = data.get(key, {})
        try:
            sections[key] = _build(cls, {k: v for k, v in table.items() if k != "oidc"} if key == "web" and
                                   isinstance(table, dict) else table, key)
        except ConfigError as exc:
            errors.append(str(exc))
            sections[key], failed = cls(), failed | {key}
    worker, log = sections["worker"], sections["logging"]
    if not 1 <= sections["reminders"].max_recipients <= MAX_RECIPIENTS_CEILING:
        errors.append(f"reminders.max_recipients: must be 1–{MAX_RECIPIENTS_CEILING} (addresses in To and Cc of one "
                      f"reminder, the secretariat's copies included), got {sections['reminders'].max_recipients}")
    if not 0 <= sections["reminders"].notice_days_before <= MAX_NOTICE_DAYS:
        errors.append(f"reminders.notice_days_before: must be 0–{MAX_NOTICE_DAYS} (days before the due date; "
                      f"0 = no notice), got {sections['reminders'].notice_days_before}")
    if worker.poll_minutes <= 0:
        errors.append("worker.poll_minutes: must be more than 0")
    try:
        ZoneInfo(worker.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(f"worker.timezone: {worker.timezone!r} is not a time zone (e.g. \"Europe/Stockholm\")")
    errors += _check_schedule(sections["digest"])
    errors += _check_parsing(sections["parsing"])
    if log.format not in ("text", "json"):
        errors.append(f"logging.format: must be 'text' or 'json', got {log.format!r}")
    if log.level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        errors.append(f"logging.level: must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {log.level!r}")
    web = sections["web"]
    if web.base_url and not web.base_url.startswith(("https://", "http://")):
        errors.append(f"web.base_url: must start with https:// or http://, got {web.base_url!r}")
    if web.session_hours <= 0:
        errors.append("web.session_hours: must be more than 0")
    if oidc is not None and "web" not in failed:
        sections["web"] = dataclasses.replace(web, oidc=parse_oidc(oidc, check_secrets, errors))
    if "smtp" in data and "smtp" not in failed:
        errors += _check_endpoint(sections["smtp"], "smtp") + _check_smtp_auth(sections["smtp"])
    return sections


def _check_parsing(parsing: ParsingSettings) -> list[str]:
    errors = []
    if not CPU_SECONDS[0] <= parsing.cpu_seconds <= CPU_SECONDS[1]:
        errors.append(f"parsing.cpu_seconds: must be {CPU_SECONDS[0]:g}..{CPU_SECONDS[1]:g} (CPU seconds per "
                      f"message), got {parsing.cpu_seconds:g}")
    if not MEMORY_MB[0] <= parsing.memory_mb <= MEMORY_MB[1]:
        errors.append(f"parsing.memory_mb: must be {MEMORY_MB[0]}..{MEMORY_MB[1]} (MB a parser process may grow "
                      f"by for one message), got {parsing.memory_mb}")
    return errors


def parse_settings(data: dict[str, Any], source: str = "", check_secrets: bool = False) -> Settings:
    """Settings from a parsed TOML document; every problem found is reported at once (ConfigError)."""
    known = {"database", "rules", "mailboxes", *_SECTIONS}
    errors: list[str] = []
    unknown = sorted(set(data) - known)
    if unknown:
        errors.append(f"unknown table(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    db = data.get("database", {})
    rules = data.get("rules", {})
    for name, table, keys in (("database", db, {"url"}), ("rules", rules, {"path"})):
        if not isinstance(table, dict) or set(table) - keys:
            errors.append(f"{name}: unknown key(s); known: {', '.join(sorted(keys))}")
    sections = _sections(data, errors, check_secrets)
    mailboxes = _mailboxes(data.get("mailboxes", []), check_secrets, errors)
    if len(errors) == 1:
        raise ConfigError(errors[0])
    if errors:
        raise ConfigError(f"{len(errors)} problems:\n  " + "\n  ".join(errors))
    return Settings(database_url=str(db.get("url", Settings.database_url)), rules_path=str(rules.get("path", "")),
                    mailboxes=mailboxes, source=source, **sections)


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
