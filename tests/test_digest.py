"""The weekly digest: content, escaping, no personnummer, the chart, and the mail through a real SMTP server."""
from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from config.rules import Rules
from notify import digest as dg
from notify import service
from notify.smtp import SmtpSender
from store.db import Database
from store.models import Case, MailboxStatus, Message, RawBlob, Reminder
from tests.support.reminders import PNR, add_case, at, make_app, sink  # noqa: F401  (fixture)
from tests.support.servers.smtpsink import SmtpSink

pytestmark = pytest.mark.integration

AS_OF = date(2026, 3, 16)                                       # Monday; the week is 2026-03-09 … 03-15
XSS = "<script>alert('x')</script>"


def _message(db: Database, key: str, when: datetime, *, kind: str, case_id: str | None = None,
             subject: str = "", sender: str = "", problems: list[dict[str, str]] | None = None,
             flags: list[str] | None = None) -> None:
    data = key.encode()
    sha = hashlib.sha256(data).hexdigest()
    with db.session() as s:
        s.add(RawBlob(sha256=sha, size=len(data), data=data, stored_at=when))
        s.flush()
        case = s.scalars(select(Case).where(Case.case_id == case_id)).first() if case_id else None
        s.add(Message(message_id=f"{key}@test", message_id_header=f"<{key}@test>", raw_sha256=sha,
                      subject=subject, sender=sender, date=when, first_seen=when, kind=kind,
                      case_pk=case.id if case else None, problems=problems or [], flags=flags or []))


def seed(db: Database) -> None:
    add_case(db, 1, date(2026, 1, 5))                            # overdue (due 03-05)
    add_case(db, 2, date(2026, 1, 20), subject=f"Avvikelse {XSS}",  # due within 14 days (03-20)
             form={"event_type": f"Händelse {XSS}", "units_involved": [XSS]})
    add_case(db, 3, date(2026, 3, 10), subject=f"Ny avvikelse {PNR}",  # new this week, flagged
             form={"event_type": f"Barnet {PNR} fick ingen tid", "units_involved": ["BUP Söder"]},
             flags=("personal_identity_number",))
    add_case(db, 4, date(2026, 1, 3), responded=True)
    with db.session() as s:
        s.scalars(select(Case).where(Case.case_id == "BUS-2026-0002")).one().classification = {
            "principal_relation": "within", "reporter_org_type": XSS, "receiver_org_types": ["BUP"]}
        first = s.scalars(select(Case).where(Case.case_id == "BUS-2026-0001")).one()
        s.add(Reminder(case_pk=first.id, step="first", status="sent", due_on=date(2026, 3, 5),
                       message_id="<reminder.x@busavvik.invalid>", recipients=[], created_at=at(date(2026, 3, 5)),
                       sent_at=at(date(2026, 3, 5))))
        s.add(MailboxStatus(mailbox="storsthlm", last_error="AUTHENTICATE failed", last_error_code="auth_failed",
                            last_poll_at=at(date(2026, 3, 15))))
    _message(db, "ans4", at(date(2026, 3, 12)), kind="answer", case_id="BUS-2026-0004",
             subject=f"SV: Avvikelse {XSS}", sender="chef@vard.sll.se")
    _message(db, "other1", at(date(2026, 3, 11)), kind="other", subject=f"Fråga om {PNR}",
             sender="okand@example.se")
    _message(db, "bad1", at(date(2026, 3, 13)), kind="deviation", subject="Blankett",
             problems=[{"code": "attachment_unreadable", "detail": "x"},
                       {"code": "form_missing_required_fields", "detail": "description"}])
    _message(db, "old", at(date(2026, 2, 1)), kind="other", subject="Gammalt okopplat")


def test_digest_content_escaping_and_privacy(db: Database) -> None:
    seed(db)
    with db.session() as s:
        d = dg.collect(s, AS_OF)
    assert (d.start, d.end) == (date(2026, 3, 9), date(2026, 3, 15))
    assert [r.case_id for r in d.new] == ["BUS-2026-0003"]
    assert [r.case_id for r in d.answers] == ["BUS-2026-0004"]
    assert [(r.case_id, r.cells[0]) for r in d.overdue] == [("BUS-2026-0001", "11 dagar")]
    assert "påminnelse 1 2026-03-05" in d.overdue[0].cells[-1]
    assert [(r.case_id, r.cells[0]) for r in d.due_soon] == [("BUS-2026-0002", "4 dagar")]
    with db.session() as s:
        assert dg.collect(s, date(2026, 3, 19)).due_soon[0].cells[0] == "1 dag"      # singular
    what = " ".join(r.cells[0] for r in d.review)
    for needle in ("okopplat mejl", "bilagan gick inte att läsa", "saknar obligatoriska fält", "inloggningen nekades"):
        assert needle in what
    assert "Gammalt" not in " ".join(r.cells[-1] for r in d.review)
    assert d.review_older == 1  # the older unlinked mail is counted, not listed
    assert d.privacy == ["BUS-2026-0003"]
    assert d.year is not None
    assert (d.year.total, d.year.between, d.year.within, d.year.answered) == (4, 3, 1, 1)
    html = dg.render_html(d, dg.data_uri(dg.chart_png(d.year)))
    text = dg.render_text(d)
    assert "<script>" not in html and "&lt;script&gt;" in html
    for out in (html, text):
        assert "12-1212" not in out and "121212" not in out
        assert "Nya avvikelser" in out or "NYA AVVIKELSER" in out
        assert "BUS-2026-0003" in out and "25 %" in out
        assert "Dessutom 1 äldre okopplade mejl" in out
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"', html)


def test_digest_out_file_and_mail_through_smtp(db: Database, rules: Rules, sink: SmtpSink, tmp_path: Path) -> None:
    seed(db)
    app = make_app(db, rules, sink)
    target = tmp_path / "digest.html"
    result = service.send_digest(app, AS_OF, target, send=True,
                                    transport=SmtpSender(app.settings.smtp, backoff=0.01))
    assert result.sent_to == app.settings.digest.recipients
    page = target.read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "<script>" not in page
    [got] = sink.messages()
    msg = got.message()
    assert msg["Subject"].startswith("BUS-avvikelser: veckosammanfattning v. 11")
    assert msg["Auto-Submitted"] == "auto-generated"
    html = msg.get_body(("html",))
    plain = msg.get_body(("plain",))
    assert html is not None and plain is not None
    cid = re.search(r'src="cid:([^"]+)"', html.get_content()).group(1)  # type: ignore[union-attr]
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == f"<{cid}>"
    assert "12-1212" not in got.data.decode("utf-8", "replace")
    assert "ÅRET HITTILLS" in plain.get_content()


def test_empty_digest_renders(db: Database) -> None:
    with db.session() as s:
        d = dg.collect(s, date(2026, 1, 5))
    html = dg.render_html(d, "")
    assert "Inga nya avvikelser" in html and "Inget att granska" in html
