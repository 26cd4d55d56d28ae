"""`busavvik case set` checks category fields against the rules (organisation types, themes, outcomes,
principal relation): an unknown value is refused with the allowed values listed; a known one is stored
spelt as the rules spell it."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from config.rules import Rules
from ingest.types import RawMessage
from pipeline.batch import Pipeline
from store.corrections import CorrectionError, set_field
from store.db import Database
from store.models import Case
from tests.support.formbuilder import SAMPLE_VALUES, build_form
from tests.support.mailbuilder import SECRETARIAT, make_mail


@pytest.fixture
def case_id(db: Database, rules: Rules) -> str:
    mail = make_mail(subject="BUS-avvikelse", sender="eva.exempel@example.se", to=["chef@bup.sll.se"],
                     cc=[SECRETARIAT[0]], when=datetime(2026, 3, 2, 9, tzinfo=timezone.utc),
                     attachments=[("avvikelse.docx", build_form(SAMPLE_VALUES))])
    with Pipeline(db, rules, workers=1) as pipeline:
        pipeline.ingest([RawMessage("storsthlm", "INBOX", mail)])
    with db.session() as s:
        return s.query(Case).one().case_id


@pytest.mark.parametrize(("field", "value", "listed"), [
    ("reporter_org_type", "Frisörsalong", "BUP"),
    ("receiver_org_types", "BUP; Polisen", "Socialtjänst"),
    ("themes", "SIP; Fika", "Remisshantering"),
    ("response_outcome", "Jättebra", "Förbättringsförslag"),
    ("principal_relation", "sideways", "between, within"),
])
def test_unknown_category_values_are_refused_with_the_allowed_list(
        db: Database, rules: Rules, case_id: str, field: str, value: str, listed: str) -> None:
    with db.session() as s, pytest.raises(CorrectionError, match="allowed: ") as caught:
        set_field(s, case_id, field, value, "tester", rules)
    assert listed in str(caught.value)
    with db.session() as s:
        assert field not in (s.query(Case).one().overrides or {})


def test_known_values_are_stored_as_the_rules_spell_them(db: Database, rules: Rules, case_id: str) -> None:
    with db.session() as s:
        assert set_field(s, case_id, "reporter_org_type", "bup", "tester", rules)[1] == "BUP"
        assert set_field(s, case_id, "receiver_org_types", "socialtjänst; Skola", "tester")[1] == \
            ["Socialtjänst", "Skola"]
        assert set_field(s, case_id, "themes", "sip", "tester", rules)[1] == ["SIP"]
        assert set_field(s, case_id, "event_type", "Vad som helst", "tester", rules)[1] == "Vad som helst"


def test_a_case_level_outcome_needs_an_answer(db: Database, rules: Rules, case_id: str) -> None:
    """`case set CASE response_outcome` is kept, but the case has no outcome of its own (migration 0011)."""
    with db.session() as s, pytest.raises(CorrectionError, match="inget svar"):
        set_field(s, case_id, "response_outcome", "ej löst", "tester", rules)
