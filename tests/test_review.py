"""Review can reach zero: an unlinked mail marked "not about a deviation" (and back), and a case opened by hand
from a mail whose form is a PDF; through the command line, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from email import message_from_bytes, policy
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from busavvik.cli import app as cli
from config.rules import Rules
from ingest.types import RawMessage
from pipeline.batch import Pipeline
from store.db import Database
from store.models import Correction
from tests.support.mailbuilder import SECRETARIAT, exchange_id, make_mail

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)        # a Monday; the digest of 2026-03-09 covers it
BUP, SKOLA = "anna.bup@regionstockholm.se", "rektor.exempelskolan@stockholm.se"
NEWSLETTER = exchange_id("review-newsletter")
PDF_MAIL = exchange_id("review-deviation-as-pdf")


def newsletter() -> bytes:
    return make_mail(subject="Nyhetsbrev mars", sender="info@kommunforbundet.se", to=[SECRETARIAT[0]],
                     when=WHEN, message_id=NEWSLETTER, body="Månadens nyheter om samverkan.")


def deviation_as_pdf() -> bytes:
    """A deviation whose form was printed, signed and scanned: a PDF, no Word form."""
    mail = message_from_bytes(make_mail(subject="BUS-avvikelse SIP-möte", sender="rep@farsta.se", to=[BUP, SKOLA],
                                        cc=list(SECRETARIAT), when=WHEN, message_id=PDF_MAIL,
                                        body="Hej,\nSe bifogad inskannad avvikelseblankett."), policy=policy.default)
    mail.add_attachment(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",
                        maintype="application", subtype="pdf", filename="avvikelse_inskannad.pdf")
    return bytes(mail)


def ingest(db: Database, rules: Rules, *mails: bytes) -> None:
    with Pipeline(db, rules) as pipeline:
        pipeline.ingest(RawMessage("storsthlm", "INBOX", m) for m in mails)


def run(db: Database, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"BUSAVVIK_DATABASE_URL": db.url, "BUSAVVIK_CONFIG": None,
                                                    "COLUMNS": "250"})


def review_ids(db: Database) -> list[str]:
    out = run(db, "problems", "--format", "json")
    assert out.exit_code == 0, out.output
    return [r["message_id"] for r in json.loads(out.stdout) if "message_id" in r]


def corrections(db: Database, field: str) -> list[Correction]:
    with db.session() as s:
        return list(s.scalars(select(Correction).where(Correction.field == field).order_by(Correction.id)))


def test_dismiss_hides_a_mail_from_review_and_undo_brings_it_back(db: Database, rules: Rules) -> None:
    ingest(db, rules, newsletter())
    assert NEWSLETTER in review_ids(db)
    assert "Nyhetsbrev mars" in run(db, "digest", "--as-of", "2026-03-09").stdout

    done = run(db, "review", "dismiss", NEWSLETTER, "--who", "Sara Sekreterare")
    assert done.exit_code == 0, done.output
    assert "ej avvikelse" in done.stdout
    assert review_ids(db) == []                                           # review reached zero
    digest = run(db, "digest", "--as-of", "2026-03-09").stdout
    assert "Nyhetsbrev mars" not in digest and "okopplat mejl" not in digest
    (mail,) = [m for m in json.loads(run(db, "export", "messages").stdout) if m["message_id"] == NEWSLETTER]
    assert mail["kind"] == "dismissed" and mail["case_id"] is None      # kept, not lost
    (row,) = corrections(db, "review")
    assert (row.old_value, row.new_value, row.who) == ("other", "dismissed", "Sara Sekreterare")
    assert row.message_pk is not None and row.at is not None

    again = run(db, "review", "dismiss", NEWSLETTER)
    assert again.exit_code == 0 and "redan" in again.stdout and len(corrections(db, "review")) == 1

    undone = run(db, "review", "dismiss", NEWSLETTER, "--undo", "--who", "Sara Sekreterare")
    assert undone.exit_code == 0, undone.output
    assert review_ids(db) == [NEWSLETTER]
    assert "Nyhetsbrev mars" in run(db, "digest", "--as-of", "2026-03-09").stdout
    assert [(c.old_value, c.new_value) for c in corrections(db, "review")] == [("other", "dismissed"),
                                                                               ("dismissed", "other")]


def _open(db: Database, message_id: str, *extra: str) -> Result:
    return run(db, "case", "open", message_id, "--event-type", "Uteblivet deltagande vid SIP-möte",
               "--description", "BUP och skolan kom inte till SIP-mötet", "--reported-date", "2026-02-27",
               "--unit", "BUP Globen", "--unit", "Exempelskolan", "--reporter-unit", "Socialtjänsten Farsta",
               "--reporter-email", "rep@farsta.se", "--who", "Sara Sekreterare", *extra)


def _case(db: Database) -> dict[str, Any]:
    (case,) = json.loads(run(db, "export", "deviations").stdout)
    return dict(case)


def test_a_case_opened_by_hand_from_a_pdf(db: Database, rules: Rules) -> None:
    ingest(db, rules, deviation_as_pdf())
    assert json.loads(run(db, "export", "deviations").stdout) == []      # no form: no case, listed for review
    assert PDF_MAIL in review_ids(db)

    opened = _open(db, PDF_MAIL, "--receiver-org-type", "BUP", "--receiver-org-type", "Skola")
    assert opened.exit_code == 0, opened.output
    assert "BUS-2026-0001" in opened.stdout
    case = _case(db)
    assert case["case_id"] == "BUS-2026-0001" and case["source_message_id"] == PDF_MAIL
    assert case["message_ids"] == [PDF_MAIL]
    assert case["event_type"] == "Uteblivet deltagande vid SIP-möte"
    assert case["description"] == "BUP och skolan kom inte till SIP-mötet"
    assert case["reported_date"] == "2026-02-27" and case["units_involved"] == ["BUP Globen", "Exempelskolan"]
    assert case["reporter"]["unit"] == "Socialtjänsten Farsta" and case["reporter"]["email"] == "rep@farsta.se"
    assert case["classification"]["receiver_org_types"] == ["BUP", "Skola"]
    assert case["classification"]["reporter_org_type"] == "Socialtjänst"
    assert case["receivers"] == [
        {"email": BUP, "unit": "BUP Globen", "answered": False, "answer_message_id": None},
        {"email": SKOLA, "unit": "Exempelskolan", "answered": False, "answer_message_id": None}]
    assert case["awaiting"] == [BUP, SKOLA] and case["response_due"] == "2026-05-02" and case["status"] == "open"
    assert review_ids(db) == []                                           # settled
    (row,) = corrections(db, "opened_by_hand")
    assert row.who == "Sara Sekreterare" and row.at is not None and row.case_pk is not None
    assert json.loads(row.new_value or "")["event_type"] == "Uteblivet deltagande vid SIP-möte"
    overdue = json.loads(run(db, "overdue", "--as-of", "2026-05-04", "--format", "json").stdout)
    assert [o["case_id"] for o in overdue] == ["BUS-2026-0001"]          # reminders plan for it as usual

    reply = make_mail(subject="SV: BUS-avvikelse SIP-möte", sender=BUP, to=["rep@farsta.se"], cc=list(SECRETARIAT),
                      when=WHEN.replace(day=9), message_id=exchange_id("review-bup-answers"), in_reply_to=PDF_MAIL,
                      references=[PDF_MAIL], body="Hej,\nVi har pratat med skolan och rett ut missförståndet.")
    ingest(db, rules, reply)                                              # an answer links as to any case
    case = _case(db)
    assert case["awaiting"] == [SKOLA] and case["responded"]
    assert case["answers"][0]["receiver_email"] == BUP

    again = _open(db, PDF_MAIL)                                           # already linked: refused
    assert again.exit_code == 1 and "BUS-2026-0001" in again.output
    assert len(json.loads(run(db, "export", "deviations").stdout)) == 1


def test_opening_by_hand_refuses_an_unknown_mail_a_bad_date_and_an_unknown_organisation(db: Database,
                                                                                          rules: Rules) -> None:
    ingest(db, rules, deviation_as_pdf())
    unknown = _open(db, "<finns-inte@example.se>")
    assert unknown.exit_code == 1 and "inget mejl med Message-ID" in unknown.output
    bad_date = run(db, "case", "open", PDF_MAIL, "--event-type", "X", "--description", "Y",
                   "--reported-date", "27/2 2026")
    assert bad_date.exit_code == 1 and "2026-03-01" in bad_date.output and "27/2 2026" in bad_date.output
    old_date = run(db, "case", "open", PDF_MAIL, "--event-type", "X", "--description", "Y",
                   "--reported-date", "1926-02-27")
    assert old_date.exit_code == 1 and "1990" in old_date.output
    bad_org = _open(db, PDF_MAIL, "--reporter-org-type", "Bageri")
    assert bad_org.exit_code == 1 and "Bageri" in bad_org.output and "BUP" in bad_org.output
    blank = run(db, "case", "open", PDF_MAIL, "--event-type", " ", "--description", "Y")
    assert blank.exit_code == 1 and "--event-type" in blank.output
    assert "Traceback" not in "".join(r.output for r in (unknown, bad_date, old_date, bad_org, blank))
    assert json.loads(run(db, "export", "deviations").stdout) == [] and corrections(db, "opened_by_hand") == []
    assert run(db, "review", "dismiss", "<finns-inte@example.se>").exit_code == 1


def test_a_linked_mail_cannot_be_dismissed_and_undo_needs_a_dismissal(db: Database, rules: Rules) -> None:
    ingest(db, rules, deviation_as_pdf(), newsletter())
    assert _open(db, PDF_MAIL).exit_code == 0
    linked = run(db, "review", "dismiss", PDF_MAIL)
    assert linked.exit_code == 1 and "hör redan till BUS-2026-0001" in linked.output
    not_dismissed = run(db, "review", "dismiss", NEWSLETTER, "--undo")
    assert not_dismissed.exit_code == 1 and "inte markerat" in not_dismissed.output
    assert corrections(db, "review") == []


def test_a_dismissed_mail_stays_dismissed_through_reparse(db: Database, rules: Rules) -> None:
    ingest(db, rules, newsletter(), deviation_as_pdf())
    assert run(db, "review", "dismiss", NEWSLETTER).exit_code == 0
    assert _open(db, PDF_MAIL).exit_code == 0
    out = run(db, "reparse")
    assert out.exit_code == 0, out.output
    assert review_ids(db) == []
    case = _case(db)
    assert case["event_type"] == "Uteblivet deltagande vid SIP-möte" and case["awaiting"] == [BUP, SKOLA]


@pytest.mark.parametrize("command", [("review", "--help"), ("case", "open", "--help"),
                                     ("review", "dismiss", "--help")])
def test_help_documents_the_commands(command: tuple[str, ...]) -> None:
    out = CliRunner().invoke(cli, list(command), env={"COLUMNS": "200"})
    assert out.exit_code == 0 and ("dismiss" in out.stdout or "--undo" in out.stdout or "--event-type" in out.stdout)


def test_a_case_opened_by_hand_from_an_unreadable_word_file_leaves_review(db: Database, rules: Rules) -> None:
    broken = make_mail(subject="Avvikelse", sender="rep@farsta.se", to=[BUP], cc=[SECRETARIAT[0]], when=WHEN,
                       message_id=exchange_id("review-broken-docx"),
                       attachments=[("avvikelse.docx", b"PK\x03\x04 trasig, avbruten nedladdning")])
    ingest(db, rules, broken)
    (listed,) = [r for r in json.loads(run(db, "problems", "--format", "json").stdout) if "message_id" in r]
    assert "attachment_unreadable" in listed["problems"]
    assert _open(db, exchange_id("review-broken-docx")).exit_code == 0
    assert review_ids(db) == []                      # the problem is settled by the case opened from it
    assert run(db, "reparse").exit_code == 0
    case = _case(db)
    assert case["description"] == "BUP och skolan kom inte till SIP-mötet" and case["awaiting"] == [BUP]
    assert review_ids(db) == []
