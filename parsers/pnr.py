"""Swedish personnummer and samordningsnummer: detection (Luhn-checked) and redaction.

The numbers themselves never leave this module: callers get a count or redacted text.
"""
from __future__ import annotations

import re

# Between the date and the last four: a hyphen, any dash (en dash "–" as Word writes it, em dash, minus, the
# non-breaking and full-width hyphens), a plus (aged 100 or more), a space, or nothing. Any non-digit may stand
# either side, a letter or a hyphen too ("BUS-avvikelse-170808-3330", "Enhet-201304041112"); a longer run of
# digits is never cut into a number (the look-arounds), so 11 or 13 digits in a row are not one.
SEPARATORS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d+\ufe62\uff0b"
_CANDIDATE = re.compile(rf"(?<!\d)(\d{{2}})?(\d{{2}})(\d{{2}})(\d{{2}})\s?([{SEPARATORS}]?)\s?(\d{{4}})(?!\d)")
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
    century, year, month, day, sep, tail = match.groups()
    if century is not None and int(century) not in (19, 20):
        return False  # twelve digits: the century comes first (19 or 20)
    before = match.string[max(0, match.start() - 20):match.start()].rstrip(" :.")
    if not sep and century is None and _PHONE_CONTEXT.search(before):
        return False  # "mobil 0701234567": a phone number, not a personnummer
    if not 1 <= int(month) <= 12:
        return False
    d = int(day)
    if not (1 <= d <= 31 or 61 <= d <= 91):  # 61–91: samordningsnummer (day + 60)
        return False
    return _luhn_ok(year + month + day + tail)


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
