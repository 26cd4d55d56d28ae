"""Crash: kill -9 a real `busavvik poll --once` and `busavvik remind` at random points, restart, compare.

The short version of tests/support/crash.py (the long one: 50 kills over 2,000 messages; figures in
docs/RELIABILITY.md).  A real Dovecot and a real SMTP sink; the database is SQLite, as on a small site.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import crash, harness
from tests.support.servers.fixtures import (  # noqa: F401 - fixtures
    ImapAccount,
    dovecot_server,
    imap_account_factory,
)

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


def test_kill_9_during_backfill_loses_nothing_and_stores_nothing_twice(
        imap_account_factory: Callable[..., ImapAccount], tmp_path: Path) -> None:
    acct = imap_account_factory("crash")
    figures = crash.crash_polls(acct.server, acct.user, acct.password_file, tmp_path, messages=300, kills=6,
                                rng=random.Random(6))
    assert figures.kills >= 4, figures                   # the runs really were killed, not finished
    assert figures.kills_after_a_commit >= 1, figures    # ... some in the middle of the backfill
    assert figures.final_exit == 0
    assert (figures.stored, figures.lost, figures.duplicated, figures.extra) == (300, 0, 0, 0), figures
    assert figures.duplicated_cases == 0, figures
    assert figures.flags_unchanged
    assert crash.poll_failures(figures) == [], figures


def test_reminder_run_killed_between_send_and_mark_sent_never_sends_twice(
        imap_account_factory: Callable[..., ImapAccount], tmp_path: Path) -> None:
    acct = imap_account_factory("remind")
    db_url = f"sqlite:///{tmp_path / 'crash.db'}"
    harness.load_with_flags(acct.server, acct.user, harness.backfill(60))
    config = harness.write_config(tmp_path / "poll.toml", db_url,
                                  [harness.imap_mailbox(acct.server, acct.user, acct.password_file)])
    assert harness.busavvik(config, "poll", "--once").returncode == 0
    figures = crash.crash_reminders(db_url, tmp_path, kills=4, rng=random.Random(4), sink_delay=0.2)
    assert figures.kills_in_window >= 1, figures         # the sink had the message, the client never heard 250
    assert figures.due >= 16
    assert figures.received_twice == 0, figures
    assert figures.never_received == 0, figures          # nothing marked sent that did not arrive
    assert figures.sent + figures.unknown == figures.due, figures
    assert figures.sent <= figures.received <= figures.due, figures   # an "unknown" one arrived at most once
    assert crash.reminder_failures(figures) == [], figures
