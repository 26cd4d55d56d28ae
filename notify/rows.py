"""A digest table's row, and the cleaning every mail-derived string gets before it is shown."""
from __future__ import annotations

from dataclasses import dataclass

from parsers.safetext import shown_line


@dataclass(frozen=True)
class Row:
    """One line of a digest table; every string is safe to print (redacted, printable) but not yet HTML-escaped."""
    case_id: str
    when: str = ""
    cells: tuple[str, ...] = ()


def clean(text: object, limit: int = 200) -> str:
    """Redacted, printable, single-line, shortened text from mail-derived input."""
    value = shown_line(text)
    return value if len(value) <= limit else value[: limit - 1] + "…"
