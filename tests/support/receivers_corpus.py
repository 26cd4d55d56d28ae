"""One deviation sent to three receivers and their answers (tests/test_receivers.py, test_receivers_migration.py)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from config.rules import Rules
from ingest.types import RawMessage
from pipeline.batch import Pipeline
from store.db import Database
from tests.support.formbuilder import build_form
from tests.support.mailbuilder import SECRETARIAT, exchange_id, make_mail

WHEN = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)          # due 2026-03-12, a Thursday
BUP, SKOLA, HAB = "anna.bup@regionstockholm.se", "rektor.exempelskolan@stockholm.se", "hab.chef@habilitering.se"
REPORT = {"event_type": "Uteblivet deltagande vid SIP-möte", "units_involved": ["BUP Globen", "Exempelskolan",
                                                                               "Habilitering Söder"],
          "description": "SIP-kallelse skickades i god tid\nIngen från BUP eller skolan kom",
          "reported_date": date(2026, 1, 12), "reporter_unit": "Socialtjänsten Farsta",
          "reporter_email": "rep@farsta.se", "reporter_manager_email": "olle@farsta.se"}
DEV = exchange_id("several-receivers-deviation")

BUP_ANSWER = {"response_description": "Vi har haft ett möte med skolan och missförståndet är utrett",
              "response_received_date": date(2026, 1, 20), "response_manager_name": "Anna Bup",
              "response_manager_unit": "BUP Globen", "response_manager_email": BUP,
              "response_manager_phone": "08-123 45 67"}
HAB_ANSWER = {"response_description": "Kallelsen kom bort hos oss",
              "response_improvements": "Vi kommer att införa en ny rutin för kallelser",
              "response_manager_name": "Hanna Hab", "response_manager_email": HAB}


def ingest(db: Database, rules: Rules, *mails: bytes) -> None:
    with Pipeline(db, rules) as pipeline:
        pipeline.ingest(RawMessage("storsthlm", "INBOX", m) for m in mails)


def deviation(to: tuple[str, ...] = (BUP, SKOLA, HAB), values: dict[str, Any] | None = None) -> bytes:
    return make_mail(subject="BUS-avvikelse: uteblivet SIP-möte", sender="rep@farsta.se", to=list(to),
                     cc=list(SECRETARIAT), when=WHEN, message_id=DEV,
                     attachments=[("avvikelse.docx", build_form(values or REPORT))])


def answer(sender: str, seed: str, days: int, *, section4: dict[str, Any] | None = None, body: str = "") -> bytes:
    """A reply in the deviation's thread; with `section4` the form comes back with section 4 filled."""
    attachments = [("svar.docx", build_form({**REPORT, **section4}))] if section4 else None
    return make_mail(subject="SV: BUS-avvikelse: uteblivet SIP-möte", sender=sender, to=["rep@farsta.se"],
                     cc=list(SECRETARIAT), when=WHEN.replace(day=12 + days), message_id=exchange_id(seed),
                     in_reply_to=DEV, references=[DEV], body=body or "Se bifogat svar.", attachments=attachments)
