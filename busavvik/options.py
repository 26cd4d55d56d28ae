"""Options every command reads the same way: a day (`--as-of`, `--since`), checked before any work starts.

A bad value gets one line on standard error and exit code 2 (as any usage error), never a traceback."""
from __future__ import annotations

from datetime import date
from typing import NoReturn

import typer

from busavvik.console import err
from parsers.dates import FIRST_PLAUSIBLE_YEAR, plausible_year


def usage_error(message: str) -> NoReturn:
    """One line on standard error ("fel: …"), exit code 2.  The text is never read as Rich markup."""
    err.print(f"fel: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def parse_day(value: str | None, option: str = "--as-of") -> date:
    """A day given as YYYY-MM-DD (today when not given); from 1990 to next year, as the stored dates."""
    if value is None:
        return date.today()
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        usage_error(f"{option}: förväntade ett datum som 2026-03-01, fick {value!r}")
    if not plausible_year(day.year):
        usage_error(f"{option}: {day.isoformat()} ligger före {FIRST_PLAUSIBLE_YEAR} eller efter nästa år "
                    f"({date.today().year + 1})")
    return day
