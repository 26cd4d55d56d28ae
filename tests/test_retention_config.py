"""`[retention.MAILBOX]`: each owner's culling decision, typed and validated with Swedish messages."""
from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.load import parse_settings

GOOD = """
[retention]
report_adopted_by = "04-30"
[retention.report_adopted]
"2024" = 2025-03-18
[retention.hsf]
decision = "RS 2026-0123"
archive_law = true
raw_mail_days = 3650
free_text_days = 3650
contacts_days = 365
[retention.storsthlm]
decision = "Storsthlm 2026/45"
counted_from = "case_closed"
raw_mail_days = 730
other_mail_days = 90
"""


def test_rules_per_mailbox() -> None:
    r = parse_settings(tomllib.loads(GOOD)).retention
    hsf, sth = r.rule("hsf"), r.rule("storsthlm")
    assert hsf is not None and sth is not None and r.rule("other") is None
    assert (hsf.decision, hsf.archive_law, hsf.counted_from) == ("RS 2026-0123", True, "report_adopted")
    assert hsf.days("raw_mail") == 3650 and hsf.days("contacts") == 365
    assert hsf.days("own_mail") is None and hsf.days("access_log") is None        # no period: kept
    assert (sth.counted_from, sth.days("other_mail"), sth.archive_law) == ("case_closed", 90, False)
    assert r.adopted(2024) == date(2025, 3, 18)
    assert r.adopted(2025) == date(2026, 4, 30)


def test_no_retention_keeps_everything() -> None:
    r = parse_settings({}).retention
    assert r.rules == () and r.adopted(2024) is None


@pytest.mark.parametrize("table, message", [
    ({"hsf": {"raw_mail_days": 10}}, "retention.hsf.decision: beslutets diarienummer saknas"),
    ({"hsf": {"decision": "X", "raw_mail_days": -1}}, "retention.hsf.raw_mail_days: ett antal dagar"),
    ({"hsf": {"decision": "X", "raw_mail_days": "tio"}}, "ett antal dagar"),
    ({"hsf": {"decision": "X", "mail_days": 3}}, "okänd(a) nyckel(nycklar) mail_days"),
    ({"hsf": {"decision": "X", "counted_from": "closed"}}, "retention.hsf.counted_from: en av received"),
    ({"hsf": {"decision": "X", "archive_law": "ja"}}, "archive_law: true eller false"),
    ({"report_adopted_by": "30 april"}, "retention.report_adopted_by"),
    ({"report_adopted": {"2024": "snart"}}, "retention.report_adopted.2024: ett datum efter året"),
    ({"report_adopted": {"2024": date(2024, 5, 1)}}, "ett datum efter året"),
    ({"hsf": 5}, "retention.hsf: okänd nyckel"),
])
def test_bad_rules_are_named_in_swedish(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings({"retention": table})
    assert message in str(info.value)


def test_example_config_parses() -> None:
    """docs/config.example.toml's retention tables, uncommented, are valid."""
    text = (Path(__file__).parents[1] / "docs" / "config.example.toml").read_text(encoding="utf-8")
    part = text[text.index("# [retention]"):text.index("\n[web]")]
    lines = [line[2:] for line in part.splitlines() if line.startswith("# [") or (
        line.startswith("# ") and "=" in line.split("#")[1])]
    r = parse_settings(tomllib.loads("\n".join(lines))).retention
    assert {x.mailbox for x in r.rules} == {"hsf", "storsthlm"}
