"""Typed settings from the TOML config file and the environment, validated at start.

Secrets never live in the config file: it names an environment variable or a secrets file instead.
Unknown keys, wrong types, bad hosts and missing secrets are reported with the key that is wrong.
"""
from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

from config.errors import ConfigError
from config.localzone import DEFAULT_ZONE, LocalTime

DEFAULT_DATABASE_URL = "sqlite:///busavvik.db"
SECURITY = ("ssl", "starttls", "none")
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_RE = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(_HOST_RE.match(host))


@dataclass(frozen=True)
class Secret:
    """A secret value that never shows itself in repr, str or logs."""
    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret(****)"

    __str__ = __repr__


@dataclass(frozen=True)
class MailboxSettings:
    name: str
    type: str = "imap"                       # "imap" | "maildir"
    host: str = ""
    port: int = 993
    security: str = "ssl"                    # "ssl" | "starttls" | "none" (none: loopback only)
    username: str = ""
    auth: str = "password"                   # "password" | "xoauth2"
    password_env: str = ""
    password_file: str = ""
    oauth_tenant: str = ""
    oauth_client_id: str = ""
    oauth_client_secret_env: str = ""
    oauth_certificate_file: str = ""
    oauth_certificate_thumbprint: str = ""
    ca_file: str = ""
    insecure_skip_verify: bool = False       # explicit and logged; refused unless set on purpose
    folders: tuple[str, ...] = ("INBOX",)
    since: date | None = None
    path: str = ""                           # Maildir root for type = "maildir"
    timeout: float = 60.0
    batch_size: int = 200
    batch_mb: float = 32.0                   # at most this much mail per batch (a bigger mail goes alone)

    def password(self) -> Secret | None:
        return _read_secret(self.password_env, self.password_file)

    def oauth_secret(self) -> Secret | None:
        return _read_secret(self.oauth_client_secret_env, "")


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    auth: str = "none"                       # "none" | "password" | "xoauth2"
    password_env: str = ""
    password_file: str = ""
    oauth_tenant: str = ""
    oauth_client_id: str = ""
    oauth_client_secret_env: str = ""
    oauth_certificate_file: str = ""
    oauth_certificate_thumbprint: str = ""
    ca_file: str = ""
    insecure_skip_verify: bool = False
    from_address: str = "BUS-avvikelser@storsthlm.se"
    timeout: float = 30.0
    retries: int = 3

    def password(self) -> Secret | None:
        return _read_secret(self.password_env, self.password_file)


@dataclass(frozen=True)
class ReminderSettings:
    enabled: bool = False
    start_date: date | None = None
    due_months: int = 2
    second_after_days: int = 14
    escalation_after_days: int = 30
    escalation_address: str = ""
    window_start: time = time(8, 0)
    window_end: time = time(16, 0)
    templates_dir: str = ""
    max_recipients: int = 20                 # To + Cc of one reminder; beyond it the case goes to review
    notice_days_before: int = 0              # a friendly notice this many days before the due date; 0 = none


@dataclass(frozen=True)
class DigestSettings:
    enabled: bool = False                    # the worker mails the weekly digest only when true (safe by default)
    recipients: tuple[str, ...] = ("BUS-avvikelser@storsthlm.se", "BUS-avvikelser.hsf@sll.se")
    day_of_week: str = "mon"
    hour: int = 7
    minute: int = 0
    templates_dir: str = ""


@dataclass(frozen=True)
class WorkerSettings:
    poll_minutes: float = 10.0                # fractions allowed (tests use a few seconds)
    timezone: str = DEFAULT_ZONE              # the local zone (config/localzone.py)
    lock_id: int = 7_320_201


@dataclass(frozen=True)
class ParsingSettings:
    """Each message is parsed in a parser process within this budget; beyond it the message is stored
    unparsed with the problem parse_timeout (CPU time) or too_complex (memory)."""
    cpu_seconds: float = 10.0                 # CPU time per message
    memory_mb: int = 1024                     # how far a parser process may grow (address space) per message


@dataclass(frozen=True)
class LoggingSettings:
    format: str = "text"                     # "text" | "json"
    level: str = "INFO"


ROLES = ("reader", "secretariat", "admin")       # as store/users.py (config may not import store)
DEFAULT_REDIRECT = "/login/sso/callback"


