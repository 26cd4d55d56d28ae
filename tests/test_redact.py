"""The one redactor (parsers/pnr.py, issue 25 M3): every spelling of a valid personnummer or samordningsnummer
is redacted, also when format or bidi characters are planted inside it or its digits are reversed inside a bidi
override; the format characters are gone from what is shown; ordinary dates and phone numbers are left alone."""
from __future__ import annotations

import re
import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.pnr import FORMAT_CHARACTERS, contains, find_count, redact
from parsers.safetext import shown
from tests.support.drill import DRILL

# Valid: 811218-9876 (Luhn), samordningsnummer 811278-9873 (day + 60).
SPELLINGS = ["19811218-9876", "811218-9876", "8112189876", "198112189876", "811218+9876", "811218–9876",
             "811218 9876", "811218\u00a09876", "1981-12-18-9876", "81-12-18-9876", "811218.9876", "811218/9876",
             "811218_9876", "8112 18-9876", "811218-98 76", "811218    9876", "811218 - 9876", "1981.12.18-9876",
             "8112\u200b18-9876", "81121\u00ad8-9876", "811218\u2060-9876", "\ufeff8112189876",
             "811218-\u200d9876", "\u202e6789-812118\u202c", "\u202e6789812118", "\u2066811218-9876\u2069",
             "81\u200e1218\u200f-9876"]


def test_every_spelling_the_review_found_is_redacted() -> None:
    for spelling in SPELLINGS:
        for around in ("{}", "Elev {} i klass 3", "pnr:{}.", "BUS-avvikelse-{}", "<b>{}</b>"):
            text = around.format(spelling)
            out = redact(text)
            assert "[personnummer]" in out and find_count(text) == 1, (text, out)
            assert not re.search(r"9876|6789", out), (text, out)
            assert not FORMAT_CHARACTERS.intersection(map(ord, out)), (text, out)


def test_invalid_numbers_dates_and_phone_numbers_are_left_alone() -> None:
    for text in ("811218-9875", "1981-12-18-9875", "811218.9877", "2026-08-19", "2026-08-19 1430",
                 "2026-08-19 14:30", "19/8 2026", "19 augusti 2026", "telefon 08-123 456 78", "070-123 45 67",
                 "08 10 20 30 40", "mobil 0701234567", "ärende BUS-2026-0036", "2026-08-19–2026-09-01",
                 "1234567890123", "12345678901234567890"):
        assert redact(text) == text and find_count(text) == 0 and not contains(text), text


def test_a_number_after_a_date_is_still_found() -> None:
    assert redact("2026-08-19-811218-9876") == "2026-08-19-[personnummer]"
    assert redact("811278-9873") == "[personnummer]"          # samordningsnummer


def test_the_list_of_format_characters_is_unicodes() -> None:
    every = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"}
    assert every <= FORMAT_CHARACTERS, sorted(every - FORMAT_CHARACTERS)


def test_shown_drops_format_characters_and_keeps_emoji_and_text() -> None:
    assert shown("a\u200bb\u202ec\u202c\u00add") == "abcd"
    assert shown("Södertälje – ÅÄÖ") == "Södertälje – ÅÄÖ"


def _luhn_digit(nine: str) -> str:
    total = 0
    for i, ch in enumerate(nine):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


@st.composite
def numbers(draw: st.DrawFn) -> tuple[str, str, str, str]:
    """(century, YYMMDD, last four) of a valid number; the day may be a samordningsnummer's."""
    century = draw(st.sampled_from(["19", "20"]))
    yy, mm = draw(st.integers(0, 99)), draw(st.integers(1, 12))
    dd = draw(st.integers(1, 28)) + draw(st.sampled_from([0, 60]))
    date = f"{yy:02d}{mm:02d}{dd:02d}"
    three = f"{draw(st.integers(0, 999)):03d}"
    return century, date, three + _luhn_digit(date + three), f"{yy:02d}"


SEPARATOR_RUNS = st.sampled_from(["", "-", "–", "—", "+", ".", "/", "_", " ", "   ", "\u00a0", " - ", "\t", "−"])
INVISIBLE = st.sampled_from(sorted(chr(c) for c in FORMAT_CHARACTERS if c < 0x10000))
WORDS = st.text(alphabet=st.characters(categories=["L", "Zs", "P"], max_codepoint=0x2FF), max_size=12)


