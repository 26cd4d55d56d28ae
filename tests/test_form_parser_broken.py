"""parsers.form.parse_form on broken and hostile attachments, and on random input: it never raises."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.rules import FORM_FIELDS, FormRules, default_rules
from parsers.form import parse_form
from parsers.types import FormResult
from tests.support.drill import DRILL
from tests.support.formbuilder import BROKEN_KINDS, SAMPLE_VALUES, build_broken, build_form
from tests.support.formparse import (
    FULL,
    form_of,
    parse,
    rezip,
    rules,  # noqa: F401 - fixture
)

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


# --- never raises --------------------------------------------------------------------------------------------

_VALID = build_form(FULL, shape="tables")


def _random_bytes_never_raise(data: bytes) -> None:
    assert isinstance(parse_form(data, default_rules().form), FormResult)


def _mutated_docx_never_raises(changes: list[tuple[int, int]], keep: int) -> None:
    data = bytearray(_VALID)
    for position, value in changes:
        data[position] = value
    assert isinstance(parse_form(bytes(data[:keep]), default_rules().form), FormResult)


def _mutated_document_xml_never_raises(junk: str) -> None:
    data = rezip(_VALID, lambda xml: xml.replace("Eva Exempel", junk.replace("<", "&lt;").replace("&", "&amp;")))
    assert isinstance(parse_form(data, default_rules().form), FormResult)


# Each drill twice: a few examples in the fast loop, all of them with the integration/reliability tests.
_BYTES = given(st.binary(max_size=4096))
_CHANGES = given(st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=12),
                 st.integers(1, len(_VALID)))
_JUNK = given(st.text(max_size=300))


def _examples(n: int) -> settings:
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


test_random_bytes_never_raise = _examples(15)(_BYTES(_random_bytes_never_raise))
test_mutated_docx_never_raises = _examples(20)(_CHANGES(_mutated_docx_never_raises))
test_mutated_document_xml_never_raises = _examples(10)(_JUNK(_mutated_document_xml_never_raises))
test_random_bytes_never_raise_many = DRILL(_examples(150)(_BYTES(_random_bytes_never_raise)))
test_mutated_docx_never_raises_many = DRILL(_examples(200)(_CHANGES(_mutated_docx_never_raises)))
test_mutated_document_xml_never_raises_many = DRILL(_examples(100)(_JUNK(_mutated_document_xml_never_raises)))


def test_text_after_a_text_box_in_the_same_paragraph_is_kept() -> None:
    """A text box (w:txbxContent) sits inside a run of the paragraph around it: its own text is left out,
    the paragraph's text before and after it is one line."""
    from docx.oxml.parser import parse_xml

    from parsers.form_walk import walk
    from tests.support.formbuilder import document_xml
    box = ('<w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml"><v:textbox><w:txbxContent>'
           '<w:p><w:r><w:t>Rutans text</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>')
    body = (f'<w:p><w:r><w:t xml:space="preserve">Före rutan, </w:t></w:r>{box}'
            '<w:r><w:t>efter rutan.</w:t></w:r></w:p><w:p><w:r><w:t>Nästa stycke</w:t></w:r></w:p>')
    lines = [line.text for line in walk(parse_xml(document_xml(body)))]
    assert lines == ["Före rutan, efter rutan.", "Nästa stycke"]


NOT_A_ZIP = ("truncated", "encrypted", "legacy_doc")      # no XML parts to compare (checked below)


@pytest.mark.parametrize("kind", ["valid", *(k for k in BROKEN_KINDS if k not in NOT_A_ZIP)])
def test_the_part_parser_reads_as_python_docx_does(kind: str) -> None:
    """parsers.docx_guard.parse_part (lxml, python-docx's parser settings, no python-docx) gives the same tree as
    python-docx's oxml parser for every XML part of the forms built here, and fails where it fails."""
    from docx.oxml.parser import parse_xml
    from lxml import etree

    from parsers.docx_guard import parse_part

    def read(parse: Callable[[bytes], object], xml: bytes) -> bytes | str:
        try:
            return etree.tostring(parse(xml))  # type: ignore[arg-type]
        except (etree.XMLSyntaxError, ValueError) as exc:
            return type(exc).__name__

    data = _VALID if kind == "valid" else build_broken(kind)
    archive = zipfile.ZipFile(io.BytesIO(data))
    for name in archive.namelist():
        if name.endswith((".xml", ".rels")) and archive.getinfo(name).file_size < 5_000_000:
            xml = archive.read(name)
            assert read(parse_part, xml) == read(parse_xml, xml), name


@pytest.mark.parametrize("kind", NOT_A_ZIP)
def test_the_broken_kinds_without_parts_are_not_zips(kind: str) -> None:
    """The kinds left out of the part-parser comparison above have no XML parts: they are not zip files."""
    assert not zipfile.is_zipfile(io.BytesIO(build_broken(kind)))
