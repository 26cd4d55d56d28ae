"""Part 2 of the crash harness (tests/support/crash.py): SIGKILL `busavvik remind` while an SMTP sink holds
its final 250 back, and count reminders received twice or lost.

Split out of tests/support/crash.py; that module re-exports these names.
"""
from __future__ import annotations

import asyncio
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import func, select

from notify.policy import is_working_day
from store.db import Database
from store.models import Case, Reminder
from tests.support import harness
from tests.support.servers.smtpsink import SinkHandler, SmtpSink, free_port

STARTUP = 1.0          # seconds a `busavvik` process needs before it talks to a server (imports, migrations)


# ---- an SMTP sink that holds its final answer back ------------------------------------------------------
class SlowHandler(SinkHandler):
    """Stores the message, then waits `delay` s before answering 250: the client's kill window."""

    def __init__(self, root: Path, delay: float) -> None:
        super().__init__(root)
        self.delay = delay

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(self.delay)
        return answer


class SlowSink(SmtpSink):
    def __init__(self, root: Path, delay: float = 0.1) -> None:  # noqa: D107 - SmtpSink's set-up, slow handler
        self.root = root
        self.handler = SlowHandler(root, delay)
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def count(self) -> int:
        return len(self.handler.log.read_text().splitlines()) if self.handler.log.exists() else 0


# ---- reminders --------------------------------------------------------------------------------------------
@dataclass
class ReminderFigures:
    due: int = 0                     # reminders the policy wants to send (rows at the end)
    kills: int = 0
    kills_in_window: int = 0         # killed after the sink had the message, before the 250 reached us
    received: int = 0
    received_twice: int = 0          # same (case, step) more than once
    sent: int = 0
    unknown: int = 0                 # rows a human must resolve (the documented window), never resent
    never_received: int = 0          # rows sent/pending whose message the sink does not have
    seconds: float = 0.0


def reminder_failures(f: ReminderFigures) -> list[str]:
    found = [f"{n} {what}" for n, what in ((f.received_twice, "reminders received twice"),
                                           (f.never_received, "marked sent, never received")) if n]
    return found + ([] if f.sent + f.unknown == f.due else [f"{f.due - f.sent - f.unknown} reminders lost"])


def _next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _as_of(db_url: str) -> date:
    db = Database(db_url)
    try:
        with db.session() as s:
            last_due = s.scalar(select(func.max(Case.response_due)))
    finally:
        db.dispose()
    assert last_due is not None, "no case was opened: nothing to remind"
    return _next_working_day(last_due)


def _rows(db_url: str) -> list[tuple[str, str]]:
    db = Database(db_url)
    try:
        with db.session() as s:
            return [(r.message_id, r.status) for r in s.scalars(select(Reminder))]
    finally:
        db.dispose()


def crash_reminders(db_url: str, workdir: Path, *, kills: int, rng: random.Random,
                    sink_delay: float = 0.1) -> ReminderFigures:
    started = time.monotonic()
    figures = ReminderFigures()
    with SlowSink(workdir / "sink", delay=sink_delay) as sink:
        config = harness.write_config(
            workdir / "remind.toml", db_url,
            smtp={"host": "127.0.0.1", "port": sink.port, "security": "none", "timeout": 10, "retries": 1},
            reminders={"enabled": True, "start_date": "2026-01-01"}, logging={"level": "WARNING"})
        day = _kill_reminder_runs(sink, config, _as_of(db_url), kills, rng, figures)
        # Then run to the end: one run sends at most 100 (outbox.claim), the scheduled job runs hourly.
        for _ in range(50):
            harness.busavvik(config, "remind", "--as-of", day.isoformat())
            if not any(status in ("pending", "sending", "delivering") for _mid, status in _rows(db_url)):
                break
            day = _next_working_day(day)
        got = Counter(m.message()["Message-ID"] for m in sink.messages())
    _count_received(figures, got, _rows(db_url))
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def _kill_reminder_runs(sink: SlowSink, config: Path, day: date, kills: int, rng: random.Random,
                        figures: ReminderFigures) -> date:
    """`kills` remind runs, each SIGKILLed (half timed by the sink, half at random); returns the next day."""
    for k in range(kills):
        proc = harness.spawn(config, "remind", "--as-of", day.isoformat())
        target = sink.count() + rng.randint(1, 3)
        deadline = time.monotonic() + (60 if k % 2 == 0 else STARTUP + rng.uniform(0, 2))
        in_window = False
        while proc.poll() is None and time.monotonic() < deadline:
            if k % 2 == 0 and sink.count() >= target:
                in_window = True
                break
            time.sleep(0.005)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            figures.kills += 1
            figures.kills_in_window += in_window
        proc.wait()
        # The rows a killed run claimed are stale only after STALE_AFTER (15 min): restart as of the next
        # working day, as the scheduled job would after that time, so that `recover` deals with them.
        day = _next_working_day(day)
    return day


def _count_received(figures: ReminderFigures, got: Counter[str], rows: list[tuple[str, str]]) -> None:
    per_step = Counter(mid.split(".")[1:3].__repr__() for mid in got.elements())   # <reminder.CASE.STEP.x@..>
    figures.due = len(rows)
    figures.received = sum(got.values())
    figures.received_twice = sum(n - 1 for n in per_step.values() if n > 1)
    figures.sent = sum(1 for _mid, status in rows if status == "sent")
    figures.unknown = sum(1 for _mid, status in rows if status == "unknown")
    figures.never_received = sum(1 for mid, status in rows if status == "sent" and mid not in got)
