"""A digest table's row, and the cleaning every mail-derived string gets before it is shown."""
from __future__ import annotations

from dataclasses import dataclass

from parsers.pnr import redact


@dataclass(frozen=True)
class Row:
    """One line of a digest table; every string is safe to print (redacted) but not yet HTML-escaped."""
    case_id: str
    when: str = ""
    cells: tuple[str, ...] = ()


def clean(text: object, limit: int = 200) -> str:
    """Redacted, single-line, shortened text from mail-derived input."""
    value = " ".join(redact(str(text or "")).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"
