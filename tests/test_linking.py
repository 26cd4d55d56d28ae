"""Linking rules one by one: the order of DESIGN.md and the evidence each rule needs."""
from __future__ import annotations

from datetime import datetime, timezone

from config.rules import Rules
from ingest.types import RawMessage
from pipeline.batch import Pipeline
from store import export
from store.db import Database
from store.link_rules import Evidence, decide
from store.message_rows import now
from store.models import Case, Reminder
from tests.support.formbuilder import build_form
from tests.support.mailbuilder import SECRETARIAT, exchange_id, make_mail

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
VALUES = {"event_type": "Uteblivet SIP-möte", "units_involved": ["BUP Globen"], "description": "BUP kom inte",
          "reporter_unit": "Socialtjänsten Farsta", "reporter_email": "rep@farsta.se"}


def test_decide_takes_rules_in_order_and_the_nearest_candidate() -> None:
    assert decide(Evidence()) == (None, None)
    assert decide(Evidence(references=(1, 2), thread_index=(3,))) == (2, "references")
    assert decide(Evidence(thread_index=(3,), subject=(4,))) == (3, "thread_index")
    assert decide(Evidence(form_content=(5,), case_id=(6,), subject=(7,))) == (5, "form_content")
    assert decide(Evidence(subject=(7, 8))) == (8, "subject")


def _ingest(db: Database, rules: Rules, *mails: bytes) -> None:
    with Pipeline(db, rules) as pipeline:
        pipeline.ingest(RawMessage("storsthlm", "INBOX", m) for m in mails)


def _kinds(db: Database) -> dict[str, tuple[str, str | None, str | None]]:
    with db.session() as s:
        return {m["message_id"]: (m["kind"], m["link_rule"], m["case_id"]) for m in export.messages(s)}


def test_reply_to_our_reminder_case_id_in_subject_and_out_of_office(db: Database, rules: Rules) -> None:
    dev = exchange_id("dev")
    _ingest(db, rules, make_mail(subject="BUS-avvikelse", sender="rep@farsta.se", to=["chef@sll.se"],
                                 cc=list(SECRETARIAT), when=WHEN, message_id=dev,
                                 attachments=[("f.docx", build_form(VALUES))]))
    with db.session() as s:
        case = s.query(Case).one()
        case_id = case.case_id
        s.add(Reminder(case_pk=case.id, step="first", status="sent", due_on=case.response_due,
                       message_id=f"<reminder.{case_id}.first.ab12@busavvik.invalid>", recipients=[],
                       created_at=now()))
    reply = exchange_id("reply-to-reminder")
    by_id = exchange_id("case-id-in-subject")
    ooo = exchange_id("ooo")
    _ingest(db, rules,
            make_mail(subject="SV: Påminnelse", sender="chef@sll.se", to=[SECRETARIAT[0]],
                      when=WHEN.replace(month=5), message_id=reply,
                      in_reply_to=f"<reminder.{case_id}.first.ab12@busavvik.invalid>",
                      body="Vi har nu utrett händelsen och infört en ny rutin."),
            make_mail(subject=f"Angående {case_id}", sender="rep@farsta.se", to=[SECRETARIAT[0]],
                      when=WHEN.replace(month=6), message_id=by_id, body="Fortfarande inget svar."),
            make_mail(subject="Automatiskt svar: BUS-avvikelse", sender="chef@sll.se", to=["rep@farsta.se"],
                      when=WHEN.replace(hour=10), message_id=ooo, body="Jag är ledig.",
                      extra_headers={"Auto-Submitted": "auto-replied"}))
    kinds = _kinds(db)
    assert kinds[reply] == ("answer", "references", case_id)
    assert kinds[by_id] == ("follow_up", "case_id", case_id)
    assert kinds[ooo] == ("auto_reply", "subject", case_id)
    with db.session() as s:
        dev_row = export.deviations(s)[0]
    assert dev_row["responded"] and dev_row["response"]["description"].startswith("Vi har nu utrett")


