"""Dates as people type them on the form: ISO, d/m/y, "15 mars 2021", "den 15 mars 2021".  Pure.

A date before 1990 or after next year (a typo such as 0001-01-01, or a forged mail Date) is not believed:
the caller records `date_implausible` and the arrival time stands in for it.
"""
from __future__ import annotations

import re
from datetime import date, datetime

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate((
    ("januari", "jan", "january"), ("februari", "feb", "february"), ("mars", "mar", "march"),
    ("april", "apr"), ("maj", "may"), ("juni", "jun", "june"), ("juli", "jul", "july"),
    ("augusti", "aug", "august"), ("september", "sep", "sept"), ("oktober", "okt", "oct", "october"),
    ("november", "nov"), ("december", "dec"),
), start=1):
    for _name in _names:
        _MONTHS[_name] = _number

_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_YMD = re.compile(r"(?<!\d)(\d{4})[./](\d{1,2})[./](\d{1,2})(?!\d)")
_DMY = re.compile(r"(?<!\d)(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?!\d)")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_DAY_MONTH = re.compile(r"(?<!\d)(\d{1,2})(?::?e|st|nd|rd|th)?\.?\s+([a-zåäö]+)\.?,?\s+(\d{4})(?!\d)")
_MONTH_DAY = re.compile(r"\b([a-zåäö]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")
# In a mail's Date: a number of three or more digits that is neither the time nor the zone: the year as written.
_WRITTEN_YEAR = re.compile(r"(?<![\d:+-])(\d{3,})(?![\d:])")
FIRST_PLAUSIBLE_YEAR = 1990


def plausible_year(year: int, today: date | None = None) -> bool:
    """From 1990 to next year (the clock's year, or `today`'s)."""
    return FIRST_PLAUSIBLE_YEAR <= year <= (today or date.today()).year + 1


class DayError(ValueError):
    """A day argument that is not a date (`day` None) or a date outside the plausible years (`day` that date)."""

    def __init__(self, text: str, day: date | None = None) -> None:
        super().__init__(text)
        self.text, self.day = text, day


def iso_day(text: str) -> date:
    """A day as every command and correction takes it: YYYY-MM-DD (spaces around ignored), from
    FIRST_PLAUSIBLE_YEAR to next year, as the stored dates.  Each caller words the DayError its own way."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise DayError(text) from None
    if not plausible_year(day.year):
        raise DayError(text, day)
    return day


def mail_date_year(text: str, value: datetime) -> int:
    """The year of a mail's Date as written: the stdlib reads "0001" as 2001 and "0000" as 2000 (the rule
    for two-digit years), which would open a case in a year nobody wrote."""
    for match in _WRITTEN_YEAR.finditer(text):
        if int(match[1]) < 1000:
            return int(match[1])
    return value.year


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_full_date(value: str) -> date | None:
    """`w:date/@w:fullDate`, e.g. "2021-03-15T00:00:00Z"."""
    match = _ISO.match(value.strip())
    return _make(int(match[1]), int(match[2]), int(match[3])) if match else None


def _numeric(text: str) -> date | None:
    for pattern, order in ((_ISO, (1, 2, 3)), (_YMD, (1, 2, 3)), (_COMPACT, (1, 2, 3)), (_DMY, (3, 2, 1))):
        match = pattern.search(text)
        if match:
            year, month, day = (int(match[i]) for i in order)
            if len(match[order[0]]) == 2:   # "15/3/21"; a year typed as 0001 stays year 1 (implausible)
                year += 2000
            return _make(year, month, day)
    return None


def _named(text: str) -> date | None:
    match = _DAY_MONTH.search(text)
    if match and match[2] in _MONTHS:
        return _make(int(match[3]), _MONTHS[match[2]], int(match[1]))
    match = _MONTH_DAY.search(text)
    if match and match[1] in _MONTHS:
        return _make(int(match[3]), _MONTHS[match[1]], int(match[2]))
    return None


def parse_date(text: str) -> date | None:
    """A typed date, or None when the text holds no recognisable date."""
    lowered = text.strip().lower()
    if not lowered or len(lowered) > 80:
        return None
    return _numeric(lowered) or _named(lowered)


_TYPED_NUMERIC = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{8}|\d{1,2}[./-]\d{1,2}[./-]\d{4}|\d{4}[./]\d{1,2}[./]\d{1,2}")
_TYPED_SLASH_SPACE = re.compile(r"(\d{1,2}) ?/ ?(\d{1,2}),? (\d{4})")               # "19/8 2026"
_TYPED_NAMED = re.compile(r"(\d{1,2})(?::e)?\.? ([a-zåäö]+)\.?,? (\d{4})")          # "19 augusti 2026", "19 aug. 2026"


def typed_day(text: str) -> date | None:
    """A whole field typed as people write a date on the form: "19 augusti 2026", "den 19 aug 2026",
    "2026-08-19", "19/8 2026", "19/8/2026", "19.8.2026"; None for anything else (text around it too)."""
    t = " ".join(text.strip().lower().split())
    t = t.removeprefix("den ")
    if not t or len(t) > 40:
        return None
    if _TYPED_NUMERIC.fullmatch(t):
        return _numeric(t)
    match = _TYPED_SLASH_SPACE.fullmatch(t)
    if match:
        return _make(int(match[3]), int(match[2]), int(match[1]))
    match = _TYPED_NAMED.fullmatch(t)
    if match and match[2] in _MONTHS:
        return _make(int(match[3]), _MONTHS[match[2]], int(match[1]))
    return None
