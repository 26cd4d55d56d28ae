"""What a reminder says and carries, through the real pipeline and a real SMTP server on loopback (aiosmtpd),
on SQLite and PostgreSQL: the subject names the case and the event, the body summarises sections 1–3 without
a personnummer, the stored form is attached, answers go to the reporting side and the secretariat; the
escalation speaks to its recipient; the friendly notice before the due date is off unless configured."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.load import parse_settings
from config.rules import Rules
from ingest.types import RawMessage
from pipeline.batch import Pipeline
from store.db import Database
from tests.support.formbuilder import SAMPLE_VALUES, build_form
from tests.support.mailbuilder import make_mail
from tests.support.reminders import PNR, RECEIVER, add_case, at, make_app, rows, run
from tests.support.servers.smtpsink import SmtpSink

pytestmark = pytest.mark.integration

SENDER = "eva.kontakt@bup.sll.se"
MANAGER = "olle.chef@bup.sll.se"
VALUES = {**SAMPLE_VALUES, "description": f"Barnet {PNR} fick ingen SIP\nBUP uteblev utan att meddela förhinder",
          "reported_date": date(2026, 1, 15), "reporter_unit": "BUP Söder", "reporter_email": SENDER,
          "reporter_manager_email": MANAGER, "units_involved": ["BUP Söder", "Socialtjänsten Farsta"]}
SUBJECT = "Påminnelse: BUS-avvikelse BUS-2026-0001 – Uteblivet deltagande vid SIP-möte"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[SmtpSink]:
    with SmtpSink(tmp_path / "sink") as server:
        yield server


def deviation(db: Database, rules: Rules) -> bytes:
    """A deviation mailed on 2026-01-16 (due 2026-03-16) with the form attached, read by the pipeline."""
    form = build_form(VALUES)
    mail = make_mail(subject="Avvikelse BUS – uteblivet SIP-möte", sender=f"Eva Kontakt <{SENDER}>",
                     to=[RECEIVER, rules.secretariat_addresses[0]], when=at(date(2026, 1, 16), 10),
                     attachments=[(f"Avvikelseblankett {PNR}.docx", form)])
    Pipeline(db, rules).ingest([RawMessage("storsthlm", "INBOX", mail, 1, 1)])
    return form


def body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")    # type: ignore[attr-defined]


def test_reminder_names_the_case_summarises_the_form_and_attaches_it(db: Database, rules: Rules,
                                                                     sink: SmtpSink) -> None:
    form = deviation(db, rules)
    app = make_app(db, rules, sink)
    run(app, at(date(2026, 3, 17)))                                         # a day after the due date
    [got] = sink.messages()
    msg = got.message()
    assert msg["Subject"] == SUBJECT
    text = body(msg)
    assert "Skickad:          2026-01-16 av BUP Söder" in text
    assert "Typ av händelse:  Uteblivet deltagande vid SIP-möte" in text
    assert "Berörda enheter:  BUP Söder, Socialtjänsten Farsta" in text
    assert "Barnet [personnummer] fick ingen SIP" in text and "BUP uteblev utan att meddela förhinder" in text
    assert f"Rapporterande chef: Olle Exempel <{MANAGER}>" in text
    assert "(1 dag sedan)" in text                                          # singular
    [att] = list(msg.iter_attachments())
    assert att.get_content() == form                                        # the stored .docx, byte for byte
    assert att.get_filename() == "Avvikelseblankett [personnummer].docx"
    assert "bifogad (Avvikelseblankett [personnummer].docx)" in text
    reply_to = [a.strip() for a in msg["Reply-To"].split(",")]
    assert reply_to == [SENDER, MANAGER, *rules.secretariat_addresses]
    assert f"den rapporterande verksamheten ({SENDER}, {MANAGER})\noch till sekretariatet" in text
    assert "Rapporterad:      2026-01-15" in text
    assert PNR not in text and "1212" not in str(msg["Subject"]) + msg["Reply-To"] + (att.get_filename() or "")
    assert sorted(got.recipients) == sorted([RECEIVER, *(a.lower() for a in rules.secretariat_addresses)])


def test_escalation_is_written_for_its_recipient(db: Database, rules: Rules, sink: SmtpSink) -> None:
    deviation(db, rules)
    app = make_app(db, rules, sink, escalation_address="styrgrupp@storsthlm.se")
    run(app, at(date(2026, 4, 15)))                                          # due + 30 days: the escalation
    [got] = sink.messages()
    msg = got.message()
    assert msg["To"] == "styrgrupp@storsthlm.se"
    assert msg["Subject"] == SUBJECT.replace("Påminnelse:", "Eskalering:")
    text = body(msg)
    assert "Du får detta mejl som kontaktperson för eskalering" in text
    assert f"skickades 2026-01-16 av BUP Söder\ntill {RECEIVER}" in text and "nu 30 dagar" in text
    assert "Vi ber dig se till att avvikelsen besvaras" in text
    assert len(list(msg.iter_attachments())) == 1


def test_notice_before_the_due_date_is_off_by_default(db: Database, rules: Rules, sink: SmtpSink) -> None:
    add_case(db, 1, date(2026, 1, 16))
    run(make_app(db, rules, sink), at(date(2026, 3, 9)))                     # a week before the due date
    assert sink.messages() == [] and rows(db) == []
    assert parse_settings({}).reminders.notice_days_before == 0


def test_notice_is_sent_when_enabled_and_the_reminder_still_follows(db: Database, rules: Rules,
                                                                   sink: SmtpSink) -> None:
    add_case(db, 1, date(2026, 1, 16), form={"event_type": "Uteblivet deltagande vid SIP-möte"})
    app = make_app(db, rules, sink, notice_days_before=7)
    for day in (date(2026, 3, 6), date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 16)):
        run(app, at(day))
    assert [(r.step, r.due_on) for r in rows(db)] == [("notice", date(2026, 3, 9)), ("first", date(2026, 3, 16))]
    notice, first = (m.message() for m in sink.messages())
    assert notice["Subject"] == SUBJECT.replace("Påminnelse:", "Snart sista svarsdag:")
    assert "Sista svarsdag för avvikelsen nedan är\n2026-03-16, om 7 dagar." in body(notice)
    assert first["Subject"] == SUBJECT


@pytest.mark.parametrize("bad", [-1, 31, "7"])
def test_notice_days_are_validated(bad: object) -> None:
    assert parse_settings({"reminders": {"notice_days_before": 3}}).reminders.notice_days_before == 3
    with pytest.raises(ConfigError, match="reminders.notice_days_before"):
        parse_settings({"reminders": {"notice_days_before": bad}})


def test_without_a_stored_form_the_reminder_says_where_the_form_is(db: Database, rules: Rules,
                                                                   sink: SmtpSink) -> None:
    add_case(db, 1, date(2026, 1, 16))                                      # its stored mail has no form
    run(make_app(db, rules, sink), at(date(2026, 3, 16)))
    [got] = sink.messages()
    msg = got.message()
    assert list(msg.iter_attachments()) == []
    assert "finns i det första mejlet om avvikelsen" in body(msg)
    assert msg["Subject"] == "Påminnelse: BUS-avvikelse BUS-2026-0001 – SIP-möte uteblev"
    assert msg["Reply-To"] == "rapportor@bup.sll.se, " + ", ".join(rules.secretariat_addresses)
