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
from tests.shared_corpus import shared_dir

needs_shared = pytest.mark.shared("forms")

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


# --- broken and hostile attachments --------------------------------------------------------------------------

def codes(result: FormResult) -> list[str]:
    return [problem.code for problem in result.problems]


def test_broken_truncated(rules: FormRules) -> None:
    result = parse(build_broken("truncated"), rules)
    assert result.form is None and codes(result) == ["attachment_unreadable"]


def test_broken_encrypted(rules: FormRules) -> None:
    result = parse(build_broken("encrypted"), rules)
    assert result.form is None and codes(result) == ["attachment_encrypted"]


def test_broken_legacy_doc(rules: FormRules) -> None:
    result = parse(build_broken("legacy_doc"), rules, "avvikelse.doc")
    assert result.form is None and codes(result) == ["attachment_legacy_doc"]


def test_broken_macro_is_reported_and_still_read(rules: FormRules) -> None:
    result = parse(build_broken("macro"), rules, "avvikelse.docm")
    assert codes(result) == ["attachment_macro_enabled"]
    assert form_of(result).event_type == SAMPLE_VALUES["event_type"]
    assert form_of(result).units_involved == tuple(SAMPLE_VALUES["units_involved"])  # type: ignore[arg-type]


def test_docm_filename_alone_marks_macro_enabled(rules: FormRules) -> None:
    result = parse(build_form(SAMPLE_VALUES), rules, "avvikelse.docm")
    assert codes(result) == ["attachment_macro_enabled"] and form_of(result).has_report


def test_broken_zip_bomb_is_refused_from_the_directory(rules: FormRules) -> None:
    result = parse(build_broken("zip_bomb"), rules)
    assert result.form is None and codes(result) == ["attachment_too_large"]


def test_zip_bomb_refused_by_ratio_alone(rules: FormRules) -> None:
    generous = FormRules(rules.placeholders, rules.sections, max_uncompressed_bytes=10**9,
                         instructions=rules.instructions)
    result = parse(build_broken("zip_bomb"), generous)
    assert codes(result) == ["attachment_too_large"] and "200:1" in result.problems[0].detail


def test_too_many_zip_members(rules: FormRules) -> None:
    few = FormRules(rules.placeholders, rules.sections, max_zip_members=3, instructions=rules.instructions)
    assert codes(parse(build_form(SAMPLE_VALUES), few)) == ["attachment_too_large"]


def test_document_part_larger_than_declared_is_capped(rules: FormRules) -> None:
    small = FormRules(rules.placeholders, rules.sections, max_uncompressed_bytes=2_000,
                      max_compression_ratio=10**6, instructions=rules.instructions)
    data = build_form(SAMPLE_VALUES)
    lied = bytearray(data)
    # Shrink the declared size of word/document.xml in the central directory so the total passes.
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo("word/document.xml")
    entry = lied.rfind(b"PK\x01\x02", 0, lied.find(b"word/document.xml", len(lied) // 2))
    lied[entry + 24:entry + 28] = (100).to_bytes(4, "little")
    result = parse(bytes(lied), small)
    assert info.file_size > 2_000
    assert result.form is None and set(codes(result)) <= {"attachment_too_large", "attachment_unreadable"}


def test_broken_not_a_form(rules: FormRules) -> None:
    assert parse(build_broken("not_a_form"), rules) == FormResult(None, ())


def test_broken_xxe_is_not_expanded(rules: FormRules) -> None:
    result = parse(build_broken("xxe"), rules)
    form = form_of(result)
    values = [getattr(form, name) for name in FORM_FIELDS] + [t.value for t in form.trace]
    assert not any("root:" in str(value) for value in values)
    assert form.event_type == "Uteblivet deltagande"
    assert form.reporter_email == SAMPLE_VALUES["reporter_email"]


def test_no_document_part_is_unreadable(rules: FormRules) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
    assert codes(parse(out.getvalue(), rules)) == ["attachment_unreadable"]


def test_malformed_xml_is_unreadable(rules: FormRules) -> None:
    data = rezip(build_form(SAMPLE_VALUES), lambda xml: xml.replace("</w:body>", "", 1))
    result = parse(data, rules)
    assert result.form is None and codes(result) == ["attachment_unreadable"]


@pytest.mark.parametrize("data", [b"", b"PK", b"hello world", b"\xd0\xcf\x11\xe0", b"PK\x03\x04" + b"\0" * 40])
def test_odd_bytes_are_unreadable_or_legacy(data: bytes, rules: FormRules) -> None:
    result = parse(data, rules)
    assert result.form is None and len(result.problems) == 1
    assert result.problems[0].code in {"attachment_unreadable", "attachment_legacy_doc"}


@pytest.mark.parametrize("kind", BROKEN_KINDS)
def test_every_broken_kind_returns_without_raising(kind: str, rules: FormRules) -> None:
    assert isinstance(parse(build_broken(kind), rules), FormResult)


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


# --- never raises --------------------------------------------------------------------------------------------

_VALID = build_form(FULL, shape="tables")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(data: bytes) -> None:
    assert isinstance(parse_form(data, default_rules().form), FormResult)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=12),
       st.integers(1, len(_VALID)))
def test_mutated_docx_never_raises(changes: list[tuple[int, int]], keep: int) -> None:
    data = bytearray(_VALID)
    for position, value in changes:
        data[position] = value
    assert isinstance(parse_form(bytes(data[:keep]), default_rules().form), FormResult)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_mutated_document_xml_never_raises(junk: str) -> None:
    data = rezip(_VALID, lambda xml: xml.replace("Eva Exempel", junk.replace("<", "&lt;").replace("&", "&amp;")))
    assert isinstance(parse_form(data, default_rules().form), FormResult)


def test_text_after_a_text_box_in_the_same_paragraph_is_kept() -> None:
    """A text box (w:txbxContent) sits inside a run of the paragraph around it: its own text is left out,
    the paragraph's text before and after it is one line."""
    from docx.oxml.parser import parse_xml

    from parsers.form_walk import walk
    from tests.formbuilder import document_xml
    box = ('<w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml"><v:textbox><w:txbxContent>'
           '<w:p><w:r><w:t>Rutans text</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>')
    body = (f'<w:p><w:r><w:t xml:space="preserve">Före rutan, </w:t></w:r>{box}'
            '<w:r><w:t>efter rutan.</w:t></w:r></w:p><w:p><w:r><w:t>Nästa stycke</w:t></w:r></w:p>')
    lines = [line.text for line in walk(parse_xml(document_xml(body)))]
    assert lines == ["Före rutan, efter rutan.", "Nästa stycke"]


@pytest.mark.parametrize("kind", ["valid", *BROKEN_KINDS])
def test_the_part_parser_reads_as_python_docx_does(kind: str) -> None:
    """parsers.docx_main.parse_part (lxml, python-docx's parser settings, no python-docx) gives the same tree as
    python-docx's oxml parser for every XML part of the forms built here, and fails where it fails."""
    from docx.oxml.parser import parse_xml
    from lxml import etree

    from parsers.docx_main import parse_part

    def read(parse: Callable[[bytes], object], xml: bytes) -> bytes | str:
        try:
            return etree.tostring(parse(xml))  # type: ignore[arg-type]
        except (etree.XMLSyntaxError, ValueError) as exc:
            return type(exc).__name__

    data = _VALID if kind == "valid" else build_broken(kind)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        pytest.skip("not a zip")
    for name in archive.namelist():
        if name.endswith((".xml", ".rels")) and archive.getinfo(name).file_size < 5_000_000:
            xml = archive.read(name)
            assert read(parse_part, xml) == read(parse_xml, xml), name
