"""Which Word documents are the BUS form, and mail whose form sits behind S/MIME or a Word Online package.

- An invoice template with one content control tagged "Description" is not the form: the mail stays a
  message with an attachment, no case, and later mail in its thread is not linked to one.
- Word Online names the main part word/document2.xml (found through _rels/.rels): the form is read.
- S/MIME: encrypted mail (enveloped-data, also an Outlook .msg) is kept with `mail_encrypted` and listed for
  review; signed mail (multipart/signed, or opaque signed-data) is read through to its form.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from config.rules import Rules
from ingest.files import open_source
from ingest.types import RawMessage
from parsers.form import parse_form
from parsers.mailform import parse_mail_and_form
from pipeline.batch import Pipeline
from store import export
from store.db import Database
from tests.support.formbuilder import SAMPLE_VALUES, _p, _run, build_form, document_xml, package, word_online
from tests.support.mailbuilder import SECRETARIAT, make_mail
from tests.support.shared_corpus import shared_dir
from tests.support.smimebuilder import content_entity, encrypted_mail, signed_mail

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SENDER = "eva.exempel@example.se"


def invoice_docx() -> bytes:
    """An invoice template (as docx4j's invoice.docx): one content control tagged "Description"."""
    control = ('<w:sdt><w:sdtPr><w:alias w:val="Description"/><w:tag w:val="Description"/></w:sdtPr>'
               f'<w:sdtContent>{_p(_run("apples"))}</w:sdtContent></w:sdt>')
    body = _p(_run("INVOICE", bold=True)) + _p(_run("Invoice number: 1041")) + control + _p(_run("Total: 12.50"))
    return package(document_xml(body))


def _ingest(db: Database, rules: Rules, *mails: bytes) -> None:
    Pipeline(db, rules).ingest([RawMessage("storsthlm", "INBOX", data, 1, uid) for uid, data in enumerate(mails, 1)])


def _stored(db: Database) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    with db.session() as s:
        return export.messages(s), export.deviations(s)


def test_invoice_with_a_description_control_is_not_the_form(db: Database, rules: Rules) -> None:
    assert parse_form(invoice_docx(), rules.form, "invoice.docx").form is None
    invoice = make_mail(subject="Faktura 1041", sender=SENDER, to=[SECRETARIAT[0]], when=WHEN,
                        attachments=[("invoice.docx", invoice_docx())], message_id="<invoice-1041@example.se>")
    reply = make_mail(subject="SV: Faktura 1041", sender="ekonomi@example.org", to=[SENDER], when=WHEN + timedelta(1),
                      in_reply_to="<invoice-1041@example.se>", references=["<invoice-1041@example.se>"],
                      message_id="<invoice-1041-reply@example.org>")
    _ingest(db, rules, invoice, reply)
    msgs, devs = _stored(db)
    assert devs == []
    assert sorted((m["kind"], m["case_id"]) for m in msgs) == [("other", None), ("other", None)]


def test_the_form_is_still_the_form(rules: Rules) -> None:
    form = parse_form(build_form(SAMPLE_VALUES), rules.form).form
    assert form is not None and form.has_report and form.event_type == SAMPLE_VALUES["event_type"]


def test_word_online_main_part_is_read(db: Database, rules: Rules) -> None:
    saved = word_online(build_form(SAMPLE_VALUES))
    result = parse_form(saved, rules.form, "Avvikelse.docx")
    assert [p.code for p in result.problems] == []
    assert result.form == parse_form(build_form(SAMPLE_VALUES), rules.form).form
    _ingest(db, rules, make_mail(subject="BUS-avvikelse", sender=SENDER, to=[SECRETARIAT[0]], when=WHEN,
                                 attachments=[("Avvikelse.docx", saved)]))
    msgs, devs = _stored(db)
    assert [m["kind"] for m in msgs] == ["deviation"] and len(devs) == 1


def _form_entity() -> bytes:
    return content_entity("Hej,\n\nSe bifogad avvikelse.\n", [("Avvikelse.docx", build_form(SAMPLE_VALUES))])


def test_encrypted_mail_is_kept_for_review(db: Database, rules: Rules) -> None:
    mail = encrypted_mail(_form_entity(), subject="BUS-avvikelse", sender=SENDER, to=SECRETARIAT[0], when=WHEN,
                          message_id="<encrypted-1@example.se>")
    parsed, form, problems = parse_mail_and_form(mail, rules)
    assert form is None and "mail_encrypted" in [p.code for p in (*parsed.problems, *problems)]
    _ingest(db, rules, mail)
    msgs, devs = _stored(db)
    assert devs == [] and [(m["kind"], m["problems"]) for m in msgs] == [("other", ["mail_encrypted"])]


def test_encrypted_outlook_items_are_kept_for_review(db: Database, rules: Rules) -> None:
    folder = shared_dir("realfiles") / "msg"
    names = ["outlookmsgparser__S_MIME_test_message_encrypted.msg",
             "outlookmsgparser__S_MIME_test_message_signed_encrypted.msg"]
    Pipeline(db, rules).ingest(m for path in names for m in open_source(folder / path, "msg").messages())
    msgs, devs = _stored(db)
    assert devs == [] and [m["problems"] for m in msgs] == [["mail_encrypted"], ["mail_encrypted"]]


def test_clear_signed_mail_is_read_through(db: Database, rules: Rules) -> None:
    mail = signed_mail(_form_entity(), subject="BUS-avvikelse", sender=SENDER, to=SECRETARIAT[0], when=WHEN,
                       message_id="<signed-clear@example.se>")
    _ingest(db, rules, mail)
    msgs, devs = _stored(db)
    assert [(m["kind"], m["problems"]) for m in msgs] == [("deviation", [])] and len(devs) == 1
    assert devs[0]["event_type"] == SAMPLE_VALUES["event_type"]


def test_opaque_signed_mail_is_read_through(db: Database, rules: Rules) -> None:
    mail = signed_mail(_form_entity(), opaque=True, subject="BUS-avvikelse", sender=SENDER, to=SECRETARIAT[0],
                       when=WHEN, message_id="<signed-opaque@example.se>")
    parsed, form, problems = parse_mail_and_form(mail, rules)
    assert form is not None and "Se bifogad avvikelse" in parsed.body_text and problems == ()
    _ingest(db, rules, mail)
    msgs, devs = _stored(db)
    assert [(m["kind"], m["problems"]) for m in msgs] == [("deviation", [])] and len(devs) == 1


def test_the_title_alone_makes_the_form_and_a_mention_does_not(rules: Rules) -> None:
    titled = package(document_xml(_p(_run("AVVIKELSEBLANKETT FÖR BUS-SAMVERKAN")) + _p(_run("Enhet: BUP"))))
    assert parse_form(titled, rules.form).form is not None
    mention = ("Protokoll: vi gick igenom den avvikelseblankett för BUS-samverkan som kom in i mars "
               "och beslutade att följa upp ärendet på nästa möte.")
    minutes = package(document_xml(_p(_run(mention)) + _p(_run("Datum: 2026-03-02"))))
    assert parse_form(minutes, rules.form).form is None