def test_subject_alone_needs_a_participant(db: Database, rules: Rules) -> None:
    dev = exchange_id("dev2")
    stranger = exchange_id("stranger")
    _ingest(db, rules, make_mail(subject="BUS-avvikelse", sender="rep@farsta.se", to=["chef@sll.se"],
                                 cc=list(SECRETARIAT), when=WHEN, message_id=dev,
                                 attachments=[("f.docx", build_form(VALUES))]),
            make_mail(subject="SV: BUS-avvikelse", sender="someone@else.se", to=[SECRETARIAT[0]],
                      when=WHEN.replace(month=4), message_id=stranger, body="Hej"))
    assert _kinds(db)[stranger] == ("other", None, None)


def test_similar_forms_need_two_kinds_of_agreement() -> None:
    from parsers.form_record import form_from_dict
    from store.link_rules import similar_forms
    base = {"description": "BUP uteblev från SIP-mötet utan att meddela förhinder", "reporter_unit": "Soc Farsta",
            "reported_date": "2026-03-01", "event_type": "Uteblivet SIP-möte"}
    retyped = {**base, "description": "BUP uteblev från SIP-mötet utan att meddela förhinder i förväg"}
    other_case = {"description": base["description"], "reporter_unit": "BUP Globen", "reported_date": "2026-05-02",
                  "event_type": "Annat"}
    typed = form_from_dict
    assert similar_forms(typed(retyped), typed(base))
    assert not similar_forms(typed(other_case), typed(base))
    assert similar_forms(typed({**other_case, "reporter_unit": "Soc Farsta"}), typed(base))


def test_a_long_non_ascii_subject_is_stored_and_links_by_subject(db: Database, rules: Rules) -> None:
    """~6 kB of subject: more than a PostgreSQL btree entry may hold (the subject indexes are hash indexes
    there); the deviation must be parsed and opened, and the out-of-office reply found by its subject."""
    subject = "".join(chr(0x4E00 + (n * 7919) % 3000) for n in range(1990))
    dev, ooo = exchange_id("long-subject"), exchange_id("long-subject-ooo")
    _ingest(db, rules, make_mail(subject=subject, sender="rep@farsta.se", to=["chef@sll.se"],
                                 cc=list(SECRETARIAT), when=WHEN, message_id=dev,
                                 attachments=[("f.docx", build_form(VALUES))]))
    _ingest(db, rules, make_mail(subject=f"Automatiskt svar: {subject}", sender="chef@sll.se",
                                 to=["rep@farsta.se"], when=WHEN.replace(hour=10), message_id=ooo,
                                 body="Jag är ledig.", extra_headers={"Auto-Submitted": "auto-replied"}))
    kinds = _kinds(db)
    case_id = kinds[dev][2]
    assert kinds[dev][:2] == ("deviation", "new_deviation") and case_id
    assert kinds[ooo] == ("auto_reply", "subject", case_id)


def test_a_mail_with_an_overlong_message_id_is_stored_parsed(db: Database, rules: Rules) -> None:
    long_id = "".join(chr(0x4E00 + n % 3000) for n in range(900)) + "@solna.se"
    raw = (f"From: rep@farsta.se\r\nTo: chef@sll.se\r\nSubject: BUS-avvikelse\r\n"
           f"Message-ID: <{long_id}>\r\n\r\nHej\r\n").encode()
    _ingest(db, rules, raw)
    with db.session() as s:
        (row,) = export.messages(s)
    assert row["message_id"].endswith("@synthetic.busavvik.invalid>")
    assert "mail_bad_message_id" in str(row["problems"])


def test_a_mail_with_an_overlong_sender_is_stored_parsed(db: Database, rules: Rules) -> None:
    mid = exchange_id("long-sender")
    _ingest(db, rules, make_mail(subject="BUS-avvikelse", sender="a" * 400 + "@farsta.se", to=["chef@sll.se"],
                                 when=WHEN, message_id=mid, body="Hej"))
    with db.session() as s:
        (row,) = export.messages(s)
    assert row["message_id"] == mid and "mail_bad_address" in str(row["problems"])
