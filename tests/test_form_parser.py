"""parsers.form.parse_form on every shape of the form: the shared replicas, sections, repeated labels, tags."""
from __future__ import annotations

import io
from datetime import date

import docx
import pytest

from config.rules import FORM_FIELDS, FormRules
from parsers.types import FormData
from tests.support.formbuilder import SAMPLE_VALUES, SHAPES, build_form
from tests.support.formparse import (
    FULL,
    assert_all_values,
    form_of,
    parse,
    rezip,
    rules,  # noqa: F401 - fixture
)
from tests.support.shared_corpus import shared_dir

needs_shared = pytest.mark.shared("forms")


# --- the replicas in shared/forms ---------------------------------------------------------------------------

@needs_shared
def test_shared_blank_form_has_all_fields_empty(rules: FormRules) -> None:
    result = parse((shared_dir("forms") / "avvikelseblankett-bus-2019-02-07.docx").read_bytes(), rules)
    form = form_of(result)
    assert result.problems == ()
    assert all(getattr(form, name) in (None, ()) for name in FORM_FIELDS)
    assert not form.has_report and not form.has_response


@needs_shared
def test_shared_filled_sections_1_3(rules: FormRules) -> None:
    result = parse((shared_dir("forms") / "exempel-ifylld-avsnitt-1-3.docx").read_bytes(), rules)
    form = form_of(result)
    assert result.problems == ()
    assert form.event_type == "Uteblivet deltagande vid SIP-möte"
    assert form.units_involved == ("BUP Exempelmottagningen",)
    assert form.description == ("SIP-kallelse skickades fyra veckor före mötet\n"
                                "BUP uteblev utan att meddela förhinder\nMötet fick ställas in")
    assert form.reported_date == date(2025, 9, 1)
    assert form.reporter_email == "eva.exempel@example.se"
    assert form.reporter_manager_email == "olle.exempel@example.se"
    assert form.has_report and not form.has_response


@needs_shared
def test_shared_filled_with_answer(rules: FormRules) -> None:
    form = form_of(parse((shared_dir("forms") / "exempel-ifylld-med-svar.docx").read_bytes(), rules))
    assert form.has_report and form.has_response
    assert form.response_description == "Behandlaren var sjuk och ersättare hann inte utses"
    assert form.response_improvements == "Kallelser registreras i funktionsbrevlåda"
    assert form.response_received_date == date(2025, 9, 3)
    assert form.response_manager_unit == "BUP Exempelmottagningen"
    assert form.response_manager_email == "stina.prov@example.org"
    assert form.reporter_manager_unit == "Exempelstads stadsdelsförvaltning, socialtjänsten"


# --- shapes -------------------------------------------------------------------------------------------------

def check_shape(shape: str, rules: FormRules) -> FormData:
    data = build_form(FULL, shape=shape)
    docx.Document(io.BytesIO(data))  # python-docx opens what the builder makes
    result = parse(data, rules)
    assert result.problems == ()
    form = form_of(result)
    assert_all_values(form, FULL)
    return form


def test_shape_controls(rules: FormRules) -> None:
    form = check_shape("controls", rules)
    assert {t.source for t in form.trace} == {"content_control"}


def test_shape_tagged(rules: FormRules) -> None:
    form = check_shape("tagged", rules)
    assert {t.source for t in form.trace} == {"content_control_tagged"}
    phone = next(t for t in form.trace if t.field == "reporter_phone")
    assert (phone.label, phone.rule, phone.section) == ("reporter_phone", "reporter_phone", "s3_reporter")


def test_shape_tables(rules: FormRules) -> None:
    form = check_shape("tables", rules)
    sources = {t.field: t.source for t in form.trace}
    assert sources["reporter_email"] == "table_cell"
    assert sources["response_manager_phone"] == "table_cell"
    assert sources["reported_date"] == "content_control"   # a date control inside the table
    assert sources["description"] == "content_control"


def test_shape_typed(rules: FormRules) -> None:
    form = check_shape("typed", rules)
    assert {t.source for t in form.trace} == {"typed_text"}


def test_shape_pasted(rules: FormRules) -> None:
    form = check_shape("pasted", rules)
    rules_used = {t.field: t.rule for t in form.trace}
    assert rules_used["reporter_phone"] == "Telefon"
    assert rules_used["reported_date"] == "Rapporteringsdatum"
    assert rules_used["reporter_email"] == "E-post"


def test_every_shape_and_date_style_opens_in_python_docx() -> None:
    for shape in SHAPES:
        for style in ("fulldate", "iso", "swedish"):
            document = docx.Document(io.BytesIO(build_form(FULL, shape=shape, date_style=style)))
            assert any("Vilken typ av händelse" in p.text for p in document.paragraphs)


