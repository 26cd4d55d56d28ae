"""Network faults: connections to Dovecot and to the SMTP sink cut mid-FETCH / mid-DATA and stalled past the
read timeout.  All mail arrives in the end, nothing twice, and no poll outlives its timeouts.

The short version of tests/support/faults.py (figures of the long one in docs/RELIABILITY.md).
"""
from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import faults
from tests.support.servers.fixtures import (  # noqa: F401 - fixtures
    ImapAccount,
    dovecot_server,
    imap_account_factory,
)

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


def test_cuts_mid_fetch_and_stalls_past_the_timeout(imap_account_factory: Callable[..., ImapAccount],
                                                    tmp_path: Path) -> None:
    acct = imap_account_factory("faults")
    db_url = f"sqlite:///{tmp_path / 'faults.db'}"
    figures = faults.imap_faults(acct.server, acct.user, acct.password_file, tmp_path, messages=300, cuts=5,
                                 stalls=2, slow=1, timeout=2.0, rng=random.Random(3), db_url=db_url)
    assert figures.cuts_done == 5                          # every planned cut happened (inside FETCH answers)
    assert figures.stalls_done == 2                        # ... and every planned stall
    assert figures.connections >= 8
    assert figures.longest_poll_s <= figures.poll_bound_s, figures
    assert (figures.stored, figures.lost, figures.duplicated) == (300, 0, 0), figures
    assert figures.flags_unchanged
    assert faults.imap_failures(figures) == [], figures

    smtp = faults.smtp_faults(db_url, tmp_path, faults=6, rng=random.Random(3), timeout=1.0)
    assert smtp.due >= 80
    assert smtp.received_twice == 0, smtp
    assert smtp.sent + smtp.unknown == smtp.due, smtp      # nothing lost: sent, or parked for a human
    assert smtp.sent <= smtp.received <= smtp.due, smtp
    assert smtp.longest_run_s < 60, smtp
    assert faults.smtp_failures(smtp) == [], smtp
