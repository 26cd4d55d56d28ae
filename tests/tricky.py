"""A deviation with a valid personnummer (811218-9876) planted in the spellings issue 25's review used to dodge
redaction: format characters inside it (zero-width space, soft hyphen, word joiner, BOM), reversed digits in a
bidi override, the ISO spelling, every separator and runs of spaces; in the subject, the form's fields and the
attachment's name.  Shared by tests/test_web_trust.py and the browser test."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

from config.rules import Rules
from ingest.types import RawMessage
from store.db import Database
from store.pipeline import Pipeline
from tests.formbuilder import build_form
from tests.mailbuilder import exchange_id, make_mail

DIGITS = "8112189876"              # Luhn-valid; never on a page in any order
SPELLINGS = ["8112\u200b18-9876", "81121\u00ad8-9876", "811218\u2060-9876", "\ufeff811218-9876",
             "\u202e6789-812118\u202c", "1981-12-18-9876", "811218.9876", "811218/9876", "811218_9876",
             "8112 18-9876", "811218-98 76", "811218     9876"]
SUBJECT = "BUS-avvikelse 8112\u200b18\u200b-9876 och 1981-12-18-9876"
MESSAGE_ID = exchange_id("web-tricky")


def tricky_mail() -> bytes:
    values = {"event_type": "Uteblivet möte \u202e6789-812118\u202c", "units_involved": ["BUP 811218.9876"],
              "description": "Barnet " + ", ".join(SPELLINGS) + " fick ingen tid.",
              "proposed_action": "Ring om 811218/9876", "reported_date": date(2026, 4, 2),
              "reporter_unit": "Skola 811218_9876", "reporter_contact_person": "Anna \ufeff8112189876",
              "reporter_email": "anna@skola.se", "reporter_phone": "08-123 456 78",
              "reporter_manager_name": "Chef 8112 18-9876", "reporter_manager_unit": "Enhet 811218-98 76",
              "reporter_manager_email": "chef@skola.se", "reporter_manager_phone": "08-123 456 00"}
    return make_mail(subject=SUBJECT, sender="anna@skola.se", to=["mottagare@sll.se"],
                     cc=["BUS-avvikelser@storsthlm.se"], when=datetime(2026, 4, 2, 9, 0, tzinfo=timezone.utc),
                     message_id=MESSAGE_ID, attachments=[("Avvikelse 1981-12-18-9876.docx", build_form(values))])


def load_tricky(db: Database, rules: Rules) -> None:
    with Pipeline(db, rules) as pipeline:
        pipeline.ingest([RawMessage("storsthlm", "INBOX", tricky_mail())])


def leaks(html: str) -> list[str]:
    """What of the planted number a page shows: its digits in order or reversed, or a format character."""
    digits = re.sub(r"\D", "", html)
    found = [d for d in (DIGITS, DIGITS[::-1]) if d in digits]
    return found + [f"U+{ord(c):04X}" for c in set(html) if c in "\u200b\u00ad\u2060\ufeff\u202e\u202c"]
