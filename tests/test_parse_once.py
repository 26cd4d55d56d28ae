"""Parse once, inside the budget (issue 23): after the pipeline stored a mail, nothing in this process parses its
bytes again.  Relinking parses them in the parser pool; a link or unlink by hand reads the stored fields; a
reminder attaches the Word document kept when the deviation was first parsed.  Mail stored before the document
was kept (migration 0017) gets it filled in through the pool.  On SQLite and PostgreSQL."""
from __future__ import annotations

import email.parser
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from config.rules import Rules
from ingest.types import RawMessage
from notify.reminder_source import original_form
from pipeline.batch import Pipeline
from pipeline.facts import fill_in
from store import corrections, form_files
from store.caseview import view_of
from store.db import Database
from store.models import Case, FormFile, Message
from tests.support.formbuilder import build_form
from tests.support.mailbuilder import SECRETARIAT, exchange_id, make_mail

VALUES = {"event_type": "Uteblivet SIP-möte", "units_involved": ["BUP Globen"], "description": "BUP kom inte",
          "reporter_unit": "Socialtjänsten Farsta", "reporter_email": "rep@farsta.se"}
DEV, ANSWER = exchange_id("once-deviation"), exchange_id("once-answer")


def _deviation() -> tuple[bytes, bytes]:
    form = build_form(VALUES)
    return form, make_mail(subject="BUS-avvikelse: uteblivet SIP-möte", sender="rep@farsta.se",
                           to=["chef@sll.se"], cc=list(SECRETARIAT), message_id=DEV,
                           when=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), attachments=[("Blankett BUP.docx", form)])


def _answer() -> bytes:
    return make_mail(subject="SV: BUS-avvikelse: uteblivet SIP-möte", sender="chef@sll.se", to=["rep@farsta.se"],
                     cc=list(SECRETARIAT), message_id=ANSWER, when=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
                     body="Vi har infört en ny rutin för kallelser.")


class ParsedHere(BaseException):
    """A BaseException: the mail parsers catch every Exception (a mail never makes them raise)."""


@pytest.fixture
def no_parse_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any parse of mail bytes in this process fails the test: every parse of the mail parsers reads the bytes
    with the standard library's BytesParser (the parser processes are other processes, with their own)."""
    def refuse(*_args: object, **_kw: object) -> None:
        raise ParsedHere("mail bytes parsed outside the parser pool")
    monkeypatch.setattr(email.parser.BytesParser, "parsebytes", refuse)


def _ingest(db: Database, rules: Rules, *mails: bytes) -> None:
    with Pipeline(db, rules) as pipeline:
        for uid, mail in enumerate(mails, 1):    # one batch each: the answer is stored before its deviation
            pipeline.ingest([RawMessage("storsthlm", "INBOX", mail, 1, uid)])


def test_the_deviation_keeps_its_word_document_and_the_reminder_attaches_it_unparsed(
        db: Database, rules: Rules, no_parse_here: None) -> None:
    form, mail = _deviation()
    _ingest(db, rules, mail)
    with db.session() as s:
        case = s.scalars(select(Case)).one()
        source = s.get(Message, case.source_message_id)
        assert source is not None and source.form_filename == "Blankett BUP.docx"
        assert form_files.stored(s, source) == ("Blankett BUP.docx", form)
        assert original_form(s, view_of(s, case.id), rules) == ("Blankett BUP.docx", form)


def test_relinking_parses_in_the_pool_and_linking_by_hand_reads_stored_fields(
        db: Database, rules: Rules, no_parse_here: None) -> None:
    _form, mail = _deviation()
    _ingest(db, rules, _answer(), mail)           # the answer first: stored unlinked, linked when the case opens
    with db.session() as s:
        answer = s.scalars(select(Message).where(Message.message_id_header == ANSWER)).one()
        case_id = s.scalars(select(Case.case_id)).one()
        assert (answer.kind, answer.case is not None) == ("answer", True)
        assert [a.description for a in answer.case.answer_rows] == ["Vi har infört en ny rutin för kallelser."]
    with db.session() as s:
        corrections.unlink(s, ANSWER, "test", rules)
    with db.session() as s:
        assert s.scalars(select(Case.responded)).one() is False
        assert corrections.link(s, ANSWER, case_id, "test", rules) == "answer"
    with db.session() as s:
        case = s.scalars(select(Case)).one()
        assert case.responded
        assert [a.description for a in case.answer_rows] == ["Vi har infört en ny rutin för kallelser."]


def test_a_deviation_stored_before_the_document_was_kept_gets_it_through_the_pool(
        db: Database, rules: Rules, no_parse_here: None) -> None:
    form, mail = _deviation()
    _ingest(db, rules, mail)
    with db.session() as s:                       # as migration 0017 leaves a row stored before it
        source = s.scalars(select(Message).where(Message.kind == "deviation")).one()
        source.form_filename, source.form_file_sha256 = None, None
        s.delete(s.scalars(select(FormFile)).one())
    with db.session() as s:
        assert original_form(s, view_of(s, s.scalars(select(Case.id)).one()), rules) is None
    assert fill_in(db, rules) == 1
    assert fill_in(db, rules) == 0                # found once: never looked for again
    with db.session() as s:
        assert original_form(s, view_of(s, s.scalars(select(Case.id)).one()), rules) == ("Blankett BUP.docx", form)