@dataclass(frozen=True)
class OidcSettings:
    issuer: str                                    # e.g. "https://login.microsoftonline.com/TENANT-ID/v2.0"
    client_id: str
    client_secret_env: str = ""
    client_secret_file: str = ""
    redirect_path: str = DEFAULT_REDIRECT
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    users: tuple[tuple[str, str], ...] = ()       # (e-mail/UPN in lower case, role)
    groups: tuple[tuple[str, str], ...] = ()      # (group object id in lower case, role)
    timeout: float = 10.0

    def client_secret(self) -> Secret | None:
        return _read_secret(self.client_secret_env, self.client_secret_file)

    def mapped_groups(self, groups: object) -> tuple[str, ...]:
        """Those of the token's groups that the config maps (lower case): all a session needs to keep."""
        known = {g for g, _ in self.groups}
        if not isinstance(groups, list):
            return ()
        return tuple(sorted({g.lower() for g in groups if isinstance(g, str) and g.lower() in known}))

    def role_for(self, user: str, groups: tuple[str, ...]) -> str | None:
        """The highest role the user's name or groups are given; None: no access."""
        found = [role for name, role in self.users if name == user.strip().lower()]
        found += [role for group, role in self.groups if group in {g.lower() for g in groups}]
        return max(found, key=ROLES.index) if found else None


@dataclass(frozen=True)
class WebSettings:
    base_url: str = ""                       # e.g. "https://busavvik.example.se": https makes cookies Secure
    secret_env: str = "BUSAVVIK_WEB_SECRET"  # the key that signs session cookies (else: a new one at each start)
    secret_file: str = ""
    session_hours: float = 10.0              # absolute end of a session
    session_idle_minutes: float = 60.0       # a session unused this long ends
    trusted_proxies: tuple[str, ...] = ()    # addresses whose X-Forwarded-For is believed (default: none)
    oidc: OidcSettings | None = None         # [web.oidc]: single sign-on (config/oidc.py reads it)


RETENTION_CLASSES = ("raw_mail", "free_text", "contacts", "own_mail", "other_mail", "access_log")
RETENTION_EVENTS = ("received", "case_closed", "report_adopted")


@dataclass(frozen=True)
class RetentionRule:
    """`[retention.MAILBOX]`: one owner's culling decision for what came through its mailbox (config/retention.py).
    A class without a period (None) is kept."""
    mailbox: str
    decision: str                            # the decision's reference (dnr)
    raw_mail_days: int | None = None         # raw mail and attachments
    free_text_days: int | None = None        # free text of forms and answers
    contacts_days: int | None = None         # names, addresses, phone numbers (pseudonymised to role and unit)
    own_mail_days: int | None = None         # busavvik's own mail seen in the box (reminders, digests)
    other_mail_days: int | None = None       # mail not about a deviation (newsletters, invitations)
    access_log_days: int | None = None       # who read what
    counted_from: str = "report_adopted"     # received | case_closed | report_adopted (see RETENTION_EVENTS)
    archive_law: bool = False                # a public body (arkivlagen): a person's erasure request is refused

    def days(self, cls: str) -> int | None:
        value = getattr(self, f"{cls}_days")
        return value if isinstance(value, int) else None


@dataclass(frozen=True)
class RetentionSettings:
    rules: tuple[RetentionRule, ...] = ()
    report_adopted: tuple[tuple[int, date], ...] = ()   # (year, the day its report was adopted)
    report_adopted_by: str = ""              # "MM-DD": for a year not listed, adopted by that day of the next year

    def rule(self, mailbox: str) -> RetentionRule | None:
        return next((r for r in self.rules if r.mailbox == mailbox), None)

    def adopted(self, year: int) -> date | None:
        """The day `year`'s report was adopted (None: not known, so nothing of that year may be culled)."""
        listed = dict(self.report_adopted)
        if year in listed:
            return listed[year]
        if self.report_adopted_by:
            month, day = (int(x) for x in self.report_adopted_by.split("-"))
            return date(year + 1, month, day)
        return None


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    rules_path: str = ""
    organisations_path: str = ""             # [rules] organisations: the organisation register (config/orgregister)
    history_path: str = ""                   # [rules] history: published figures of earlier years (config/history)
    mailboxes: tuple[MailboxSettings, ...] = ()
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    parsing: ParsingSettings = field(default_factory=ParsingSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    web: WebSettings = field(default_factory=WebSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)    # [retention.*]: config/retention.py
    source: str = "defaults"

    @property
    def local(self) -> LocalTime:
        """The local zone (worker.timezone) and today in it, to hand to what needs the local day."""
        return LocalTime.named(self.worker.timezone)


def _read_secret(env: str, path: str) -> Secret | None:
    if env and os.environ.get(env):
        return Secret(os.environ[env])
    if path:
        try:
            return Secret(Path(path).read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise ConfigError(f"cannot read secrets file {path}: {exc.strerror}") from None
    return None
