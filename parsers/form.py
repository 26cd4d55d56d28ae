"""The BUS deviation form (Avvikelseblankett för BUS-samverkan, sections 1–4) read from a .docx attachment.

`parse_form` never raises: whatever the bytes, it returns a FormResult.  The container is checked before
anything is opened (parsers.docx_guard); word/document.xml is parsed with its hardened parser
(python-docx's settings: entities are not resolved) and walked directly, without a docx.Document.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from lxml import etree

from config.rules import FORM_FIELDS, FormRules
from parsers.dates import parse_date, parse_full_date, plausible_year
from parsers.docx_guard import open_docx, parse_part
from parsers.form_extract import LONG_FIELDS, Found, extract
from parsers.form_labels import compile_rules
from parsers.form_walk import walk
from parsers.types import FieldTrace, FormData, FormResult, Problem

DATE_FIELDS = frozenset({"reported_date", "response_received_date"})
REQUIRED_FIELDS = ("event_type", "units_involved", "description", "reported_date", "reporter_unit")
_UNIT_SPLIT = re.compile(r"[\n;]")


def _trace(found: Found, value: str) -> FieldTrace:
    return FieldTrace(found.field, value, found.section, found.source, found.label, found.rule)


def _units(found: list[Found], placeholders: Callable[[str], bool]) -> tuple[tuple[str, ...], list[FieldTrace]]:
    units: list[str] = []
    traces: list[FieldTrace] = []
    for item in found:
        for part in _UNIT_SPLIT.split(item.text or ""):
            unit = " ".join(part.split()).strip(" ,")
            if unit and unit not in units and not placeholders(unit):
                units.append(unit)
                traces.append(_trace(item, unit))
    return tuple(units), traces


def _date(found: Found) -> date | None:
    if found.full_date:
        parsed = parse_full_date(found.full_date)
        if parsed is not None:
            return parsed
    return parse_date(found.text or "")


def _scalar(name: str, items: list[Found]) -> tuple[Any, FieldTrace | None, Problem | None]:
    """The first non-empty value found for a field (dates parsed), its trace, and a problem if any."""
    item = next((i for i in items if i.text), None)
    if item is None or item.text is None:
        return None, None, None
    if name in DATE_FIELDS:
        parsed = _date(item)
        if parsed is None:
            return None, None, Problem("form_bad_date", name)
        if not plausible_year(parsed.year):    # a typo such as 0001-01-01: unknown, not year 1 (nor 2001)
            return None, None, Problem("date_implausible", f"{name}: year {parsed.year}")
        return parsed, _trace(item, parsed.isoformat()), None
    text = item.text if name in LONG_FIELDS else " ".join(item.text.split("\n"))
    return text, _trace(item, text), None


def build_form_data(found: list[Found], rules: FormRules) -> tuple[FormData, tuple[Problem, ...]]:
    """FormData from the values found, with the problems (bad dates, missing required fields)."""
    compiled = compile_rules(rules)
    by_field: dict[str, list[Found]] = {}
    for item in found:
        by_field.setdefault(item.field, []).append(item)
    values: dict[str, Any] = {}
    traces: list[FieldTrace] = []
    problems: list[Problem] = []
    for name in FORM_FIELDS:
        items = by_field.get(name, [])
        if name == "units_involved":
            values[name], unit_traces = _units(items, compiled.is_placeholder)
            traces.extend(unit_traces)
            continue
        values[name], trace, problem = _scalar(name, items)
        traces.extend([trace] if trace else [])
        problems.extend([problem] if problem else [])
    form = FormData(**values, trace=tuple(traces))
    if form.has_report:
        missing = [name for name in REQUIRED_FIELDS if not values[name]]
        if missing:
            problems.append(Problem("form_missing_required_fields", ", ".join(missing)))
    return form, tuple(problems)


def _read(xml: bytes, rules: FormRules) -> tuple[FormData | None, tuple[Problem, ...]]:
    try:
        root = parse_part(xml)
    except (etree.XMLSyntaxError, ValueError):   # the message could quote the document: not kept
        return None, (Problem("attachment_unreadable", "malformed XML in word/document.xml"),)
    found, is_form = extract(walk(root), compile_rules(rules))
    if not is_form:
        return None, ()
    return build_form_data(found, rules)


def parse_form(data: bytes, rules: FormRules, filename: str = "") -> FormResult:
    """The form in a .docx attachment.  form is None when it cannot be read or is not the form."""
    try:
        opened = open_docx(data, rules, filename)
        if opened.document_xml is None:
            return FormResult(None, opened.problems)
        form, problems = _read(opened.document_xml, rules)
        return FormResult(form, opened.problems + problems)
    except (MemoryError, RecursionError):
        raise                   # a parser process's budget (pipeline/budget.py): the message is too_complex
    except Exception as exc:  # noqa: BLE001 - a malformed attachment must never stop ingestion
        return FormResult(None, (Problem("attachment_unreadable", f"unexpected {type(exc).__name__}"),))
