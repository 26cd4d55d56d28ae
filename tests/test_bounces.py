"""A bounced reminder is visible: a delivery report (NDR 5.1.1) of our reminder marks that receiver "studsade"
with the server's reason (case page, Granska, digest), and replacing its address sends the next reminder there."""
from __future__ import annotations

from datetime import date, datetime, timezone
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from config.rules import Rules
from ingest.types import RawMessage
from notify import digest as dg
from notify import service
from notify.smtp import SmtpSender
from parsers.bounce import read_bounce
from parsers.mail import parse_email
from pipeline.batch import Pipeline
from store.bounces import bounced, replace_address
from store.corrections import CorrectionError
from store.db import Database
from store.models import CaseReceiver, Correction, Reminder
from tests.support.bounces import DEAD, FIXTURES, PNR, dsn_of
from tests.support.formbuilder import SAMPLE_VALUES, build_form
from tests.support.mailbuilder import SECRETARIAT, exchange_id, make_mail
from tests.support.reminders import at, make_app, sink  # noqa: F401  (fixture)
from tests.support.servers.smtpsink import SmtpSink

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
NEW = "ny.chef@bup.regionstockholm.se"


def _ingest(db: Database, rules: Rules, *mails: bytes) -> None:
    with Pipeline(db, rules, workers=1) as pipeline:
        pipeline.ingest(RawMessage("storsthlm", "INBOX", m) for m in mails)


def test_a_dsn_names_the_failed_recipient_reason_and_original() -> None:
    data = dsn_of(b"From: BUS-avvikelser@storsthlm.se\nMessage-ID: <reminder.BUS-2026-0001.first.ab@storsthlm.se>\n"
                  b"Subject: x\n\nbody")
    found = read_bounce(message_from_bytes(data, policy=policy.compat32))
    assert found is not None
    assert found.original_id == "reminder.bus-2026-0001.first.ab@storsthlm.se"
    [failed] = found.failed
    assert (failed.email, failed.status) == (DEAD, "5.1.1")
    assert "User unknown" in failed.reason and PNR not in failed.reason and "[personnummer]" in failed.reason


def test_an_exchange_ndr_in_swedish_without_a_status_part() -> None:
    data = (FIXTURES / "ndr_exchange_sv.eml").read_bytes()
    found = read_bounce(message_from_bytes(data, policy=policy.compat32))
    assert found is not None and found.original_id == "reminder.bus-2026-0007.second.cd@storsthlm.se"
    assert [(f.email, f.status) for f in found.failed] == [("kurator@skola.stockholm.se", "5.1.1")]


def test_an_exchange_ndr_from_the_postmaster_is_own_mail_with_its_bounce(rules: Rules) -> None:
    parsed = parse_email((FIXTURES / "ndr_exchange_sv.eml").read_bytes(), rules)
    assert parsed.own and parsed.bounce is not None
    assert [f.email for f in parsed.bounce.failed] == ["kurator@skola.stockholm.se"]
    reply = make_mail(subject="SV: Påminnelse", sender="kurator@skola.stockholm.se", to=[SECRETARIAT[0]], when=WHEN,
                      in_reply_to="<reminder.BUS-2026-0007.second.cd@storsthlm.se>",
                      body="Det gick inte att leverera till följande mottagare tidigare, men här är vårt svar.")
    assert not parse_email(reply, rules).own, "a person's reply to a reminder is no bounce"


def test_a_plain_mail_is_no_bounce() -> None:
    data = make_mail(subject="Svar", sender="a@b.se", to=["c@d.se"], when=WHEN, body="Leveransen gick bra.")
    assert read_bounce(message_from_bytes(data, policy=policy.compat32)) is None


@pytest.mark.integration
def test_bounce_marks_the_receiver_and_a_new_address_gets_the_next_reminder(
        db: Database, rules: Rules, sink: SmtpSink) -> None:  # noqa: F811
    app = make_app(db, rules, sink)
    deviation = make_mail(subject="BUS-avvikelse", sender="eva.exempel@example.se", to=[DEAD],
                          cc=[SECRETARIAT[0]], when=WHEN, message_id=exchange_id("dev"),
                          attachments=[("avvikelse.docx", build_form(SAMPLE_VALUES))])
    _ingest(db, rules, deviation)
    transport = SmtpSender(app.settings.smtp, backoff=0.01)
    service.run_reminders(app, at(date(2026, 5, 4)), True, transport=transport)
    [reminder] = [m.data for m in sink.messages()]
    _ingest(db, rules, dsn_of(reminder))
    with db.session() as s:
        [row] = s.scalars(select(CaseReceiver))
        assert (row.email, row.state) == (DEAD, "bounced")
        assert row.bounce_reason and "5.1.1" in row.bounce_reason and PNR not in row.bounce_reason
        [listed] = bounced(s)
        assert listed.email == DEAD
        case_id = listed.case_id
        digest = dg.collect(s, date(2026, 5, 11))
    assert [b.cells[0] for b in digest.bounced] == [DEAD]
    text, html = dg.render_text(digest), dg.render_html(digest, "")
    assert "STUDSADE PÅMINNELSER (1)" in text and "User unknown" in text and PNR not in text
    assert "Studsade påminnelser (1)" in html and DEAD in html

    with db.session() as s:
        with pytest.raises(CorrectionError, match="ingen e-postadress"):
            replace_address(s, case_id, DEAD, "inte en adress", "sekr")
        replace_address(s, case_id, DEAD, NEW, "sekr")
    with db.session() as s:
        [row] = s.scalars(select(CaseReceiver))
        assert (row.email, row.state, row.bounce_reason) == (NEW, "awaited", None)
        [fix] = s.scalars(select(Correction).where(Correction.field == "receiver_address"))
        assert (fix.old_value, fix.new_value, fix.who) == (DEAD, NEW, "sekr")
        assert not bounced(s)
    service.run_reminders(app, at(date(2026, 5, 18)), True, transport=transport)
    with db.session() as s:
        second = s.scalars(select(Reminder).where(Reminder.step == "second")).one()
        assert second.status == "sent"
        assert NEW in second.recipients.addresses and DEAD not in second.recipients.addresses
    last = message_from_bytes(sink.messages()[-1].data, policy=policy.default)
    assert NEW in str(last["To"]) and DEAD not in str(last["To"])
