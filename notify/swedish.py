"""Swedish singular and plural in text people read: "1 dag", "2 dagar", "1 avvikelse", "3 påminnelser".

`count(n, "dag")` picks the form from `NOUNS` (singular → plural); an unknown noun, or an explicit `plural`,
works too. Used by the digest, the reminders and the CLI summaries.
"""
from __future__ import annotations

NOUNS: dict[str, str] = {
    "dag": "dagar", "vecka": "veckor", "månad": "månader",
    "avvikelse": "avvikelser", "påminnelse": "påminnelser", "ärende": "ärenden", "svar": "svar",
    "mottagare": "mottagare", "meddelande": "meddelanden", "mejl": "mejl", "brevlåda": "brevlådor",
    "skickad": "skickade", "skapad": "skapade",
}


def form(n: int, singular: str, plural: str | None = None) -> str:
    """The noun (or participle) that goes with the number `n`: singular only for 1 and -1."""
    if abs(n) == 1:
        return singular
    return plural if plural is not None else NOUNS.get(singular, singular)


def count(n: int, singular: str, plural: str | None = None) -> str:
    """`n` and its word: count(1, "dag") == "1 dag", count(2, "dag") == "2 dagar", count(0, "dag") == "0 dagar"."""
    return f"{n} {form(n, singular, plural)}"
