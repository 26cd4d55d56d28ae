"""Mail-derived text made safe to show: control characters replaced, personnummer redacted.

Mail text is written to terminals, logs and plain-text mails. A subject may carry ESC sequences (set the
window title, clear the screen, OSC 8 links), C1 controls (a terminal may read 0x9b as CSI), DEL, or bidi
overrides that reorder what is shown; `printable` replaces each with a visible stand-in and keeps newlines and
tabs. `shown` is what every output of mail text uses: redacted (parsers.pnr, which also drops the invisible
format characters, bidi controls included, so none can hide a personnummer) and printable.

The one output-safety module, so also spreadsheet cells (once notify/cells.py) that stay text: mail text and
human overrides must never run as a formula.
A spreadsheet program reads a cell that begins with `=`, `+`, `-` or `@` (or a tab or carriage return before
one, OWASP "CSV injection") as a formula, which can fetch URLs or run commands when the file is opened.
In an .xlsx such a value is written as a text cell with Excel's quote prefix; in a CSV it gets a leading `'`
(and every text field is quoted, so a `;` inside it cannot start a new cell where `;` is the list separator,
as in Swedish Excel).  Numbers stay numbers: only text is changed.
"""
from __future__ import annotations

from typing import Any

from parsers.pnr import redact

REPLACEMENT = "\ufffd"
_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))


def _table() -> dict[int, str]:
    table = {c: chr(0x2400 + c) for c in range(0x20) if chr(c) not in "\n\t"}   # C0 → ␀…␟ (ESC → ␛)
    table[0x7F] = "\u2421"                                                      # DEL → ␡
    table.update({c: REPLACEMENT for c in (*range(0x80, 0xA0), *_BIDI)})       # C1 and bidi controls
    return table


_TABLE = _table()
# What JSON leaves raw with ensure_ascii=False and a terminal may still act on (json escapes C0 itself).
JSON_ESCAPES = {c: f"\\u{c:04x}" for c in (0x7F, *range(0x80, 0xA0), *_BIDI)}


def printable(text: str) -> str:
    """The text with control characters (C0 but newline and tab, DEL, C1, bidi controls) made visible."""
    return text.translate(_TABLE) if text else text


def shown(text: object) -> str:
    """Mail-derived text as any output may show it: personnummer redacted, control characters made visible."""
    return printable(redact(str(text if text is not None else "")))


def shown_line(text: object) -> str:
    """`shown` on one line: every run of white space (newlines, tabs, form feeds…) one space."""
    return printable(" ".join(redact(str(text or "")).split()))


# ---- spreadsheet cells -----------------------------------------------------------------------------------------------
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    """Whether a spreadsheet could take this value for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_LEAD)


def csv_text(value: Any) -> Any:
    """A CSV field's value: text that could be read as a formula gets a leading apostrophe."""
    return "'" + value if formula_like(value) else value
