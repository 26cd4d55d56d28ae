"""Options every command reads the same way: a day (`--as-of`, `--since`), checked before any work starts.

A bad value gets one line on standard error and exit code 2 (as any usage error), never a traceback."""
from __future__ import annotations

from datetime import date

from busavvik.console import usage_error
from config.localzone import STOCKHOLM, LocalTime
from parsers.dates import FIRST_PLAUSIBLE_YEAR, DayError, iso_day


def parse_day(value: str | None, option: str = "--as-of", local: LocalTime = STOCKHOLM) -> date:
    """A day given as YYYY-MM-DD (today in worker.timezone when not given); from 1990 to next year."""
    if value is None:
        return local.today()
    try:
        return iso_day(value)
    except DayError as exc:
        if exc.day is None:
            usage_error(f"{option}: förväntade ett datum som 2026-03-01, fick {value!r}")
        usage_error(f"{option}: {exc.day.isoformat()} ligger före {FIRST_PLAUSIBLE_YEAR} eller efter nästa år "
                    f"({date.today().year + 1})")
