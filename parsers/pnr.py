"""Swedish personnummer and samordningsnummer: detection (Luhn-checked) and redaction.

The numbers themselves never leave this module: callers get a count or redacted text.
"""
from __future__ import annotations

import re

_CANDIDATE = re.compile(r"(?<![\d-])((?:19|20)?\d{2})(\d{2})(\d{2})\s?([-+]?)\s?(\d{4})(?![\d])")
REDACTED = "[personnummer]"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


_PHONE_CONTEXT = re.compile(r"\b(tel|telefon|telefonnummer|mobil|mobilnummer|mob|tfn|telnr|ring|sms|fax|växel)\W{0,3}$",
                            re.IGNORECASE)


def _valid(match: re.Match[str]) -> bool:
    year, month, day, sep, tail = match.groups()
    before = match.string[max(0, match.start() - 20):match.start()].rstrip(" :.")
    if not sep and len(year) == 2 and _PHONE_CONTEXT.search(before):
        return False  # "mobil 0701234567": a phone number, not a personnummer
    if not 1 <= int(month) <= 12:
        return False
    d = int(day)
    if not (1 <= d <= 31 or 61 <= d <= 91):  # 61–91: samordningsnummer (day + 60)
        return False
    return _luhn_ok(year[-2:] + month + day + tail)


def find_count(text: str) -> int:
    """How many valid personnummer/samordningsnummer the text holds."""
    return sum(1 for m in _CANDIDATE.finditer(text or "") if _valid(m))


# The prefilter's table: ASCII digits and every byte of a non-ASCII character (maybe a Unicode digit) → "0".
_DIGITISH = bytes(ord("0") if b >= 0x80 or ord("0") <= b <= ord("9") else ord(" ") for b in range(256))


def _may_hold_a_number(text: str) -> bool:
    """False only when text has no run of six digits, which every candidate begins with (checked at C speed).

    A non-ASCII character is 2-4 UTF-8 bytes, all >= 0x80, so a run of six digits of any script leaves at
    least six "0" bytes: the answer is never False wrongly, at worst True needlessly.
    """
    return b"000000" in text.encode("utf-8", "surrogatepass").translate(_DIGITISH)


def contains(text: str) -> bool:
    """find_count(text) > 0, quickly for the many texts without a run of six digits."""
    return bool(text) and _may_hold_a_number(text) and find_count(text) > 0


def redact(text: str) -> str:
    """The text with every valid number replaced by [personnummer]; invalid ones are left alone."""
    if not text:
        return text
    return _CANDIDATE.sub(lambda m: REDACTED if _valid(m) else m.group(0), text)
