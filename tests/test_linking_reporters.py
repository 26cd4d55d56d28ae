"""A new report is its own deviation unless thread evidence links it: two colleagues reporting the same
meeting (same event, text and date, another contact person) are two cases; the same form sent again is
the same case.  Both through the batch linker and through the per-message queries."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from config.rules import Rules
from ingest.types import RawMessage
from parsers.form_record import form_from_dict
from pipeline.batch import Pipeline
from store.db import Database
from store.link_rules import same_reporter
from store.models import Case, Message
from tests.support.formbuilder import SAMPLE_VALUES, build_form
from tests.support.mailbuilder import SECRETARIAT, exchange_id, make_mail

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
COLLEAGUE = {**SAMPLE_VALUES, "reporter_contact_person": "Stina Kollega", "reporter_email": "stina.kollega@example.se"}
OTHER_UNITS = {**SAMPLE_VALUES, "units_involved": ["Exempelskolan, elevhälsan"]}


def _report(values: dict[str, object], sender: str, seed: str, hours: int, to: str = "bup@example.se") -> bytes:
    return make_mail(subject="BUS-avvikelse", sender=sender, to=[to], cc=[SECRETARIAT[0]],
                     when=WHEN + timedelta(hours=hours), message_id=exchange_id(seed),
                     attachments=[("avvikelse.docx", build_form(values))])


def _ingest(db: Database, rules: Rules, mails: list[bytes], batched: bool) -> dict[str, tuple[str | None, str]]:
    raws = [RawMessage("storsthlm", "INBOX", m) for m in mails]
    with Pipeline(db, rules, workers=1) as pipeline:
        if batched:
            pipeline.ingest(raws, chunk=len(raws))
        else:
            for raw in raws:
                with db.session() as session:
                    pipeline._one_by_one(session, [raw])
    with db.session() as s:
        ids = {c.id: c.case_id for c in s.scalars(select(Case))}
        return {m.message_id.lower().strip("<>"): (ids.get(m.case_pk) if m.case_pk else None, m.kind)
                for m in s.scalars(select(Message))}


def test_same_reporter_compares_contact_manager_and_units() -> None:
    sample = form_from_dict(SAMPLE_VALUES)
    assert same_reporter(sample, form_from_dict({**SAMPLE_VALUES, "reporter_contact_person": " eva  EXEMPEL "}))
    assert same_reporter(sample, dataclasses.replace(sample, units_involved=tuple(reversed(sample.units_involved))))
    assert not same_reporter(sample, form_from_dict(COLLEAGUE))
    assert not same_reporter(sample, form_from_dict(OTHER_UNITS))
    assert not same_reporter(sample, form_from_dict({**SAMPLE_VALUES, "reporter_manager_name": "Annan Chef"}))


@pytest.mark.parametrize("batched", [True, False], ids=["batch", "per_message"])
def test_two_colleagues_reporting_the_same_meeting_are_two_deviations(
        db: Database, rules: Rules, batched: bool) -> None:
    first = _report(SAMPLE_VALUES, "eva.exempel@example.se", "eva", 0)
    second = _report(COLLEAGUE, "stina.kollega@example.se", "stina", 2)
    other_units = _report(OTHER_UNITS, "eva.exempel@example.se", "eva-skolan", 3, to="skolan@example.se")
    again = _report(SAMPLE_VALUES, "eva.exempel@example.se", "eva-again", 5)
    got = _ingest(db, rules, [first, second, other_units, again], batched)
    eva, stina, skolan, resent = (got[exchange_id(seed).lower().strip("<>")]
                                  for seed in ("eva", "stina", "eva-skolan", "eva-again"))
    assert eva[1] == stina[1] == skolan[1] == "deviation"
    assert len({eva[0], stina[0], skolan[0]}) == 3, got
    assert resent[0] == eva[0] and resent[1] != "deviation"   # the identical form sent again


@pytest.mark.parametrize("batched", [True, False], ids=["batch", "per_message"])
def test_an_answer_goes_to_the_report_it_answers(db: Database, rules: Rules, batched: bool) -> None:
    answered = {**COLLEAGUE, "response_description": "Vi har bytt rutin för kallelser.",
                "response_manager_name": "Bo Chef", "response_manager_email": "bo.chef@example.se"}
    answer = make_mail(subject="Svar avvikelse", sender="bo.chef@example.se", to=["stina.kollega@example.se"],
                       cc=[SECRETARIAT[0]], when=WHEN + timedelta(days=3), message_id=exchange_id("answer"),
                       attachments=[("avvikelse.docx", build_form(answered))])
    got = _ingest(db, rules, [_report(SAMPLE_VALUES, "eva.exempel@example.se", "eva", 0),
                              _report(COLLEAGUE, "stina.kollega@example.se", "stina", 2),
                              _report(OTHER_UNITS, "eva.exempel@example.se", "eva-skolan", 3, to="skolan@example.se"),
                              answer], batched)
    stina, reply = (got[exchange_id(seed).lower().strip("<>")] for seed in ("stina", "answer"))
    assert reply == (stina[0], "answer"), got
