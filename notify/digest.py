"""The weekly digest for the secretariat: what happened last week and what needs attention.

`collect()` reads the store into frozen rows (every mail-derived string already redacted with
`parsers.safetext.shown_line`); `render_html()`/`render_text()` fill the Jinja2 templates (HTML autoescaped);
`build_mail()` makes a multipart/alternative mail with the chart as a CID image.

The week of a digest "as of" a day D is the seven days before D (D-7 … D-1, in worker.timezone), so the
Monday-morning run covers Monday–Sunday; overdue / due-soon are judged as of D.
"""
from __future__ import annotations

import base64
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.localzone import STOCKHOLM, LocalTime
from config.settings import Settings
from notify import swedish as sv
from notify.answer_rows import awaited_cell, needs_outcome_rows
from notify.attention import failing_mailboxes, mailbox_rows, set_aside_rows, unread_notices, unsent_digest_rows
from notify.message import template_env
from notify.rows import Row, clean
from store.bounces import bounced
from store.caseview import CaseView, views
from store.followup import overdue_pks
from store.models import Message, Reminder
from store.review import needs_review

PNR_FLAG = "personal_identity_number"
PROBLEM_LABELS = {
    "attachment_unreadable": "bilagan gick inte att läsa",
    "attachment_encrypted": "lösenordsskyddad bilaga",
    "attachment_legacy_doc": "gammalt Word-format (.doc)",
    "mail_encrypted": "krypterat mejl (S/MIME), kan inte läsas",
    "attachment_too_large": "för stor bilaga",
    "attachment_macro_enabled": "bilaga med makron",
    "form_missing_required_fields": "blanketten saknar obligatoriska fält",
    "form_bad_date": "oläsligt datum i blanketten",
    "date_implausible": "orimligt datum (före 1990 eller efter nästa år): ankomsttiden används",
    "mail_unparseable": "mejlet gick inte att tolka",
    "mail_malformed": "felaktigt formaterat mejl",
    "mail_no_message_id": "mejlet saknar Message-ID",
    "mail_bad_message_id": "mejlets Message-ID är orimligt långt",
    "mail_bad_address": "en orimligt lång e-postadress utelämnades",
    "mail_header_capped": "ett orimligt långt huvudfält lästes bara delvis",
    "internal_error": "internt fel vid inläsning",
    "answer_receiver_unknown": "svaret kunde inte knytas till en mottagare (busavvik case receiver … --answer)",
    "parse_timeout": "mejlet tog för lång tid att tolka: sparat otolkat (granska det, eller kör busavvik reparse)",
    "too_complex": "mejlet var för komplext att tolka: sparat otolkat (granska det, eller kör busavvik reparse)",
}
REMINDER_LABELS = {"unknown": "påminnelse kanske skickad (kontrollera)", "failed": "påminnelse misslyckades",
                   "held": "påminnelse stoppad – för många mottagare (granska)"}
STEP_LABELS = {"notice": "förvarning", "first": "påminnelse 1", "second": "påminnelse 2", "escalation": "eskalering"}
CASE_ID = re.compile(r"BUS-\d{4}-\d{4,}")
MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


@dataclass(frozen=True)
class YearSoFar:
    """The digest's "year so far": the annual report's headline counts up to a day (notify.report has the rest)."""
    year: int
    total: int
    between: int
    within: int
    unknown: int
    answered: int
    by_month: tuple[tuple[int, int], ...]     # (new, answered) per month so far

    @property
    def answered_share(self) -> str:
        return f"{round(100 * self.answered / self.total)} %" if self.total else "–"


@dataclass(frozen=True)
class Digest:
    as_of: date
    start: date
    end: date                                  # inclusive
    new: list[Row] = field(default_factory=list)
    answers: list[Row] = field(default_factory=list)
    needs_outcome: list[Row] = field(default_factory=list)   # answers whose outcome nobody has confirmed
    overdue: list[Row] = field(default_factory=list)
    due_soon: list[Row] = field(default_factory=list)
    review: list[Row] = field(default_factory=list)
    review_older: int = 0                      # unlinked mail of this year received before the week
    privacy: list[str] = field(default_factory=list)
    year: YearSoFar | None = None
    unread: list[str] = field(default_factory=list)    # mailboxes that could not be read: the week may be incomplete
    bounced: list[Row] = field(default_factory=list)   # receivers whose reminder bounced, address not yet replaced


def _bounds(day: date, zone: LocalTime = STOCKHOLM) -> datetime:
    return zone.at(day, time(0))


def _in_period(msg: Message, start: datetime, end: datetime) -> bool:
    moment = msg.first_seen if msg.date is None else msg.date
    return start <= moment < end


