"""Reminders are never sent twice: crashes between send and commit, stale rows, 451 retries, cut connections."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from config.rules import Rules
from notify import outbox
from store.db import Database
from store.models import Message, RawBlob, Reminder
from tests.support.reminders import (
    add_case,
    at,
    make_app,
    rows,
    run,
    sink,  # noqa: F401 - fixture
)
from tests.support.servers.smtpsink import SmtpSink

pytestmark = pytest.mark.integration


# ---- never twice ---------------------------------------------------------------------------------------

def test_crash_between_send_and_commit_sends_nothing_twice(db: Database, rules: Rules, sink: SmtpSink,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    when = at(date(2026, 3, 16))

    def crash(*_a: object, **_k: object) -> bool:
        raise RuntimeError("simulated crash before the mark-sent commit")

    monkeypatch.setattr(outbox, "mark_sent", crash)
    run(app, when)            # the error is caught: after the body was handed over, the row is unknown at once
    assert len(sink.messages()) == 1 and rows(db)[0].status == "unknown"
    monkeypatch.undo()
    run(app, when + timedelta(minutes=1))                       # rerun at once: the row is not pending
    run(app, when + timedelta(minutes=30))                      # after STALE_AFTER: unknown, not resent
    assert len(sink.messages()) == 1
    assert rows(db)[0].status == "unknown"
    assert any("OKÄNT om den kom fram" in line for line in run(app, when + timedelta(hours=1)).attention)
    assert len(sink.messages()) == 1


def test_stale_delivering_row_confirmed_by_the_secretariat_copy(db: Database, rules: Rules,
                                                                sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    when = at(date(2026, 3, 16))
    outbox.plan(db, date(2026, 3, 16), when, app.settings, rules)
    [(rid, claimed)] = outbox.claim(db, when)
    with db.session() as s:
        row = s.get_one(Reminder, rid)
        row.status = "delivering"
        mid = row.message_id
        s.add(Message(message_id=mid.strip("<>").lower(), message_id_header=mid, raw_sha256=s.scalars(
            select(RawBlob.sha256)).first(), subject="Påminnelse", first_seen=when, kind="other"))
    assert outbox.recover(db, when + timedelta(hours=1))["sent"] == 1
    assert rows(db)[0].status == "sent" and sink.messages() == []


def test_crash_before_the_body_was_sent_is_retried_once(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    when = at(date(2026, 3, 16))
    outbox.plan(db, date(2026, 3, 16), when, app.settings, rules)
    outbox.claim(db, when)                                      # claimed, then the process died
    run(app, when + timedelta(minutes=1))
    assert sink.messages() == []
    summary = run(app, when + timedelta(minutes=30))
    assert summary.recovered["requeued"] == 1
    assert len(sink.messages()) == 1 and rows(db)[0].status == "sent"


def test_retry_after_451(db: Database, rules: Rules, sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    sink.fail_next(1, 451)
    assert [d.status for d in run(app, at(date(2026, 3, 16))).deliveries] == ["sent"]
    assert len(sink.messages()) == 1


def test_451_beyond_the_retries_stays_pending_for_the_next_run(db: Database, rules: Rules,
                                                               sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    sink.fail_next(3, 451)                                      # retries = 2: three attempts fail
    run(app, at(date(2026, 3, 16)))
    [row] = rows(db)
    assert row.status == "pending" and "451" in (row.last_error or "")
    run(app, at(date(2026, 3, 16), 9, 10))
    assert len(sink.messages()) == 1 and rows(db)[0].status == "sent"


def test_connection_dropped_after_the_body_is_unknown_not_resent(db: Database, rules: Rules,
                                                                 sink: SmtpSink) -> None:
    app = make_app(db, rules, sink)
    add_case(db, 1, date(2026, 1, 16))
    sink.drop_next(1)
    assert [d.status for d in run(app, at(date(2026, 3, 16))).deliveries] == ["unknown"]
    run(app, at(date(2026, 3, 17)))
    assert sink.messages() == [] and rows(db)[0].status == "unknown"
    assert outbox.resolve(db, "BUS-2026-0001", "first", False, at(date(2026, 3, 17))) == "pending"
    run(app, at(date(2026, 3, 17), 10))
    assert len(sink.messages()) == 1
