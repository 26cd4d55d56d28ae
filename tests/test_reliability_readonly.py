"""Read-only proof: a hash of every (folder, UIDVALIDITY, HIGHESTMODSEQ, UID, flags) is identical before and
after many polls (in-process and through `busavvik poll --once`), with new mail arriving in between.
The crash test checks the same hash after its kill -9 run.  Long version: tests/support/readonly.py (1,000 polls).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import readonly
from tests.support.servers.fixtures import (  # noqa: F401 - fixtures
    ImapAccount,
    dovecot_server,
    imap_account_factory,
)

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


def test_mailbox_fingerprint_unchanged_by_polls(imap_account_factory: Callable[..., ImapAccount],
                                                tmp_path: Path) -> None:
    acct = imap_account_factory("ro")
    figures = readonly.run(acct.server, acct.user, acct.password_file, tmp_path, polls=30, messages=150,
                           cli_polls=2)
    assert figures["fetched"] == figures["messages"] == 165        # the polls did read everything
    assert figures["poll_errors"] == 0 and figures["cli_exit"] == 0
    assert figures["equal_first_half"], figures
    assert figures["equal_second_half"], figures
    assert figures["select_variant_detected"], figures             # ... and a SELECT instead of EXAMINE
    assert figures["control_seen_changes_hash"]                    # the check would see a STORE
    assert readonly.failures(figures) == []