@st.composite
def spelled(draw: st.DrawFn) -> tuple[str, str]:
    century, date, tail, _ = draw(numbers())
    lead = draw(st.sampled_from(["", century]))
    yymmdd = date
    form = draw(st.sampled_from(["plain", "iso", "split_day", "split_tail"]))
    if form == "iso":
        sep = draw(st.sampled_from(["-", ".", "/"]))
        text = f"{lead}{date[:2]}{sep}{date[2:4]}{sep}{date[4:]}{draw(st.sampled_from(['-', '–', '+']))}{tail}"
    elif form == "split_day":
        text = f"{lead}{date[:4]}{draw(st.sampled_from([' ', '  ']))}{date[4:]}-{tail}"
    elif form == "split_tail":
        text = f"{lead}{yymmdd}{draw(st.sampled_from(['-', ' - ', '–']))}{tail[:2]} {tail[2:]}"
    else:
        text = f"{lead}{yymmdd}{draw(SEPARATOR_RUNS)}{tail}"
    # invisible characters planted anywhere inside
    chars = list(text)
    for _ in range(draw(st.integers(0, 4))):
        chars.insert(draw(st.integers(0, len(chars))), draw(INVISIBLE))
    text = "".join(chars)
    if draw(st.booleans()) and "\u202e" not in text and "\u202c" not in text:
        text = "\u202e" + text.translate({0x202E: None, 0x202C: None, 0x2069: None, 0x0A: None})[::-1] + "\u202c"
    return text, date + tail


def _no_spelling_gets_through(number: tuple[str, str], before: str, after: str) -> None:
    text, digits = number
    out = redact(f"{before} {text} {after}")
    assert "[personnummer]" in out
    only_digits = re.sub(r"\D", "", out)
    assert digits not in only_digits and digits[::-1] not in only_digits
    assert not FORMAT_CHARACTERS.intersection(map(ord, out))


def _phone_numbers_are_not_redacted(area: str, number: int, layout: str) -> None:
    n = f"{number:07d}" if area != "08" else f"{number:08d}"
    text = layout.format(a=area, b=n[:3], c=n[3:5], d=n[5:])
    assert redact(f"ring {text}") == f"ring {text}"


def _dates_are_not_redacted(day: object, layout: str, n: int, other: object) -> None:
    text = layout.format(d=day, e=other, t=f"{n // 100 % 24:02d}:{n % 60:02d}", n=f"ärende {n}")
    assert redact(text) == text


# Each property twice: a few examples in the fast loop, the full drill with the integration/reliability tests.
_SPELLINGS = given(spelled(), WORDS, WORDS)
_PHONES = given(st.sampled_from(["070", "072", "073", "076", "08", "031", "040"]), st.integers(0, 10**7 - 1),
                st.sampled_from(["{a}-{b} {c} {d}", "{a}-{b}{c}{d}", "{a} {b} {c} {d}", "{a}/{b} {c} {d}"]))
_DATES = given(st.dates(), st.sampled_from(["{d}", "{d} {t}", "{d}–{e}", "{d} kl. {t}", "{d}, {n}"]),
               st.integers(0, 9999), st.dates())
test_property_no_spelling_gets_through = settings(max_examples=60, deadline=None)(
    _SPELLINGS(_no_spelling_gets_through))
test_property_phone_numbers_are_not_redacted = settings(max_examples=40, deadline=None)(
    _PHONES(_phone_numbers_are_not_redacted))
test_property_dates_are_not_redacted = settings(max_examples=40, deadline=None)(_DATES(_dates_are_not_redacted))
test_property_no_spelling_gets_through_many = DRILL(settings(max_examples=600, deadline=None)(
    _SPELLINGS(_no_spelling_gets_through)))
test_property_phone_numbers_are_not_redacted_many = DRILL(settings(max_examples=400, deadline=None)(
    _PHONES(_phone_numbers_are_not_redacted)))
test_property_dates_are_not_redacted_many = DRILL(settings(max_examples=400, deadline=None)(
    _DATES(_dates_are_not_redacted)))
