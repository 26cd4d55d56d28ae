"""Addresses are read from the header as sent, display names decoded after: an RFC 2047 display name that
decodes to text holding an address (`Chef\r\nBcc: evil@x.test`, `evil@x.test,`) never yields that address, so
it can never reach a case's receivers or a reminder's recipients."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from config.rules import Rules
from config.settings import ReminderSettings, Settings
from ingest.types import RawMessage
from notify import outbox
from parsers.mail import parse_email
from pipeline.batch import Pipeline
from store.caseview import case_view
from store.db import Database
from store.models import Case
from tests.support import hostilemail
from tests.support.formbuilder import SAMPLE_VALUES, build_form
from tests.support.mailbuilder import SECRETARIAT, make_mail

CHEF = "chef@socialtjanst.stockholm.se"
EVIL = "evil@x.test"
# Display names that decode to text holding an address: each must stay a name.
INJECTIONS = {
    "crlf_bcc_b": hostilemail.encoded_name(f"Chef\r\nBcc: {EVIL}"),
    "crlf_bcc_q": hostilemail.encoded_name(f"Chef\r\nBcc: {EVIL}", "q"),
    "trailing_comma_b": hostilemail.encoded_name(f"{EVIL},"),
    "trailing_comma_q": hostilemail.encoded_name(f"{EVIL},", "q"),
    "angle_and_comma_b": hostilemail.encoded_name(f"Chef <{CHEF}>, {EVIL}"),
}


@pytest.mark.parametrize("name", INJECTIONS.values(), ids=list(INJECTIONS))
def test_encoded_display_name_never_yields_an_address(name: str, rules: Rules) -> None:
    raw = hostilemail.recipients_mail(f"{name} <{CHEF}>, {SECRETARIAT[0]}")
    parsed = parse_email(raw, rules)
    assert [a.email for a in parsed.to] == [CHEF, SECRETARIAT[0].lower()]
    assert EVIL in parsed.to[0].name                  # the name is decoded, after the address was read
    assert "\r" not in parsed.to[0].name and "\n" not in parsed.to[0].name


@pytest.mark.parametrize("header", [
    "=?utf-8?q?Chef_evil@x.test_?= <chef@socialtjanst.stockholm.se>",    # '@' inside a Q word, unencoded
    "=?utf-8?q?a,evil@x.test?= <chef@socialtjanst.stockholm.se>",        # a comma inside a Q word
    "<=?utf-8?q?evil@x.test?=>, chef@socialtjanst.stockholm.se",          # an encoded word as the address
    "=?utf-8?b?ZXZpbEB4LnRlc3Q=?=, chef@socialtjanst.stockholm.se",         # a B word standing alone
    '"evil@x.test" <chef@socialtjanst.stockholm.se>',                       # quoted, never an address
])
def test_only_an_addr_spec_standing_in_the_header_is_an_address(header: str, rules: Rules) -> None:
    assert [a.email for a in parse_email(hostilemail.recipients_mail(header), rules).to] == [CHEF]


def test_injected_name_never_reaches_a_case_or_a_reminder(db: Database, rules: Rules) -> None:
    hostile = f"{INJECTIONS['crlf_bcc_b']} <{CHEF}>, {INJECTIONS['trailing_comma_q']} <{CHEF}>"
    raw = make_mail(subject="Avvikelse BUS – uteblivet SIP-möte", sender="rapportor@bup.sll.se",
                    to=["placeholder@example.se"], cc=list(SECRETARIAT), when=datetime(2026, 1, 16, 9, tzinfo=UTC),
                    attachments=[("Avvikelseblankett.docx", build_form(SAMPLE_VALUES))])
    raw = raw.replace(b"To: placeholder@example.se", f"To: {hostile}".encode(), 1)
    with Pipeline(db, rules, workers=1) as pipeline:
        pipeline.ingest([RawMessage("storsthlm", "INBOX", raw, 1, 1)])
    with db.session() as s:
        [case] = s.scalars(select(Case))
        assert case.receivers == [CHEF]
        assert EVIL not in case.participants
        settings = Settings(database_url=db.url, reminders=ReminderSettings(enabled=True,
                                                                            start_date=date(2026, 1, 1)))
        to, cc = outbox.recipients(case_view(case), "first", settings, rules)
    assert to == (CHEF,) and EVIL not in cc
    assert all(EVIL not in (*p.to, *p.cc) for p in outbox.plan(db, date(2026, 3, 16), datetime(2026, 3, 16, 8,
                                                                tzinfo=UTC), settings, rules, dry_run=True))


def test_raw_utf8_header_is_read_as_sent(rules: Rules) -> None:
    """8-bit bytes in To: are read as UTF-8, not as U+FFFD (which made an address no server could take)."""
    parsed = parse_email(hostilemail.recipients_mail(f"Åsa Öberg <åsa@kommun.se>, Chef <{CHEF}>"), rules)
    assert [(a.name, a.email) for a in parsed.to] == [("Åsa Öberg", "åsa@kommun.se"), ("Chef", CHEF)]
