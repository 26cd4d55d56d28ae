"""Spreadsheet cells that stay text: mail text and human overrides must never run as a formula.

A spreadsheet program reads a cell that begins with `=`, `+`, `-` or `@` (or a tab or carriage return before
one, OWASP "CSV injection") as a formula, which can fetch URLs or run commands when the file is opened.
In an .xlsx such a value is written as a text cell with Excel's quote prefix; in a CSV it gets a leading `'`
(and every text field is quoted, so a `;` inside it cannot start a new cell where `;` is the list separator,
as in Swedish Excel).  Numbers stay numbers: only text is changed.
"""
from __future__ import annotations

from typing import Any

FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    """Whether a spreadsheet could take this value for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_LEAD)


def csv_text(value: Any) -> Any:
    """A CSV field's value: text that could be read as a formula gets a leading apostrophe."""
    return "'" + value if formula_like(value) else value
