"""Multipart trees nested too deep: kept, with problem too_complex, never an exception and never a silent loss."""
from __future__ import annotations

from sqlalchemy import select

from config.rules import Rules
from ingest.types import RawMessage
from parsers.mail import parse_email
from parsers.mailform import parse_mail_and_form
from parsers.mime import MAX_DEPTH
from pipeline.batch import Pipeline
from store.db import Database
from store.models import Message
from tests.support import hostilemail
from tests.support.formbuilder import SAMPLE_VALUES, build_form


def test_nested_200_deep_is_too_complex_not_silently_empty(rules: Rules) -> None:
    parsed, form, _ = parse_mail_and_form(hostilemail.nested_multipart(200, build_form(SAMPLE_VALUES)), rules)
    assert "too_complex" in {p.code for p in parsed.problems}
    assert form is None and parsed.message_id == "nested-200@hostile.example.se"
    assert parsed.subject == "BUS-avvikelse" and [a.email for a in parsed.to][0] == "chef@socialtjanst.stockholm.se"


def test_nested_2000_deep_is_too_complex_not_an_exception(rules: Rules) -> None:
    parsed = parse_email(hostilemail.nested_multipart(2_000), rules)
    assert [p.code for p in parsed.problems] == ["too_complex"]
    assert parsed.message_id == "nested-2000@hostile.example.se" and parsed.subject == "BUS-avvikelse"


def test_nested_within_the_limits_is_read_whole(rules: Rules) -> None:
    parsed, form, _ = parse_mail_and_form(hostilemail.nested_multipart(MAX_DEPTH - 2, build_form(SAMPLE_VALUES)),
                                          rules)
    assert form is not None and not parsed.problems and parsed.body_text == "Djupt inne."


def test_deep_mail_is_stored_with_its_problem(db: Database, rules: Rules) -> None:
    with Pipeline(db, rules, workers=1) as pipeline:
        pipeline.ingest([RawMessage("storsthlm", "INBOX", hostilemail.nested_multipart(n), 1, n)
                         for n in (200, 2_000)])
    with db.session() as s:
        stored = {m.message_id: {p["code"] for p in m.problems or []} for m in s.scalars(select(Message))}
    assert stored == {"nested-200@hostile.example.se": {"too_complex"},
                      "nested-2000@hostile.example.se": {"too_complex"}}
