"""The one rule set (store/link_rules.py) gives the same case through both evidence sources.

Every rule case runs twice over the same store, on SQLite and on PostgreSQL: once with the per-message
queries (store/link_queries.py `QueryEvidence`) and once with the batch index (store/link_batch_index.py
`BatchIndex`, prefetched as an ingest batch does).  Both must decide the expected case by the expected rule.
A case the batch opened and has not yet written must be found as the queries find it once written.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.orm import Session

from parsers.types import FormData
from store.db import Database
from store.link_batch_index import BatchIndex
from store.link_queries import QueryEvidence
from store.link_rules import EvidenceSource, Probe, decide, gather
from store.message_rows import now
from store.models import Case, Message, RawBlob, Reminder

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
SUBJECT = "bus-avvikelse"
REP, CHEF, OTHER = "rep@farsta.se", "chef@sll.se", "annan@solna.se"
FORM_A = FormData(event_type="Uteblivet SIP-möte", units_involved=("BUP Globen",), reporter_unit="Farsta",
                  description="BUP kom inte till det planerade SIP-mötet", reported_date=date(2026, 3, 1),
                  reporter_contact_person="Rut Rapport", reporter_email=REP)
FORM_B = dataclasses.replace(FORM_A, reporter_contact_person="Per Person", reporter_email=OTHER)
FORM_C = FormData(event_type="Brist i samverkan", reporter_unit="Solna", reported_date=date(2026, 2, 10),
                  description="Ingen från vuxenpsykiatrin deltog i samordnade planeringen i februari")


def _case(s: Session, seq: int, form: FormData, received: datetime, participants: list[str]) -> Case:
    case = Case(case_id=f"BUS-2026-{seq:04d}", year=2026, seq=seq, first_received=received,
                response_due=received.date() + timedelta(days=61), fingerprint=form.fingerprint,
                text_fingerprint=form.text_fingerprint, normalised_subject=SUBJECT, form=form,
                participants=participants, reporters=[form.reporter_email or REP])
    s.add(case)
    return case


def _message(s: Session, message_id: str, case: Case, guid: str | None) -> None:
    s.add(Message(message_id=message_id, message_id_header=f"<{message_id}>", raw_sha256="0" * 64,
                  subject="BUS-avvikelse", normalised_subject=SUBJECT, first_seen=now(), kind="deviation",
                  thread_index_guid=guid, case=case, link_rule="new_deviation"))


def _store(s: Session) -> None:
    """Three cases: A and B with the same sections 1–3 from two reporters, C another deviation; their
    messages in one Outlook conversation, and our reminder for A."""
    s.add(RawBlob(sha256="0" * 64, size=0, data=b"", stored_at=now()))
    a = _case(s, 1, FORM_A, WHEN, [REP, CHEF])
    b = _case(s, 2, FORM_B, WHEN + timedelta(days=2), [OTHER, CHEF])
    c = _case(s, 3, FORM_C, WHEN - timedelta(days=20), [OTHER, CHEF])
    s.flush()
    _message(s, "a@farsta.se", a, "G1")
    _message(s, "b@solna.se", b, "G1")
    _message(s, "c@solna.se", c, None)
    s.add(Reminder(case_pk=a.id, step="first", status="sent", due_on=a.response_due, recipients=[],
                   message_id="<reminder.BUS-2026-0001.first.ab12@busavvik.invalid>", created_at=now()))
    s.flush()


def _probe(form: FormData | None = None, **kw: Any) -> Probe:
    values: dict[str, Any] = dict(message_pk=None, refs=(), thread_guid=None, fingerprints=(), text_fingerprints=(),
                                  subject="Hej", normalised_subject="hej", sender=CHEF, date=WHEN + timedelta(days=5))
    if form is not None:
        values.update(fingerprints=(form.fingerprint,) if form.has_report else (),
                      text_fingerprints=(form.text_fingerprint,) if form.description else (),
                      form=form, new_report=form.has_report and not form.has_response)
    return Probe(**{**values, **kw})


ANSWER = dict(response_description="Vi har infört en ny rutin", response_manager_email="boss@sll.se")
RULE_CASES: dict[str, tuple[Probe, str | None, str | None]] = {
    "reference, nearest ancestor last": (_probe(refs=("b@solna.se", "a@farsta.se")), "BUS-2026-0001", "references"),
    "reference to our reminder": (_probe(refs=("reminder.bus-2026-0001.first.ab12@busavvik.invalid",)),
                                  "BUS-2026-0001", "references"),
    "conversation, latest message last": (_probe(thread_guid="G1"), "BUS-2026-0002", "thread_index"),
    "answer form, same reporter first": (_probe(dataclasses.replace(FORM_A, **ANSWER)), "BUS-2026-0001",
                                         "form_content"),
    "answer form, unknown reporter: latest": (
        _probe(dataclasses.replace(FORM_A, reporter_email="x@y.se", **ANSWER)), "BUS-2026-0002", "form_content"),
    "new report, another reporter: nothing": (
        _probe(dataclasses.replace(FORM_A, reporter_email="x@y.se"), subject="BUS-2026-0001"), None, None),
    "description alone": (_probe(dataclasses.replace(FORM_C, event_type="Annat", reporter_unit="Kista", **ANSWER)),
                          "BUS-2026-0003", "form_content"),
    "a retyped form": (_probe(dataclasses.replace(FORM_C, description=FORM_C.description + " 2026", **ANSWER)),
                       "BUS-2026-0003", "form_content"),
    "case id in the subject, the latest case": (_probe(subject="Angående BUS-2026-0002 och bus-2026-0001"),
                                                "BUS-2026-0002", "case_id"),
    "subject and a participant": (_probe(normalised_subject=SUBJECT), "BUS-2026-0002", "subject"),
    "subject, a stranger": (_probe(normalised_subject=SUBJECT, sender="x@y.se"), None, None),
    "subject, too late": (_probe(normalised_subject=SUBJECT, date=WHEN + timedelta(days=400)), None, None),
    "new report by subject alone: nothing": (_probe(FormData(event_type="Annat", description="Något annat hände"),
                                                    normalised_subject=SUBJECT, sender=OTHER), None, None),
}


def _decided(s: Session, source: EvidenceSource, probe: Probe) -> tuple[str | None, str | None]:
    found, rule = decide(gather(source, probe))
    case = s.get(Case, found) if isinstance(found, int) else found
    return (case.case_id if case else None), rule


@pytest.mark.parametrize("name", list(RULE_CASES))
def test_both_sources_decide_each_rule_case_alike(db: Database, name: str) -> None:
    probe, case_id, rule = RULE_CASES[name]
    with db.session() as s:
        _store(s)
        by_queries = _decided(s, QueryEvidence(s), probe)
        with BatchIndex(s) as index:
            index.prefetch([probe])
            by_index = _decided(s, index, probe)
        s.rollback()
    assert by_queries == by_index == (case_id, rule)


def test_a_case_the_batch_opened_is_found_as_the_queries_find_it_once_written(db: Database) -> None:
    form = dataclasses.replace(FORM_A, description="Ett nytt möte som BUP missade", reported_date=date(2026, 3, 4))
    answer = _probe(dataclasses.replace(form, **ANSWER), refs=("new@farsta.se",), thread_guid="G2")
    with db.session() as s:
        _store(s)
        with BatchIndex(s) as index:
            index.prefetch([answer])
            opened = _case(s, 4, form, WHEN + timedelta(days=3), [REP, CHEF])   # not written yet
            index.record(_probe(form, thread_guid="G2"), "new@farsta.se", opened, opened=True)
            in_batch = {rule: _decided(s, index, dataclasses.replace(answer, **kw))
                        for rule, kw in (("references", {}), ("thread_index", {"refs": ()}),
                                         ("form_content", {"refs": (), "thread_guid": None}))}
            _message(s, "new@farsta.se", opened, "G2")
            s.flush()
        written = {rule: _decided(s, QueryEvidence(s), dataclasses.replace(answer, **kw))
                   for rule, kw in (("references", {}), ("thread_index", {"refs": ()}),
                                    ("form_content", {"refs": (), "thread_guid": None}))}
        s.rollback()
    assert in_batch == written == {r: ("BUS-2026-0004", r) for r in ("references", "thread_index", "form_content")}
