"""Shared helpers of the form parser tests: the full set of values, the rules fixture, parsing and checks."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date

import pytest

from config.rules import FORM_FIELDS, FormRules, default_rules
from parsers.form import parse_form
from parsers.types import FormData, FormResult
from tests.support.formbuilder import SAMPLE_VALUES

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
