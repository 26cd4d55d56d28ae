"""/drift in Swedish (issue 24): reminder and digest states, set-aside reasons and read positions without internal
words or codes ("sent: 9", "UIDVALIDITY", "first", "hung_up")."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from config.rules import Rules
from store.db import Database
from store.models import Case, Cursor, DigestRun, Reminder, SetAsideMail
from tests.support import web_support as ws

AT = datetime(2026, 5, 4, 7, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(db: Database, rules: Rules) -> Database:
    ws.load(db, rules)
    with db.session(write=True) as s:
        cases = s.scalars(select(Case).order_by(Case.case_id)).all()
        s.add(Cursor(mailbox="storsthlm", folder="INBOX", uidvalidity=1712345678, last_uid=4711, updated_at=AT))
        s.add(SetAsideMail(mailbox="storsthlm", folder="INBOX", uidvalidity=1712345678, uid=4700, code="hung_up",
                           reason="connection reset", summary="", first_at=AT, last_tried_at=AT, attempts=3))
        for n, (case, step, status) in enumerate([(cases[0], "first", "sent"), (cases[1], "first", "sent"),
                                                  (cases[2], "second", "failed")]):
            s.add(Reminder(case_pk=case.id, step=step, status=status, due_on=date(2026, 5, 4),
                           message_id=f"<r{n}@busavvik.test>", created_at=AT, attempts=1,
                           last_error="SMTP 451" if status == "failed" else None))
        s.add(DigestRun(scheduled_for=datetime.now(timezone.utc), status="sent", attempts=1,
                        updated_at=datetime.now(timezone.utc)))
    return db


def test_drift_reads_in_swedish(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "admin")
    html = c.get("/drift").text
    main = re.sub(r"<[^>]+>", " ", html.split("<main>", 1)[1])
    for word in ("UIDVALIDITY", "UID ", "sent", "failed", "first", "second", "hung_up", "pending"):
        assert word not in main, word
    assert "Misslyckades: 1 · Skickad: 2" in main
    assert "meddelande nr 4711" in main and "hämtningen avbröts upprepade gånger" in main
    assert "påminnelse 2" in main and "misslyckades" in main and "SMTP 451" in main
    assert "Senaste fel" in main and "skickad" in main