def _new_rows(cases: list[CaseView], start: datetime, end: datetime, zone: LocalTime = STOCKHOLM) -> list[Row]:
    out = []
    for c in sorted(cases, key=lambda c: c.first_received):
        if start <= c.first_received < end:
            cl = c.classification
            out.append(Row(c.case_id, zone.day(c.first_received).isoformat(), (
                clean(c.form.event_type), clean(cl.reporter_org_type or "?"),
                clean(", ".join(cl.receiver_org_types) or "?"))))
    return out


def _answer_rows(msgs: list[Message], cases: list[CaseView], start: datetime, end: datetime,
                 zone: LocalTime = STOCKHOLM) -> list[Row]:
    by_pk = {c.pk: c for c in cases}
    found = [m for m in msgs if m.kind == "answer" and _in_period(m, start, end)]
    return [Row(by_pk[m.case_pk].case_id if m.case_pk in by_pk else "?",
                zone.day(m.date or m.first_seen).isoformat(),
                (clean(m.sender), clean(m.subject), by_pk[m.case_pk].progress_text if m.case_pk in by_pk else ""))
            for m in sorted(found, key=lambda m: m.date or m.first_seen)]


def _open(c: CaseView) -> bool:
    return c.status != "closed" and c.waiting


def _overdue_rows(session: Session, cases: list[CaseView], as_of: date, zone: LocalTime = STOCKHOLM) -> list[Row]:
    sent: dict[int, list[str]] = {}
    for r in session.scalars(select(Reminder).where(Reminder.status == "sent").order_by(Reminder.id)):
        when = zone.day(r.sent_at).isoformat() if r.sent_at else ""
        sent.setdefault(r.case_pk, []).append(f"{STEP_LABELS.get(r.step, r.step)} {when}")
    pks = overdue_pks(session, as_of)          # as the overview, /arenden?status=overdue and `busavvik overdue`
    late = sorted((c for c in cases if c.pk in pks), key=lambda c: c.response_due)
    return [Row(c.case_id, c.response_due.isoformat(), (
        sv.count((as_of - c.response_due).days, "dag"), {"open": "öppet", "paused": "pausat"}.get(c.status, c.status),
        awaited_cell(c), ", ".join(sent.get(c.pk, [])) or "inga")) for c in late]


def _due_rows(cases: list[CaseView], as_of: date) -> list[Row]:
    soon = sorted((c for c in cases if _open(c) and as_of <= c.response_due <= as_of + timedelta(days=14)),
                  key=lambda c: c.response_due)
    return [Row(c.case_id, c.response_due.isoformat(),
                (sv.count((c.response_due - as_of).days, "dag"), awaited_cell(c))) for c in soon]


def _review_rows(session: Session, msgs: list[Message], ids: dict[int, str], start: datetime,
                 end: datetime, zone: LocalTime = STOCKHOLM) -> list[Row]:
    out = []
    for m in msgs:
        if not _in_period(m, start, end) or not needs_review(m):
            continue
        what = [PROBLEM_LABELS.get(p.get("code", ""), clean(p.get("code"))) for p in m.problems or []]
        if m.kind == "other":
            what.insert(0, "okopplat mejl")
        out.append(Row(ids.get(m.case_pk or 0, "–"), zone.day(m.date or m.first_seen).isoformat(),
                       ("; ".join(what), clean(m.sender), clean(m.subject))))
    out += mailbox_rows(failing_mailboxes(session), zone)
    out += set_aside_rows(session, zone)
    out += unsent_digest_rows(session, end, zone)
    for r in session.scalars(select(Reminder).where(Reminder.status.in_(("unknown", "failed", "held")))):
        label = REMINDER_LABELS[r.status]
        step = f"{label}: {STEP_LABELS.get(r.step, r.step)}"
        out.append(Row(ids.get(r.case_pk, "?"), r.due_on.isoformat(), (step, "", clean(r.last_error, 120))))
    return out


def _bounced_rows(session: Session, zone: LocalTime = STOCKHOLM) -> list[Row]:
    """Studsade påminnelser: as Granska lists them (store/bounces.py)."""
    return [Row(b.case_id, zone.day(b.bounced_at).isoformat() if b.bounced_at else "",
                (clean(b.email), clean(b.unit), clean(b.reason, 120))) for b in bounced(session)]


def _older_unlinked(msgs: list[Message], start: datetime) -> int:
    """Unlinked mail of the year that arrived before the week and is still waiting for a human."""
    return sum(1 for m in msgs if m.kind == "other" and m.case_pk is None
               and (m.date or m.first_seen) < start and (m.date or m.first_seen).year == start.year)


def _privacy(cases: list[CaseView], msgs: list[Message], ids: dict[int, str], year: int) -> list[str]:
    flagged = {c.case_id for c in cases if PNR_FLAG in c.flags and c.year == year}
    flagged |= {ids[m.case_pk] for m in msgs if m.case_pk in ids and PNR_FLAG in (m.flags or [])
                and (m.date or m.first_seen).year == year}
    return sorted(flagged)


