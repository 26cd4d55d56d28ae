"""The notify runs the worker schedules and the CLI starts: the reminders due now, and the weekly digest.

`run_reminders` plans and sends the reminders due at a moment (notify/policy.py → notify/outbox.py → SMTP);
`send_digest` builds the weekly digest (notify/digest.py) and writes and/or mails it. busavvik/jobs.py
schedules both; `busavvik remind` and `busavvik digest` (busavvik/commands/notify.py) print what they did.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from config.rules import Rules
from config.settings import Settings
from notify import digest as dg
from notify import outbox, review
from notify.policy import day_off_reason, in_window
from notify.smtp import SmtpSender, Transport
from store.db import Database

__all__ = ["DigestResult", "NoSmtpHost", "NotifyContext", "RemindSummary", "as_of_moment", "run_reminders",
           "send_digest", "transport_for"]


class NotifyContext(Protocol):
    """What a notify run needs (busavvik.context.AppContext has it): settings, rules and the store."""

    @property
    def settings(self) -> Settings: ...

    @property
    def rules(self) -> Rules: ...

    @property
    def db(self) -> Database: ...


class NoSmtpHost(Exception):
    """Nothing can be mailed: the configuration names no smtp.host."""


@dataclass
class RemindSummary:
    day: date
    skipped_reason: str | None = None          # why nothing was sent at all (disabled, holiday, window)
    recovered: dict[str, int] = field(default_factory=dict)
    planned: list[outbox.Planned] = field(default_factory=list)
    deliveries: list[outbox.Delivery] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)

    def not_delivered(self) -> list[str]:
        """Case ids of what was due in this run and did not go out (held for review included)."""
        return ([d.case_id for d in self.deliveries if d.status not in ("sent", "aborted")]
                + [p.case_id for p in self.planned if p.held and p.created])


def transport_for(app: NotifyContext) -> Transport:
    if not app.settings.smtp.host:
        raise NoSmtpHost("smtp.host saknas i konfigurationen")
    return SmtpSender(app.settings.smtp)


def attention(app: NotifyContext) -> list[str]:
    """Outbox rows that wait for a human (notify/review.py)."""
    return review.attention_lines(app.db)


def run_reminders(app: NotifyContext, now: datetime, respect_window: bool,
                  transport: Transport | None = None) -> RemindSummary:
    """Plan and send the reminders due at `now`: the scheduled job (respect_window=True) and `remind`."""
    s = app.settings
    day = s.local.day(now)
    summary = RemindSummary(day)
    if not s.reminders.enabled:
        summary.skipped_reason = "påminnelser är avstängda (reminders.enabled = false)"
    elif day_off_reason(day):
        summary.skipped_reason = f"{day.isoformat()} är ingen arbetsdag ({day_off_reason(day)})"
    elif respect_window and not in_window(now, s.reminders, s.local):
        summary.skipped_reason = (f"utanför sändningsfönstret {s.reminders.window_start:%H:%M}–"
                                  f"{s.reminders.window_end:%H:%M} ({s.local.name})")
    if summary.skipped_reason:
        return summary
    summary.recovered = outbox.recover(app.db, now)
    summary.planned = outbox.plan(app.db, day, now, s, app.rules)
    summary.deliveries = outbox.send_pending(app.db, transport or transport_for(app), now, s, app.rules)
    summary.attention = attention(app)
    return summary


def as_of_moment(day: date, app: NotifyContext) -> datetime:
    """`--as-of DAY` runs as if at the start of that day's sending window."""
    return app.settings.local.at(day, app.settings.reminders.window_start).astimezone(UTC)


@dataclass
class DigestResult:
    digest: dg.Digest
    out: Path | None
    sent_to: tuple[str, ...]


def send_digest(app: NotifyContext, as_of: date, out_path: Path | None = None, send: bool = True,
                transport: Transport | None = None) -> DigestResult:
    """Build the weekly digest as of `as_of`; write it to `out_path` (HTML, chart inline) and/or mail it."""
    with app.db.session() as session:
        digest = dg.collect(session, as_of, app.settings.local)
    if out_path is not None:
        src = dg.data_uri(dg.chart_png(digest.year)) if digest.year else ""
        out_path.write_text(dg.render_html(digest, src, app.settings.digest.templates_dir,
                                           app.settings.web.base_url), encoding="utf-8")
    sent_to: tuple[str, ...] = ()
    if send:
        msg = dg.build_mail(digest, app.settings, datetime.now(UTC), app.rules.message_id_domain)
        result = (transport or transport_for(app)).send(
            msg.as_bytes(), app.settings.smtp.from_address, list(app.settings.digest.recipients), lambda: True)
        if result.status != "accepted":
            raise RuntimeError(f"veckosammanfattningen kunde inte skickas: {result.status} {result.detail}")
        sent_to = tuple(app.settings.digest.recipients)
    return DigestResult(digest, out_path, sent_to)
