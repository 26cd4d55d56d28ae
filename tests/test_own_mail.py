"""busavvik's own mail arriving in a mailbox: the reminder's copy to the secretariat, the weekly digest
and a bounce of a reminder are kept as kind `own`, unlinked, and never listed as needing review."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from config.rules import Rules, load_rules
from ingest.types import RawMessage
from notify import digest as dg
from notify import service
from notify.smtp import SmtpSender
from parsers.mail import parse_email
from parsers.ownmail import own_id
from pipeline.batch import Pipeline
from store.db import Database
from store.models import Message
from store.review import needs_review
from tests.support.formbuilder import SAMPLE_VALUES, build_form
from tests.support.mailbuilder import SECRETARIAT, exchange_id, make_mail
from tests.support.reminders import at, make_app, sink  # noqa: F401  (fixture)
from tests.support.servers.smtpsink import SmtpSink

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _ingest(db: Database, rules: Rules, *mails: bytes) -> None:
    with Pipeline(db, rules, workers=1) as pipeline:
        pipeline.ingest(RawMessage("storsthlm", "INBOX", m) for m in mails)


def _bounce_of(original: bytes) -> bytes:
    """A delivery report (RFC 3464) returning the headers of `original`, as a mail server writes it."""
    headers = original.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    return b"""From: MAILER-DAEMON@mx.storsthlm.se
To: BUS-avvikelser@storsthlm.se
Subject: Undelivered Mail Returned to Sender
Date: Mon, 04 May 2026 09:05:00 +0200
Message-ID: <20260504070500.ABC123@mx.storsthlm.se>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Ditt meddelande kunde inte levereras till chef@bup.sll.se.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.storsthlm.se

Final-Recipient: rfc822; chef@bup.sll.se
Action: failed
Status: 5.1.1

--b1
Content-Type: text/rfc822-headers

""" + headers + b"""

--b1--
"""


@pytest.mark.integration
def test_reminder_copy_digest_and_bounce_are_own_mail(db: Database, rules: Rules, sink: SmtpSink,  # noqa: F811
                                                      tmp_path: Path) -> None:
    app = make_app(db, rules, sink)
    deviation = make_mail(subject="BUS-avvikelse", sender="eva.exempel@example.se", to=["chef@bup.sll.se"],
                          cc=[SECRETARIAT[0]], when=WHEN, message_id=exchange_id("dev"),
                          attachments=[("avvikelse.docx", build_form(SAMPLE_VALUES))])
    _ingest(db, rules, deviation)
    transport = SmtpSender(app.settings.smtp, backoff=0.01)
    service.run_reminders(app, at(date(2026, 5, 4)), True, transport=transport)
    service.send_digest(app, date(2026, 5, 4), transport=transport)
    sent = [m.data for m in sink.messages()]
    assert len(sent) == 2, "one reminder and one digest"
    reminder = next(d for d in sent if b"Message-ID: <reminder." in d)
    _ingest(db, rules, *sent, _bounce_of(reminder))
    with db.session() as s:
        mine = [m for m in s.scalars(select(Message)) if m.sender != "eva.exempel@example.se"]
        assert len(mine) == 3
        assert {(m.kind, m.case_pk, m.link_rule) for m in mine} == {("own", None, None)}
        assert not [m for m in s.scalars(select(Message)) if needs_review(m)]
        digest = dg.collect(s, date(2026, 5, 11))
    assert not digest.review, digest.review


def test_human_mail_from_the_secretariat_is_not_own(rules: Rules) -> None:
    note = make_mail(subject="Fråga om avvikelse", sender=SECRETARIAT[0], to=["chef@bup.sll.se"], when=WHEN,
                     message_id="<AM0PR04MB1234.storsthlm.se@storsthlm.se>")
    reply = make_mail(subject="SV: Påminnelse", sender="chef@bup.sll.se", to=[SECRETARIAT[0]], when=WHEN,
                      in_reply_to="<reminder.BUS-2026-0001.first.ab12@storsthlm.se>")
    ooo = make_mail(subject="Automatiskt svar: Påminnelse", sender="chef@bup.sll.se", to=[SECRETARIAT[0]],
                    when=WHEN, in_reply_to="<reminder.BUS-2026-0001.first.ab12@storsthlm.se>",
                    extra_headers={"Auto-Submitted": "auto-replied"})
    assert not any(parse_email(m, rules).own for m in (note, reply, ooo))
    legacy = make_mail(subject="Påminnelse", sender=SECRETARIAT[0], to=["chef@bup.sll.se"], when=WHEN,
                       message_id="<reminder.BUS-2025-0001.first.ab12@busavvik.invalid>")
    assert parse_email(legacy, rules).own


def test_message_id_domain_defaults_to_the_from_address() -> None:
    shipped = load_rules()
    assert shipped.own_message_id_domain == ""
    assert shipped.message_id_domain == "storsthlm.se"
    assert shipped.with_sender("BUS-noreply@Region.example").message_id_domain == "region.example"
    admin = Path(__file__).with_name("_own_domain_rules.toml")
    admin.write_text('[secretariat]\nown_message_id_domain = "bus.example"\n', encoding="utf-8")
    try:
        assert load_rules(admin).with_sender("a@other.example").message_id_domain == "bus.example"
    finally:
        admin.unlink()


def test_the_reminder_and_digest_ids_are_recognised(rules: Rules) -> None:
    assert own_id(f"<reminder.BUS-2026-0001.first.ab12@{rules.message_id_domain}>", rules)
    assert own_id(f"<digest.2026-05-04.ab12@{rules.message_id_domain}>", rules)
    assert not own_id(f"<AM0PR04MB1234@{rules.message_id_domain}>", rules)
    assert not own_id("<abc@synthetic.busavvik.invalid>", rules)
