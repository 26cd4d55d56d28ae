"""The checks of a built configuration: each returns the problems it found (config/load.py reports them all)."""
from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.settings import (
    SECURITY,
    DigestSettings,
    MailboxSettings,
    ParsingSettings,
    ReminderSettings,
    SmtpSettings,
    WebSettings,
    WorkerSettings,
    is_loopback,
    valid_host,
)

MAX_RECIPIENTS_CEILING = 500
MAX_NOTICE_DAYS = 30           # reminders.notice_days_before: at most this many days before the due date
CPU_SECONDS = (0.1, 3600.0)       # parsing.cpu_seconds: a real mail parses in well under 0.1 s
MEMORY_MB = (64, 65536)           # parsing.memory_mb: a 68 MB mail needs ~300 MB
_DAY = r"(mon|tue|wed|thu|fri|sat|sun|[0-6])"
_PLAIN_DAYS = re.compile(rf"^{_DAY}(-{_DAY})?(,{_DAY}(-{_DAY})?)*$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def check_endpoint(obj: Any, prefix: str) -> list[str]:
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


def check_mailbox(mb: MailboxSettings, prefix: str, check_secrets: bool) -> list[str]:
    errors = _check_batches(mb, prefix)
    if mb.type == "maildir":
        return errors + ([] if mb.path else [f"{prefix}.path: a maildir mailbox needs the path of the Maildir"])
    if mb.type != "imap":
        return errors + [f"{prefix}.type: must be 'imap' or 'maildir', got {mb.type!r}"]
    errors += check_endpoint(mb, prefix)
    if not mb.folders:
        errors.append(f"{prefix}.folders: list at least one folder, e.g. [\"INBOX\"]")
    if not mb.username:
        errors.append(f"{prefix}.username: missing")
    return errors + _check_auth(mb, prefix, check_secrets)


def check_smtp(smtp: SmtpSettings) -> list[str]:
    errors = check_endpoint(smtp, "smtp")
    if smtp.auth not in ("none", "password", "xoauth2"):
        return errors + [f"smtp.auth: must be 'none', 'password' or 'xoauth2', got {smtp.auth!r}"]
    if smtp.auth == "xoauth2" and not (smtp.oauth_tenant and smtp.oauth_client_id and smtp.username
                                       and (smtp.oauth_client_secret_env or smtp.oauth_certificate_file)):
        return errors + ["smtp: xoauth2 needs username (the sending mailbox), oauth_tenant, oauth_client_id and "
                         "oauth_client_secret_env or oauth_certificate_file"]
    return errors


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


def _check_reminders(reminders: ReminderSettings) -> list[str]:
    errors = []
    if not 1 <= reminders.max_recipients <= MAX_RECIPIENTS_CEILING:
        errors.append(f"reminders.max_recipients: must be 1–{MAX_RECIPIENTS_CEILING} (addresses in To and Cc of one "
                      f"reminder, the secretariat's copies included), got {reminders.max_recipients}")
    if not 0 <= reminders.notice_days_before <= MAX_NOTICE_DAYS:
        errors.append(f"reminders.notice_days_before: must be 0–{MAX_NOTICE_DAYS} (days before the due date; "
                      f"0 = no notice), got {reminders.notice_days_before}")
    if reminders.window_end <= reminders.window_start:
        errors.append(f"reminders.window_end: must be later than window_start ({reminders.window_start:%H:%M}; "
                      f"the sending window is within one day), got {reminders.window_end:%H:%M}")
    return errors


def _check_worker(worker: WorkerSettings) -> list[str]:
    errors = [] if worker.poll_minutes > 0 else ["worker.poll_minutes: must be more than 0"]
    try:
        ZoneInfo(worker.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(f"worker.timezone: {worker.timezone!r} is not a time zone (e.g. \"Europe/Stockholm\")")
    return errors


def _check_parsing(parsing: ParsingSettings) -> list[str]:
    errors = []
    if not CPU_SECONDS[0] <= parsing.cpu_seconds <= CPU_SECONDS[1]:
        errors.append(f"parsing.cpu_seconds: must be {CPU_SECONDS[0]:g}..{CPU_SECONDS[1]:g} (CPU seconds per "
                      f"message), got {parsing.cpu_seconds:g}")
    if not MEMORY_MB[0] <= parsing.memory_mb <= MEMORY_MB[1]:
        errors.append(f"parsing.memory_mb: must be {MEMORY_MB[0]}..{MEMORY_MB[1]} (MB a parser process may grow "
                      f"by for one message), got {parsing.memory_mb}")
    return errors


def _check_web(web: WebSettings) -> list[str]:
    errors = []
    if web.base_url and not web.base_url.startswith(("https://", "http://")):
        errors.append(f"web.base_url: must start with https:// or http://, got {web.base_url!r}")
    if web.session_hours <= 0:
        errors.append("web.session_hours: must be more than 0")
    return errors


def check_sections(sections: dict[str, Any]) -> list[str]:
    """The problems of the optional tables as built (smtp and web.oidc are checked where they are read)."""
    log = sections["logging"]
    errors = _check_reminders(sections["reminders"]) + _check_worker(sections["worker"])
    errors += _check_schedule(sections["digest"]) + _check_parsing(sections["parsing"])
    if log.format not in ("text", "json"):
        errors.append(f"logging.format: must be 'text' or 'json', got {log.format!r}")
    if log.level.upper() not in LOG_LEVELS:
        errors.append(f"logging.level: must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {log.level!r}")
    return errors + _check_web(sections["web"])
