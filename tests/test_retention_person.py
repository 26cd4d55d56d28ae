"""Requests from people in the data (`busavvik person`) and the personnummer purge (`retention purge-pnr`)."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime, timezone

from sqlalchemy import select
from typer.testing import CliRunner

from busavvik.commands import person, retention
from config.rules import Rules
from ingest.types import RawMessage
from pipeline.batch import Pipeline
from store.db import Database
from store.models import Case, CullingRecord, Message, RawBlob
from store.retention_verify import database_file, search_file, vacuum
from tests.support.corpus import _form
from tests.support.formbuilder import build_form
from tests.support.mailbuilder import SECRETARIAT, exchange_id, make_mail
from tests.support.retention import HSF_BOX, SETTINGS, STORSTHLM_BOX, build_store, cli

REPORTER = "eva.d2024b@farsta.stockholm.se"           # reports d2024b, seen in hsf only
PNR = "811228-9874"


def test_register_extract(db: Database, rules: Rules) -> None:
    store = build_store(db, rules)
    app = cli(db, rules, person)
    result = CliRunner().invoke(app, ["person", REPORTER, "--format", "json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert [c["case_id"] for c in found["cases"]] == [store.case_ids["d2024b"]]
    assert "rapportör" in found["cases"][0]["roles"] and found["cases"][0]["owners"] == [HSF_BOX]
    assert {tuple(m["roles"])[0] for m in found["messages"]} == {"avsändare", "mottagare (Till)"}
    assert found["access_log"] == []        # the reporter has read nothing in the web pages
    text = CliRunner().invoke(app, ["person", "Eva D2024B"]).output      # by name: the form's contact person
    assert "Registerutdrag: Eva D2024B" in text and store.case_ids["d2024b"] in text


def test_erasure_refused_where_archive_law_keeps_it(db: Database, rules: Rules) -> None:
    store = build_store(db, rules)
    result = CliRunner().invoke(cli(db, rules, person), ["person", REPORTER, "--erase", "--as-of", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert "Pseudonymiserat: 0" in result.output
    assert f"{store.case_ids['d2024b']}: hsf är en myndighet: handlingen är allmän och arkivlagen gäller" \
        in result.output
    with db.session() as s:
        assert s.scalars(select(Case).where(Case.case_id == store.case_ids["d2024b"])).one().form.reporter_email \
            == REPORTER


def test_erasure_where_the_owner_allows_it(db: Database, rules: Rules) -> None:
    store = build_store(db, rules)
    no_archive = dataclasses.replace(SETTINGS, rules=tuple(
        dataclasses.replace(r, archive_law=False) for r in SETTINGS.rules))
    app = cli(db, rules, person, settings=no_archive)
    result = CliRunner().invoke(app, ["person", REPORTER, "--erase", "--as-of", "2026-06-01", "--who", "dpo"])
    assert result.exit_code == 0, result.output
    assert "Pseudonymiserat: 1" in result.output and "Nekat: 0" in result.output
    with db.session() as s:
        case = s.scalars(select(Case).where(Case.case_id == store.case_ids["d2024b"])).one()
        assert case.form.reporter_email is None
        assert case.form.reporter_contact_person == "kontaktperson, Farsta stadsdelsförvaltning, socialtjänsten"
        assert REPORTER not in case.reporters
        record = s.scalars(select(CullingRecord)).one()
        assert (record.kind, record.who) == ("erase", "dpo") and REPORTER not in json.dumps(record.items)
    again = json.loads(CliRunner().invoke(app, ["person", REPORTER, "--format", "json"]).output)
    assert again["cases"] == [] and again["messages"] == []
    # the other people of the store are untouched
    other = json.loads(CliRunner().invoke(app, ["person", "eva.d2024a@farsta.stockholm.se", "--format",
                                                "json"]).output)
    assert [c["owners"] for c in other["cases"]] == [[HSF_BOX, STORSTHLM_BOX]]


def _pnr_mail() -> bytes:
    values = _form("lisa.pnr@farsta.stockholm.se", "Farsta stadsdelsförvaltning, socialtjänsten", ["BUP Farsta"],
                   "Uteblivet deltagande vid SIP-möte", f"Barnet {PNR} uteblev", date(2025, 2, 3))
    return make_mail(subject="BUS-avvikelse", sender="lisa.pnr@farsta.stockholm.se", to=["per.pnr@sll.se"],
                     cc=list(SECRETARIAT), when=datetime(2025, 2, 3, 9, tzinfo=timezone.utc),
                     message_id=exchange_id("pnr"), body=f"Gäller barnet {PNR}.",
                     attachments=[("Avvikelseblankett BUS.docx", build_form(values))])


def test_purge_pnr(db: Database, rules: Rules) -> None:
    raw = _pnr_mail()
    with Pipeline(db, rules, workers=1) as pipeline:
        pipeline.ingest([RawMessage(HSF_BOX, "INBOX", raw), RawMessage(STORSTHLM_BOX, "INBOX", raw)])
    app = cli(db, rules, retention)
    result = CliRunner().invoke(app, ["retention", "purge-pnr", "--as-of", "2026-06-01", "--who", "sekretariatet"])
    assert result.exit_code == 0, result.output
    assert "1 meddelanden ersatta med rensade kopior" in result.output
    with db.session() as s:
        message = s.scalars(select(Message)).one()
        blob = s.get_one(RawBlob, message.raw_sha256)
        assert blob.sha256 == hashlib.sha256(raw).hexdigest()                  # the original's hash is the key
        assert PNR not in blob.data.decode() and "[personnummer]" in blob.data.decode()
        assert message.case is not None and PNR not in (message.case.form.description or "")
        record = s.scalars(select(CullingRecord)).one()
        assert record.kind == "purge_pnr" and record.items[0]["sha256"] == blob.sha256
        assert record.items[0]["redacted_sha256"] == hashlib.sha256(blob.data).hexdigest()
    assert "Inga lagrade meddelanden" in CliRunner().invoke(app, ["retention", "purge-pnr"]).output
    vacuum(db)
    path = database_file(db)
    if path is not None:
        assert search_file(path, PNR) == 0


def test_the_extract_lists_the_persons_reading_in_the_access_log(db: Database, rules: Rules) -> None:
    """Issue 25's access_log: what the person read is part of the register extract."""
    from store.models import AccessLog

    assert json.loads(CliRunner().invoke(cli(db, rules, person), ["person", "sara.berg", "--format", "json"])
                      .output)["access_log"] == []
    with db.session(write=True) as s:
        for who, target in (("sara.berg", "BUS-2025-0001"), ("per", "BUS-2025-0002"), ("sara.berg", "/granska")):
            s.add(AccessLog(at=datetime(2025, 3, 1, 8, tzinfo=timezone.utc), who=who, event="case", target=target,
                            address=""))
    found = json.loads(CliRunner().invoke(cli(db, rules, person), ["person", "sara.berg", "--format", "json"]).output)
    assert [r["target"] for r in found["access_log"]] == ["BUS-2025-0001", "/granska"]
    text = CliRunner().invoke(cli(db, rules, person), ["person", "sara.berg"]).output
    assert "Åtkomstlogg: 2" in text and "BUS-2025-0001" in text
