"""Read-only proof: the mailbox fingerprint before and after many polls is identical.

    .venv/bin/python tests/support/readonly.py [--polls 1000] [--messages 500] [--cli-polls 10]

The fingerprint (tests/support/harness.py) is a SHA-256 over every folder's STATUS (UIDVALIDITY,
HIGHESTMODSEQ, RECENT, ...) and every message's (folder, UID, flags with \\Recent). HIGHESTMODSEQ rises with
any flag change on the server, even one that is undone later, so "equal" means no STORE happened at all, not
only that the flags look the same. Two folders (INBOX and a folder a person filed mail into), a mix of unread,
\\Seen, \\Flagged, \\Answered and keywords. Half of the polls run, then new mail arrives (fingerprint taken
again), then the other half; `--cli-polls` more go through the real `busavvik poll --once`. The check itself
is shown to work, twice: a poll by a deliberately broken variant that SELECTs where EXAMINE belongs changes
the fingerprint (the SELECT takes \\Recent from the folder's messages, which changes no flag and no
HIGHESTMODSEQ: a fingerprint without \\Recent passed it), and so does a \\Seen set by an ordinary client
afterwards.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from imapclient import IMAPClient  # noqa: E402

from busavvik.context import AppContext  # noqa: E402
from busavvik.poll import poll_once  # noqa: E402
from config.settings import MailboxSettings, Settings  # noqa: E402
from tests.support import harness  # noqa: E402
from tests.support.servers.dovecot import DovecotServer  # noqa: E402

FOLDERS = ("INBOX", "Arkiv")


def _load(server: DovecotServer, user: str, messages: int, tag: str) -> None:
    mails = harness.backfill(messages, tag=tag)
    harness.load_with_flags(server, user, mails[: messages * 3 // 4], "INBOX")
    harness.load_with_flags(server, user, mails[messages * 3 // 4:], "Arkiv")


def _polls(app: AppContext, n: int) -> tuple[int, int]:
    """n poll cycles; (messages fetched, polls with an error)."""
    fetched = errors = 0
    for _ in range(n):
        for r in poll_once(app):
            fetched += r.stats.new + r.stats.duplicates
            errors += r.error is not None
    return fetched, errors


@contextmanager
def selecting_instead_of_examine() -> Iterator[None]:
    """A deliberately broken poller, for the self-test: every folder opened with SELECT (read-write)."""
    original = IMAPClient.select_folder

    def select(self: IMAPClient, folder: str, readonly: bool = False) -> Any:
        return original(self, folder, readonly=False)

    IMAPClient.select_folder = select  # type: ignore[method-assign]
    try:
        yield
    finally:
        IMAPClient.select_folder = original  # type: ignore[method-assign]


def self_test(server: DovecotServer, user: str, app: AppContext) -> dict[str, Any]:
    """One poll by the SELECT variant, with new mail waiting: the check must see it."""
    _load(server, user, 8, "ro-selftest")
    before, _n = harness.mailbox_fingerprint(server, user)
    with selecting_instead_of_examine():
        fetched, errors = _polls(app, 1)
    after, _n = harness.mailbox_fingerprint(server, user)
    return {"select_variant_fetched": fetched, "select_variant_errors": errors,
            "select_variant_detected": after != before}


def run(server: DovecotServer, user: str, pwfile: Path, workdir: Path, *, polls: int, messages: int,
        cli_polls: int) -> dict[str, Any]:
    started = time.monotonic()
    _load(server, user, messages, "ro1")
    first, count = harness.mailbox_fingerprint(server, user)
    db_url = f"sqlite:///{workdir / 'readonly.db'}"
    mb = MailboxSettings(name="storsthlm", host="127.0.0.1", port=server.port, security="none", username=user,
                         password_file=str(pwfile), folders=FOLDERS, timeout=10)
    app = AppContext()
    app.settings = Settings(database_url=db_url, mailboxes=(mb,))
    t0 = time.monotonic()
    fetched1, errors1 = _polls(app, polls // 2)
    after1, _n = harness.mailbox_fingerprint(server, user)
    _load(server, user, messages // 10, "ro2")                   # new mail arrives between the polls
    second, count2 = harness.mailbox_fingerprint(server, user)
    fetched2, errors2 = _polls(app, polls - polls // 2)
    in_process_s = time.monotonic() - t0
    config = harness.write_config(workdir / "readonly.toml", db_url,
                                  [harness.imap_mailbox(server, user, pwfile, folders=list(FOLDERS))])
    cli_exit = max((harness.busavvik(config, "poll", "--once").returncode for _ in range(cli_polls)), default=0)
    after2, _n = harness.mailbox_fingerprint(server, user)
    broken = self_test(server, user, app)
    app.db.dispose()
    client = server.login(user)                                  # the control: an ordinary client reads one
    client.select_folder("INBOX")
    unread = client.search(["UNSEEN"])
    client.add_flags(unread[:1], [b"\\Seen"])
    client.logout()
    control, _n = harness.mailbox_fingerprint(server, user)
    return {"messages": count2, "folders": len(FOLDERS), "polls": polls + cli_polls, "fetched": fetched1 + fetched2,
            "poll_errors": errors1 + errors2, "cli_exit": cli_exit,
            "ms_per_poll": round(1000 * in_process_s / max(polls, 1), 1),
            "hash_before": first[:16], "hash_after_first_half": after1[:16], "equal_first_half": first == after1,
            "hash_with_new_mail": second[:16], "hash_after_second_half": after2[:16],
            "equal_second_half": second == after2, **broken, "control_seen_changes_hash": control != after2,
            "messages_first": count, "seconds": round(time.monotonic() - started, 1)}


def failures(figures: dict[str, Any]) -> list[str]:
    """What the run shows to be wrong; empty when the polls changed nothing and the check could see a change."""
    checks = {"equal_first_half": "the polls changed the mailbox (first half)",
              "equal_second_half": "the polls changed the mailbox (second half, with new mail)",
              "select_variant_detected": "the check did not see a poll that SELECTs instead of EXAMINE",
              "control_seen_changes_hash": "the check did not see a \\Seen set by an ordinary client"}
    found = [text for key, text in checks.items() if not figures[key]]
    found += [f"{figures['poll_errors']} poll(s) failed"] if figures["poll_errors"] else []
    return found + ([f"busavvik poll --once exited {figures['cli_exit']}"] if figures["cli_exit"] else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--polls", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--cli-polls", type=int, default=10)
    args = parser.parse_args()
    server = DovecotServer(root=Path(tempfile.mkdtemp(prefix="busavvik-readonly-", dir="/dev/shm"))).start()
    try:
        server.add_user("ro", "ro-password")
        pwfile = harness.password_file(server, "ro", "ro-password")
        with tempfile.TemporaryDirectory(prefix="busavvik-readonly-") as tmp:
            figures = run(server, "ro", pwfile, Path(tmp), polls=args.polls, messages=args.messages,
                          cli_polls=args.cli_polls)
    finally:
        server.stop()
    harness.print_figures(f"read-only: {args.polls} polls + {args.cli_polls} CLI polls", figures)
    harness.exit_on_failures("read-only", failures(figures))


if __name__ == "__main__":
    main()
