"""Swedish personnummer and samordningsnummer: detection (Luhn-checked) and redaction.

The numbers themselves never leave this module: callers get a count or redacted text.

This is the one redactor of every output (pages, URLs, logs, mails, CLI, exports, sorting).  Before matching,
and in what is shown, invisible format characters (Unicode category Cf: zero-width space, soft hyphen, word
joiner, BOM, bidi embeddings, overrides and isolates, …) are removed, so none of them can split a number; text
inside a right-to-left override (U+202E), which a reader sees reversed, is also read reversed.
"""
from __future__ import annotations

import re

# Between the date and the last four: a hyphen, any dash (en dash "–" as Word writes it, em dash, minus, the
# non-breaking and full-width hyphens), a plus (aged 100 or more), a full stop, a slash, an underscore, white
# space (a run of it too), or nothing. Any non-digit may stand either side, a letter or a hyphen too
# ("BUS-avvikelse-170808-3330", "Enhet-201304041112"); a longer run of digits is never cut into a number (the
# look-arounds), so 11 or 13 digits in a row are not one.
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
PLUSES = "+\ufe62\uff0b"
SEPARATORS = DASHES + PLUSES
_MARKS = "./_\uff0e\uff0f\uff3f"                 # also their full-width forms
_RUN = rf"[\s{re.escape(SEPARATORS + _MARKS)}]{{1,6}}"
_IN_DATE = rf"[{re.escape(DASHES + _MARKS)}]"     # "1981-12-18", "1981.12.18", "81/12/18"
_CANDIDATE = re.compile(
    rf"(?<!\d)(?P<cc>\d{{2}})?(?P<yy>\d{{2}})(?P<s1>{_IN_DATE})?(?P<mm>\d{{2}})"
    rf"(?(s1)(?P=s1)|(?P<sp>[^\S\n]{{1,3}})?)(?P<dd>\d{{2}})"
    rf"(?P<s3>{_RUN})?(?P<t1>\d{{2}})(?P<s4>[^\S\n]{{1,3}}|[{re.escape(DASHES)}])?(?P<t2>\d{{2}})(?!\d)")
REDACTED = "[personnummer]"

# Unicode's format characters (category Cf, Unicode 15), kept as ranges so no table of every code point is
# built at start-up; tests/test_redact.py checks the list against unicodedata.
_CF_RANGES = ((0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
              (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
              (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
              (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
              (0xE0020, 0xE007F))
FORMAT_CHARACTERS = frozenset(c for lo, hi in _CF_RANGES for c in range(lo, hi + 1))
_DROP = dict.fromkeys(FORMAT_CHARACTERS)
# The quick test for "may hold one": the BMP ranges and every astral character (a class of many astral ranges
# is several times slower to search; the rare astral text is then translated needlessly).
_HAS_FORMAT = re.compile("[" + "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in _CF_RANGES
                                       if hi < 0x10000) + "\U00010000-\U0010ffff]")
_RLO, _ENDS = "\u202e", "\u202c\u2069\n"
_OVERRIDDEN = re.compile(f"\u202e([^{re.escape(_ENDS)}]*)")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


_PHONE_CONTEXT = re.compile(r"\b(tel|telefon|telefonnummer|mobil|mobilnummer|mob|tfn|telnr|ring|sms|fax|växel)\W{0,3}$",
                            re.IGNORECASE)


def _valid(match: re.Match[str]) -> bool:
    g = match.group
    century, year, s1, sp, month, day, s3, t1, s4, t2 = (g("cc"), g("yy"), g("s1"), g("sp"), g("mm"), g("dd"),
                                                         g("s3"), g("t1"), g("s4"), g("t2"))
    if century is not None and int(century) not in (19, 20):
        return False  # twelve digits: the century comes first (19 or 20)
    if s1 is not None and (s3 is None or len(s3) != 1 or s3 not in SEPARATORS + s1):
        return False  # "1981-12-18-9876"; not "2026-08-19 1430", a date and a time
    if (s1 is not None or sp is not None) and s4:
        return False  # one split in the date or in the last four, not both ("08 10 20 30 40" is a phone)
    if s4 and not s3:
        return False
    dashed = s3 is not None and s3.strip() != ""
    before = match.string[max(0, match.start() - 20):match.start()].rstrip(" :.")
    if not dashed and century is None and s1 is None and _PHONE_CONTEXT.search(before):
        return False  # "mobil 0701234567": a phone number, not a personnummer
    if not 1 <= int(month) <= 12:
        return False
    d = int(day)
    if not (1 <= d <= 31 or 61 <= d <= 91):  # 61–91: samordningsnummer (day + 60)
        return False
    return _luhn_ok(year + month + day + t1 + t2)


def _as_shown(text: str) -> str:
    """The text without the format characters.  A run after a right-to-left override (U+202E) is shown as a
    reader of the original saw it (reversed) when that holds more numbers than the text as stored; otherwise
    as stored, so a number split by a stray override is still found."""
    if text.isascii():
        return text
    stored = text.translate(_DROP) if _HAS_FORMAT.search(text) else text
    if _RLO not in text:
        return stored
    seen = _OVERRIDDEN.sub(lambda m: m.group(1)[::-1], text).translate(_DROP)
    return seen if len(_numbers(seen)) >= len(_numbers(stored)) else stored


def visible(text: str) -> str:
    """The text without invisible format characters (what every output shows), override runs read reversed."""
    return _as_shown(text) if text else text


def _numbers(text: str) -> list[re.Match[str]]:
    """The valid numbers in text (already without format characters), left to right, not overlapping; a
    candidate that is not one ("2026-08-19-81121…") gives way to one starting inside it."""
    found, pos = [], 0
    while (m := _CANDIDATE.search(text, pos)) is not None:
        if _valid(m):
            found.append(m)
            pos = m.end()
        else:
            pos = m.start() + 1
    return found


def find_count(text: str) -> int:
    """How many valid personnummer/samordningsnummer the text holds (in whatever spelling it is shown)."""
    text = _as_shown(text or "")
    return len(_numbers(text)) if _may_hold_a_number(text) else 0


# The prefilter's table: every byte but the ASCII digits and the bytes of non-ASCII characters (a Unicode
# digit, or a format character that is dropped) is deleted.
_NOT_DIGITISH = bytes(b for b in range(256) if b < 0x80 and not ord("0") <= b <= ord("9"))


def _may_hold_a_number(text: str) -> bool:
    """False only when text has fewer than ten digits, which every number has (counted at C speed).

    A non-ASCII character is 2-4 UTF-8 bytes, all >= 0x80 and all kept: the answer is never False wrongly, at
    worst True needlessly.
    """
    return len(text.encode("utf-8", "surrogatepass").translate(None, _NOT_DIGITISH)) >= 10


def contains(text: str) -> bool:
    """find_count(text) > 0, quickly for the many texts with fewer than ten digits."""
    return bool(text) and _may_hold_a_number(text) and find_count(text) > 0


def redact(text: str) -> str:
    """The text as shown (format characters removed) with every valid number replaced by [personnummer];
    invalid ones are left alone."""
    if not text:
        return text
    text = _as_shown(text)
    if not _may_hold_a_number(text):
        return text
    out: list[str] = []
    pos = 0
    for m in _numbers(text):
        out += (text[pos:m.start()], REDACTED)
        pos = m.end()
    return "".join(out) + text[pos:] if out else text
