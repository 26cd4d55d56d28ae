"""`[retention]`: each owner's culling decision (gallringsbeslut), one table per mailbox.

    [retention]
    report_adopted_by = "04-30"            # a year's report counts as adopted by 30 April of the next year …
    [retention.report_adopted]
    "2025" = 2026-03-18                    # … unless its day is written here
    [retention.hsf]                        # the name of a [[mailboxes]] table / `import --mailbox`
    decision = "RS 2026-0123"              # the decision's reference (dnr)
    counted_from = "report_adopted"        # received | case_closed | report_adopted
    archive_law = true                     # a public body: erasure requests are refused (arkivlagen)
    raw_mail_days = 730
    free_text_days = 730
    contacts_days = 365

A class without a period is kept.  The periods come from the owners' decisions: they are never code.  Every
problem is reported in Swedish, with the key that is wrong.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from config.settings import RETENTION_CLASSES, RETENTION_EVENTS, RetentionRule, RetentionSettings

GLOBAL_KEYS = ("report_adopted", "report_adopted_by")
RULE_KEYS = ("decision", "counted_from", "archive_law", *(f"{c}_days" for c in RETENTION_CLASSES))
MAX_DAYS = 36_500                       # a hundred years
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


def _days(value: Any, key: str, errors: list[str]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
        errors.append(f"{key}: ett antal dagar (ett heltal 0–{MAX_DAYS}) väntades, fick {value!r}")
        return None
    return value


def _rule(mailbox: str, table: Any, errors: list[str]) -> RetentionRule | None:
    prefix = f"retention.{mailbox}"
    if not isinstance(table, dict):
        errors.append(f"{prefix}: en tabell [{prefix}] väntades")
        return None
    found: list[str] = []
    unknown = sorted(set(table) - set(RULE_KEYS))
    if unknown:
        found.append(f"{prefix}: okänd(a) nyckel(nycklar) {', '.join(unknown)}; kända: {', '.join(RULE_KEYS)}")
    decision = table.get("decision")
    if not isinstance(decision, str) or not decision.strip():
        found.append(f"{prefix}.decision: beslutets diarienummer saknas (t.ex. decision = \"RS 2026-0123\")")
    counted_from = table.get("counted_from", "report_adopted")
    if counted_from not in RETENTION_EVENTS:
        found.append(f"{prefix}.counted_from: en av {', '.join(RETENTION_EVENTS)} väntades, fick {counted_from!r}")
    archive_law = table.get("archive_law", False)
    if not isinstance(archive_law, bool):
        found.append(f"{prefix}.archive_law: true eller false väntades, fick {archive_law!r}")
    periods = {f"{c}_days": _days(table[f"{c}_days"], f"{prefix}.{c}_days", found)
               for c in RETENTION_CLASSES if f"{c}_days" in table}
    errors += found
    if found:
        return None
    return RetentionRule(mailbox=mailbox, decision=str(decision).strip(), counted_from=str(counted_from),
                         archive_law=bool(archive_law), **periods)


def _adopted(value: Any, errors: list[str]) -> tuple[tuple[int, date], ...]:
    if not isinstance(value, dict):
        errors.append("retention.report_adopted: en tabell \"ÅR\" = DAG väntades, t.ex. \"2025\" = 2026-03-18")
        return ()
    out = []
    for year, day in value.items():
        if not (isinstance(year, str) and year.isdigit() and len(year) == 4):
            errors.append(f"retention.report_adopted: {year!r} är inget årtal")
        elif not isinstance(day, date) or day.year <= int(year):
            errors.append(f"retention.report_adopted.{year}: ett datum efter året väntades, t.ex. "
                          f"{int(year) + 1}-03-18, fick {day!r}")
        else:
            out.append((int(year), day))
    return tuple(sorted(out))


def parse_retention(data: Any, mailboxes: tuple[str, ...], errors: list[str]) -> RetentionSettings:
    """The `[retention]` table, validated; problems are appended to `errors` (in Swedish).  `mailboxes`: the
    names of the configured [[mailboxes]] (a rule may also name a mailbox only `import --mailbox` uses)."""
    if not isinstance(data, dict):
        errors.append("retention: en tabell [retention] väntades")
        return RetentionSettings()
    by = data.get("report_adopted_by", "")
    if not isinstance(by, str) or (by and not _MONTH_DAY.match(by)):
        errors.append(f"retention.report_adopted_by: en dag som \"04-30\" (månad-dag året efter) väntades, "
                      f"fick {by!r}")
        by = ""
    adopted = _adopted(data.get("report_adopted", {}), errors)
    rules = []
    for name, table in data.items():
        if name in GLOBAL_KEYS:
            continue
        if not isinstance(table, dict):
            errors.append(f"retention.{name}: okänd nyckel; kända: {', '.join(GLOBAL_KEYS)} och en tabell "
                          f"[retention.BREVLÅDA] per brevlåda{_known(mailboxes)}")
            continue
        rule = _rule(name, table, errors)
        if rule is not None:
            rules.append(rule)
    return RetentionSettings(rules=tuple(rules), report_adopted=adopted, report_adopted_by=str(by))


def _known(mailboxes: tuple[str, ...]) -> str:
    return f" ({', '.join(mailboxes)})" if mailboxes else ""
