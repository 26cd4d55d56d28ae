"""Fixture builder: the BUS deviation form as a .docx, in the shapes found in real mailboxes, and broken files.

    build_form(values, shape="controls", date_style="fulldate", placeholders_for_empty=True) -> bytes
    build_broken(kind) -> bytes

`values` keys are config.rules.FORM_FIELDS names; units_involved is a list of str; long fields may hold
"\\n" for several paragraphs; dates are datetime.date (a str is written as typed, for bad-date tests).
A missing or None value leaves the field empty (placeholder showing, unless placeholders_for_empty=False).
`labels` (optional) replaces label texts, e.g. {"Telefonnummer:": "Mobil:"} (every occurrence).
"""
from __future__ import annotations

from tests.support.formbuilder_broken import BROKEN_KINDS, build_broken, build_inflated
from tests.support.formbuilder_package import _p, _run, document_xml, package, word_online
from tests.support.formbuilder_writer import (
    DATE_PLACEHOLDER,
    DATE_STYLES,
    LAYOUT,
    SAMPLE_VALUES,
    SHAPES,
    TEXT_PLACEHOLDER,
    build_form,
)

__all__ = ["BROKEN_KINDS", "DATE_PLACEHOLDER", "DATE_STYLES", "LAYOUT", "SAMPLE_VALUES", "SHAPES", "TEXT_PLACEHOLDER",
           "_p", "_run", "build_broken", "build_form", "build_inflated", "document_xml", "package", "word_online"]