def year_stats(cases: list[CaseView], as_of: date, zone: LocalTime = STOCKHOLM) -> YearSoFar:
    """The year so far as the annual report counts it: by receipt date, up to and including `as_of`."""
    these = [c for c in cases if zone.day(c.first_received).year == as_of.year
             and zone.day(c.first_received) <= as_of]
    rel = [c.classification.principal_relation for c in these]
    months = [[0, 0] for _ in range(as_of.month)]
    for c in these:
        months[zone.day(c.first_received).month - 1][0] += 1
        months[zone.day(c.first_received).month - 1][1] += int(c.responded)
    return YearSoFar(as_of.year, len(these), rel.count("between"), rel.count("within"),
                     len(rel) - rel.count("between") - rel.count("within"), sum(c.responded for c in these),
                     tuple((n, a) for n, a in months))


def collect(session: Session, as_of: date, zone: LocalTime = STOCKHOLM) -> Digest:
    start, end = _bounds(as_of - timedelta(days=7), zone), _bounds(as_of, zone)
    cases = views(session)
    msgs = list(session.scalars(select(Message).order_by(Message.id)))
    ids = {c.pk: c.case_id for c in cases}
    return Digest(as_of, as_of - timedelta(days=7), as_of - timedelta(days=1),
                  new=_new_rows(cases, start, end, zone), answers=_answer_rows(msgs, cases, start, end, zone),
                  needs_outcome=needs_outcome_rows(cases, as_of, zone),
                  overdue=_overdue_rows(session, cases, as_of, zone), due_soon=_due_rows(cases, as_of),
                  review=_review_rows(session, msgs, ids, start, end, zone), review_older=_older_unlinked(msgs, start),
                  privacy=_privacy(cases, msgs, ids, as_of.year), year=year_stats(cases, as_of, zone),
                  unread=unread_notices(failing_mailboxes(session), zone), bounced=_bounced_rows(session, zone))


def chart_png(stats: YearSoFar) -> bytes:
    """A small bar chart: new deviations and answered ones per month of the year so far."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(5.6, 2.2), dpi=100)
    xs = range(len(stats.by_month))
    ax.bar([x - 0.2 for x in xs], [n for n, _ in stats.by_month], width=0.4, label="Nya", color="#1f5fa8")
    ax.bar([x + 0.2 for x in xs], [a for _, a in stats.by_month], width=0.4, label="Besvarade", color="#6bb36b")
    ax.set_xticks(list(xs), [MONTHS[i] for i in xs])
    ax.set_title(f"Avvikelser {stats.year} per mottagningsmånad", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    ax.tick_params(labelsize=7)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _context(d: Digest, chart_src: str, base_url: str) -> dict[str, object]:
    """`base`: the web pages' address (settings web.base_url) without a trailing slash; "" for no links."""
    base = base_url.strip().rstrip("/") if base_url.strip().startswith(("https://", "http://")) else ""
    return {"d": d, "y": d.year, "chart_src": chart_src, "week": d.start.isocalendar().week, "base": base,
            "is_case": CASE_ID.fullmatch}


def render_html(d: Digest, chart_src: str, templates_dir: str = "", base_url: str = "") -> str:
    return template_env(templates_dir).get_template("digest.html.j2").render(_context(d, chart_src, base_url))


def render_text(d: Digest, templates_dir: str = "", base_url: str = "") -> str:
    return template_env(templates_dir).get_template("digest.txt.j2").render(_context(d, "", base_url))


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def subject(d: Digest) -> str:
    return f"BUS-avvikelser: veckosammanfattning v. {d.start.isocalendar().week} ({d.start} – {d.end})"


def build_mail(d: Digest, settings: Settings, now: datetime, domain: str) -> EmailMessage:
    """multipart/alternative: plain text, and HTML with the chart as a related CID image."""
    png = chart_png(d.year) if d.year else b""
    cid = make_msgid("chart", domain=domain)
    msg = EmailMessage(policy=SMTP)
    msg["From"] = settings.smtp.from_address
    msg["To"] = ", ".join(settings.digest.recipients)
    msg["Subject"] = subject(d)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = f"<digest.{d.start.isoformat()}.{secrets.token_hex(8)}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    msg["X-Busavvik"] = "digest"   # parsers/ownmail.py: a copy or bounce of it is our own mail
    base = settings.web.base_url
    msg.set_content(render_text(d, settings.digest.templates_dir, base), charset="utf-8")
    msg.add_alternative(render_html(d, f"cid:{cid[1:-1]}", settings.digest.templates_dir, base), subtype="html",
                        charset="utf-8")
    html_part = msg.get_body(("html",))
    if png and isinstance(html_part, EmailMessage):
        html_part.add_related(png, "image", "png", cid=cid, filename="diagram.png")
    return msg
