"""The reminder email: Swedish text from Jinja2 templates an admin can override, in the deviation's thread.

Every mail-derived string (subject, event type, units) goes through `parsers.safetext.shown_line` (redacted,
control characters made visible) before it reaches a template, so a personnummer typed into a form or subject
never leaves in a reminder.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import jinja2

from notify import swedish
from parsers.safetext import shown, shown_line
from parsers.types import FormData

TEMPLATES = Path(__file__).with_name("templates")
# Never fold/encode header values below the RFC 5322 limit: the stdlib would otherwise turn a long
# In-Reply-To/References (Exchange ids are ~70 characters) into RFC 2047 encoded words and break threading.
POLICY = SMTP.clone(max_line_length=998)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
WORD_TYPES = {".docm": "application/vnd.ms-word.document.macroEnabled.12", ".doc": "application/msword"}
SUMMARY_CHARS = 1500     # the description and proposed action are cut here; the whole form is attached


def template_env(override_dir: str = "") -> jinja2.Environment:
    """Templates from `override_dir` first (an admin's copies), then the shipped ones.

    Autoescaping is on for every template whose name contains ".html"; text templates are not escaped.
    """
    dirs = [override_dir] if override_dir else []
    loader = jinja2.FileSystemLoader([*dirs, str(TEMPLATES)])
    env = jinja2.Environment(loader=loader, autoescape=lambda name: bool(name) and ".html" in str(name),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["antal"] = swedish.count     # {{ n | antal("dag") }} -> "1 dag", "2 dagar"
    return env


@dataclass(frozen=True)
class ReminderMail:
    """Everything a reminder needs, taken from the store by the outbox."""
    case_id: str
    step: str
    message_id: str                       # ours, with angle brackets
    original_subject: str
    original_message_id: str | None       # the deviation's Message-ID header, with angle brackets
    received: date
    response_due: date
    days_late: int
    from_address: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    secretariat: tuple[str, ...]
    form: FormData = field(default_factory=FormData)
    reporters: tuple[str, ...] = ()          # the reporting side: Cc'd and in Reply-To, so answers reach them
    attachment: tuple[str, bytes] | None = None   # (file name, bytes) of the form the case was opened from
    days_left: int = 0                       # days until the due date (the notice before it)

    def reply_to(self) -> tuple[str, ...]:
        """Where a plain "Svara" goes: the reporting side and the secretariat."""
        return tuple(dict.fromkeys((*self.reporters, *self.secretariat)))

    def envelope_recipients(self) -> list[str]:
        return list(dict.fromkeys(a.lower() for a in (*self.to, *self.cc)))


def _clean(text: object) -> str:
    """Redacted, printable, single-line text from mail-derived input."""
    return shown_line(text)


def _block(text: object, limit: int = SUMMARY_CHARS) -> str:
    """Multi-line mail text for the body: redacted, printable, indented, cut at `limit` characters."""
    lines = [" ".join(line.split()) for line in shown(text).splitlines()]
    joined = "\n".join(line for line in lines if line)
    if len(joined) > limit:
        joined = joined[:limit].rstrip() + " […]"
    return "\n".join(f"    {line}" for line in joined.splitlines())


def summary(form: FormData) -> dict[str, str]:
    """Sections 1–3 of the form as the body shows them (every value redacted: never a personnummer)."""
    return {"reported_date": _clean(form.reported_date), "description": _block(form.description),
            "proposed_action": _block(form.proposed_action),
            "contact": _clean(form.reporter_contact_person),
            "manager": _clean(form.reporter_manager_name),
            "manager_email": _clean(form.reporter_manager_email)}


def receivers(mail: ReminderMail) -> tuple[str, ...]:
    """The receivers the reminder is about: its To, or for an escalation the receivers in its Cc."""
    if mail.step != "escalation":
        return mail.to
    others = {a.lower() for a in (*mail.secretariat, *mail.reporters)}
    return tuple(a for a in mail.cc if a.lower() not in others)


def attachment_name(mail: ReminderMail) -> str:
    """The attached form's file name as sent (redacted: a file name may carry a personnummer), or ""."""
    if not mail.attachment:
        return ""
    return _clean(mail.attachment[0]) or "avvikelseblankett.docx"


def context(mail: ReminderMail) -> dict[str, Any]:
    units = mail.form.units_involved
    return {
        "case_id": mail.case_id, "step": mail.step, "subject": _clean(mail.original_subject) or "(inget ämne)",
        "received": mail.received.isoformat(), "response_due": mail.response_due.isoformat(),
        "days_late": mail.days_late, "days_left": mail.days_left, "event_type": _clean(mail.form.event_type),
        "units_involved": [_clean(u) for u in units if u], "reporter_unit": _clean(mail.form.reporter_unit),
        "secretariat": list(mail.secretariat), "from_address": mail.from_address,
        "reporters": list(mail.reporters), "receivers": list(receivers(mail)), "summary": summary(mail.form),
        "attachment": attachment_name(mail),
    }


def render(mail: ReminderMail, templates_dir: str = "") -> tuple[str, str]:
    """(subject, body) in Swedish."""
    env = template_env(templates_dir)
    ctx = context(mail)
    subject = " ".join(env.get_template("reminder_subject.txt.j2").render(ctx).split())
    body = env.get_template("reminder.txt.j2").render(ctx)
    return subject, body


def build(mail: ReminderMail, now: datetime, templates_dir: str = "") -> EmailMessage:
    subject, body = render(mail, templates_dir)
    msg = EmailMessage(policy=POLICY)
    msg["From"] = mail.from_address
    msg["To"] = ", ".join(mail.to)
    if mail.cc:
        msg["Cc"] = ", ".join(mail.cc)
    msg["Subject"] = subject
    msg["Reply-To"] = ", ".join(mail.reply_to())
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = mail.message_id
    if mail.original_message_id:
        msg["In-Reply-To"] = mail.original_message_id
        msg["References"] = mail.original_message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    msg["X-Busavvik"] = "reminder"   # parsers/ownmail.py: a copy or bounce of it is our own mail
    msg.set_content(body, charset="utf-8", cte="quoted-printable")
    if mail.attachment:
        data = mail.attachment[1]
        name = attachment_name(mail)
        ctype = WORD_TYPES.get(Path(name).suffix.lower(), DOCX)
        msg.add_attachment(data, maintype="application", subtype=ctype.split("/", 1)[1], filename=name)
    return msg


def to_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=POLICY)