def test_trace_names_field_section_source_label_and_rule(rules: FormRules) -> None:
    form = form_of(parse(build_form(FULL, shape="controls"), rules))
    trace = {(t.field, t.value): t for t in form.trace}
    email = trace[("reporter_manager_email", "olle.exempel@example.se")]
    assert (email.section, email.source, email.label, email.rule) == (
        "s3_manager", "content_control", "E-post", "E-post")
    event = trace[("event_type", FULL["event_type"])]
    assert event.section == "s1" and "Vilken typ av händelse" in event.rule
    assert {t.field for t in form.trace} == {name for name in FORM_FIELDS}


# --- sections, repeated labels, long answers -----------------------------------------------------------------

def test_repeated_labels_resolved_by_section(rules: FormRules) -> None:
    for shape in SHAPES:
        form = form_of(parse(build_form(FULL, shape=shape), rules))
        assert form.units_involved == ("BUP Exempelmottagningen", "Exempelskolan, elevhälsan"), shape
        assert form.reporter_manager_unit == "Exempelstads stadsdelsförvaltning", shape
        assert form.response_manager_unit == "BUP Exempelmottagningen", shape
        assert (form.reporter_email, form.reporter_manager_email, form.response_manager_email) == (
            "eva.exempel@example.se", "olle.exempel@example.se", "stina.prov@example.org"), shape
        assert (form.reporter_phone, form.reporter_manager_phone, form.response_manager_phone) == (
            "08-000 00 00", "08-000 00 01", "08-000 00 02"), shape


def test_units_in_one_typed_line_separated_by_semicolons(rules: FormRules) -> None:
    values = {**SAMPLE_VALUES, "units_involved": ["BUP Nord", "Skola Syd", "Socialtjänsten Väst"]}
    form = form_of(parse(build_form(values, shape="typed"), rules))
    assert form.units_involved == ("BUP Nord", "Skola Syd", "Socialtjänsten Väst")
    assert [t.value for t in form.trace if t.field == "units_involved"] == list(form.units_involved)


def test_units_as_several_lines_in_one_control(rules: FormRules) -> None:
    data = build_form({**SAMPLE_VALUES, "units_involved": ["BUP Nord\nSkola Syd"]}, shape="controls")
    assert form_of(parse(data, rules)).units_involved == ("BUP Nord", "Skola Syd")


def test_multi_paragraph_answers(rules: FormRules) -> None:
    values = {**FULL, "description": "Punkt ett\nPunkt två\nPunkt tre",
              "proposed_action": "Åtgärd A\nÅtgärd B", "response_improvements": "Ett\nTvå"}
    for shape in SHAPES:
        form = form_of(parse(build_form(values, shape=shape), rules))
        assert form.description == "Punkt ett\nPunkt två\nPunkt tre", shape
        assert form.proposed_action == "Åtgärd A\nÅtgärd B", shape
        assert form.response_improvements == "Ett\nTvå", shape


def test_instruction_sentences_are_never_values(rules: FormRules) -> None:
    for shape in SHAPES:
        form = form_of(parse(build_form({"event_type": "X"}, shape=shape, placeholders_for_empty=False), rules))
        assert form.description is None and form.personal_data_contact is None, shape
        assert form.response_description is None and form.units_involved == (), shape


def test_typed_text_straight_after_a_label_with_a_tab(rules: FormRules) -> None:
    data = rezip(build_form(FULL, shape="typed"), lambda xml: xml.replace("Kontaktperson:", "Kontaktperson\t"))
    assert form_of(parse(data, rules)).reporter_contact_person == "Eva Exempel"


# --- tagged controls -----------------------------------------------------------------------------------------

def test_tagged_controls_map_fields_even_under_unknown_labels(rules: FormRules) -> None:
    form = form_of(parse(build_form(FULL, shape="tagged"), rules))
    assert form.reporter_phone == "08-000 00 00"         # label "Tfn dagtid:" is in no rules file
    assert form.reporter_manager_email == "olle.exempel@example.se"


def test_tag_equal_to_a_label_alias_resolves_in_the_current_section(rules: FormRules) -> None:
    def retag(xml: str) -> str:
        for name in ("reporter_email", "reporter_manager_email", "response_manager_email"):
            xml = xml.replace(f'w:tag w:val="{name}"', 'w:tag w:val="E-post"')
        return xml.replace('w:alias w:val="E-post', 'w:alias w:val="x')
    form = form_of(parse(rezip(build_form(FULL, shape="tagged"), retag), rules))
    assert (form.reporter_email, form.reporter_manager_email, form.response_manager_email) == (
        "eva.exempel@example.se", "olle.exempel@example.se", "stina.prov@example.org")
    trace = next(t for t in form.trace if t.field == "reporter_manager_email")
    assert (trace.source, trace.label, trace.rule, trace.section) == (
        "content_control_tagged", "E-post", "e-post", "s3_manager")


def test_tagged_placeholder_is_none(rules: FormRules) -> None:
    form = form_of(parse(build_form({"event_type": "SIP"}, shape="tagged"), rules))
    assert form.event_type == "SIP" and form.reporter_phone is None and form.description is None
