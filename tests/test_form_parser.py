"""parsers.form.parse_form on every shape of the form, on broken and hostile files, and with admin rules."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.rules import FORM_FIELDS, FormRules, default_rules, load_rules
from parsers.dates import parse_date
from parsers.form import parse_form
from parsers.types import FormData, FormResult
from tests.formbuilder import BROKEN_KINDS, SAMPLE_VALUES, SHAPES, build_broken, build_form

SHARED_FORMS = Path(__file__).resolve().parents[2] / "shared" / "forms"
needs_shared = pytest.mark.skipif(not SHARED_FORMS.is_dir(), reason="shared/forms not beside the repo")

FULL: dict[str, object] = {
    **SAMPLE_VALUES,
    "response_description": "Behandlaren var sjuk\nErsättare hann inte utses",
    "response_improvements": "Kallelser registreras i funktionsbrevlåda",
    "response_received_date": date(2021, 4, 2),
    "response_manager_name": "Stina Prov",
    "response_manager_unit": "BUP Exempelmottagningen",
    "response_manager_email": "stina.prov@example.org",
    "response_manager_phone": "08-000 00 02",
}


@pytest.fixture(scope="module")
def rules() -> FormRules:
    return default_rules().form


def parse(data: bytes, rules: FormRules, filename: str = "avvikelse.docx") -> FormResult:
    return parse_form(data, rules, filename)


def form_of(result: FormResult) -> FormData:
    assert result.form is not None, result.problems
    return result.form


def expected(values: dict[str, object], name: str) -> object:
    value = values.get(name)
    if name == "units_involved":
        return tuple(value) if isinstance(value, list) else ()
    return value


def assert_all_values(form: FormData, values: dict[str, object]) -> None:
    for name in FORM_FIELDS:
        assert getattr(form, name) == expected(values, name), name


def rezip(data: bytes, change: Callable[[str], str]) -> bytes:
    """The same docx with word/document.xml changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == "word/document.xml":
                content = change(content.decode("utf-8")).encode("utf-8")
            dst.writestr(info.filename, content)
    return out.getvalue()


# --- the replicas in shared/forms ---------------------------------------------------------------------------

@needs_shared
def test_shared_blank_form_has_all_fields_empty(rules: FormRules) -> None:
    result = parse((SHARED_FORMS / "avvikelseblankett-bus-2019-02-07.docx").read_bytes(), rules)
    form = form_of(result)
    assert result.problems == ()
    assert all(getattr(form, name) in (None, ()) for name in FORM_FIELDS)
    assert not form.has_report and not form.has_response


@needs_shared
def test_shared_filled_sections_1_3(rules: FormRules) -> None:
    result = parse((SHARED_FORMS / "exempel-ifylld-avsnitt-1-3.docx").read_bytes(), rules)
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
    form = form_of(parse((SHARED_FORMS / "exempel-ifylld-med-svar.docx").read_bytes(), rules))
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
