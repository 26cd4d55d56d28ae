"""parsers.form.parse_form on dates, placeholders, empty and required fields, and with admin rules."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from config.rules import FORM_FIELDS, FormRules, load_rules
from parsers.dates import parse_date
from tests.support.formbuilder import SAMPLE_VALUES, SHAPES, build_form
from tests.support.formparse import (
    FULL,
    form_of,
    parse,
    rezip,
    rules,  # noqa: F401 - fixture
)

# --- dates ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("style", ["fulldate", "iso", "swedish"])
def test_dates_in_each_style(style: str, rules: FormRules) -> None:
    for shape in SHAPES:
        form = form_of(parse(build_form(FULL, shape=shape, date_style=style), rules))
        assert form.reported_date == date(2021, 3, 15), (shape, style)
        assert form.response_received_date == date(2021, 4, 2), (shape, style)


def test_full_date_wins_over_displayed_text(rules: FormRules) -> None:
    data = rezip(build_form(FULL), lambda xml: xml.replace(">2021-03-15<", ">15/3<", 1))
    assert form_of(parse(data, rules)).reported_date == date(2021, 3, 15)


@pytest.mark.parametrize("text, expected_date", [
    ("2021-03-15", date(2021, 3, 15)), ("2021-03-15T00:00:00Z", date(2021, 3, 15)),
    ("15/3/2021", date(2021, 3, 15)), ("15.3.2021", date(2021, 3, 15)), ("15 mars 2021", date(2021, 3, 15)),
    ("den 15 mars 2021", date(2021, 3, 15)), ("15 okt. 2021", date(2021, 10, 15)),
    ("15 March 2021", date(2021, 3, 15)), ("March 15, 2021", date(2021, 3, 15)),
    ("1 maj 2020", date(2020, 5, 1)), ("2021/3/5", date(2021, 3, 5)),
    ("igår", None), ("31/2/2021", None), ("15 marsvin 2021", None), ("", None),
])
def test_parse_date(text: str, expected_date: date | None) -> None:
    assert parse_date(text) == expected_date


def test_unparseable_date_is_none_and_a_problem_naming_the_field(rules: FormRules) -> None:
    for shape in ("controls", "typed", "tables"):
        result = parse(build_form({**SAMPLE_VALUES, "reported_date": "i förra veckan"}, shape=shape), rules)
        assert form_of(result).reported_date is None, shape
        assert [p for p in result.problems if p.code == "form_bad_date"] == [
            type(result.problems[0])("form_bad_date", "reported_date")], shape


# --- placeholders and empty fields ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES)
def test_placeholders_mean_none(shape: str, rules: FormRules) -> None:
    result = parse(build_form({}, shape=shape), rules)
    form = form_of(result)
    assert result.problems == ()
    assert all(getattr(form, name) in (None, ()) for name in FORM_FIELDS), form
    assert form.trace == ()


@pytest.mark.parametrize("shape", SHAPES)
def test_empty_fields_without_placeholders_are_none(shape: str, rules: FormRules) -> None:
    values = {"event_type": "SIP", "reporter_email": "eva@example.se"}
    form = form_of(parse(build_form(values, shape=shape, placeholders_for_empty=False), rules))
    assert form.event_type == "SIP" and form.reporter_email == "eva@example.se"
    assert form.reporter_phone is None and form.reporter_manager_email is None and form.reporter_unit is None


def test_placeholder_text_without_the_flag_is_none(rules: FormRules) -> None:
    data = rezip(build_form({}), lambda xml: xml.replace("<w:showingPlcHdr/>", ""))
    form = form_of(parse(data, rules))
    assert all(getattr(form, name) in (None, ()) for name in FORM_FIELDS)


def test_showing_placeholder_flag_means_none_whatever_the_text(rules: FormRules) -> None:
    data = rezip(build_form({}), lambda xml: xml.replace("Klicka här för att ange text.", "Skriv här"))
    form = form_of(parse(data, rules))
    assert form.event_type is None and form.reporter_email is None


# --- required fields, rules ----------------------------------------------------------------------------------

def test_missing_required_fields(rules: FormRules) -> None:
    values = {"event_type": "SIP", "description": "Något hände", "reporter_email": "eva@example.se"}
    result = parse(build_form(values), rules)
    assert form_of(result).has_report
    assert [(p.code, p.detail) for p in result.problems] == [
        ("form_missing_required_fields", "units_involved, reported_date, reporter_unit")]


def test_response_only_form_is_not_missing_report_fields(rules: FormRules) -> None:
    values = {"response_description": "Vi har utrett", "response_manager_name": "Stina Prov"}
    result = parse(build_form(values), rules)
    assert result.problems == () and form_of(result).has_response and not form_of(result).has_report


def test_a_label_alias_added_in_the_rules_file_is_used(tmp_path: Path, rules: FormRules) -> None:
    data = build_form(SAMPLE_VALUES, shape="typed", labels={"Telefonnummer:": "Mobil:"})
    assert form_of(parse(data, rules)).reporter_phone is None
    admin = tmp_path / "rules.toml"
    admin.write_text('[form.sections.s3_reporter]\nfields.reporter_phone = ["Mobil"]\n', encoding="utf-8")
    custom = load_rules(admin).form
    form = form_of(parse(data, custom))
    assert form.reporter_phone == SAMPLE_VALUES["reporter_phone"]
    assert form.reporter_email == SAMPLE_VALUES["reporter_email"]   # the other fields keep their aliases
    trace = next(t for t in form.trace if t.field == "reporter_phone")
    assert (trace.label, trace.rule) == ("Mobil", "Mobil")


def test_an_instruction_added_in_the_rules_file_is_skipped(tmp_path: Path, rules: FormRules) -> None:
    data = rezip(build_form({**SAMPLE_VALUES, "proposed_action": None}, shape="typed",
                            placeholders_for_empty=False),
                 lambda xml: xml.replace("Förslag till åtgärd:</w:t></w:r></w:p>",
                                         "Förslag till åtgärd:</w:t></w:r></w:p>"
                                         "<w:p><w:r><w:t>Ange gärna flera förslag.</w:t></w:r></w:p>"))
    assert form_of(parse(data, rules)).proposed_action == "Ange gärna flera förslag."
    admin = tmp_path / "rules.toml"
    admin.write_text('[form]\ninstructions = ["Ange gärna flera förslag"]\n', encoding="utf-8")
    assert form_of(parse(data, load_rules(admin).form)).proposed_action is None
