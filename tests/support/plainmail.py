"""Plain questions to the secretariat, numbered (no form): tests/test_batch_places.py, test_bulk_gc.py."""
from __future__ import annotations

from datetime import datetime, timezone

from tests.support.mailbuilder import make_mail

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def question(n: int, body: str = "", message_id: str | None = None) -> bytes:
    return make_mail(subject=f"Fråga {n}", sender=f"anna{n}@solna.se", to=["BUS-avvikelser@storsthlm.se"],
                     when=WHEN, body=body or f"Hej {n}", message_id=message_id or f"<m{n}@solna.se>")
