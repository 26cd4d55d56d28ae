"""Crash harness: kill -9 the real `busavvik` process at random points, restart, and count what went wrong.

    .venv/bin/python tests/support/crash.py [--messages 2000] [--kills 50] [--reminder-kills 10] [--seed 1]

1. Polls: loads a backfill into a fresh Dovecot, then runs `busavvik poll --once` and SIGKILLs it at a
   random moment (startup, login, FETCH, parsing, commit; batches of 25): 30% at a random time before the
   run's first commit, 70% a random time after one of its commits.  `--kills` times, restarting each time;
   then one run to the end and one idle poll.  Compares the store with the mailbox from the source side
   (every delivered Message-ID and content hash against the rows and cases stored): lost, duplicated
   (messages and cases) and extra must be 0, and the mailbox fingerprint (UIDs, flags incl. \\Recent, STATUS,
   HIGHESTMODSEQ) must be unchanged.
2. Reminders: `busavvik remind --as-of DAY` against an SMTP sink that waits before its final 250, so a
   SIGKILL lands between "the server has the message" and the mark-sent commit; half of the kills are
   timed by the sink (k-th message arrived), half at random.  Each restart runs as of the next working
   day (rows a killed run claimed are stale after 15 minutes; `recover` then requeues or parks them).
   Counts reminders received twice (same case and step) — must be 0 — and rows left `unknown` for a human.
Prints the figures, then every check that failed (exit 1); tests/test_reliability_crash.py calls the same
functions with small numbers.
"""
from __future__ import annotations

import argparse
import random
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import func, select  # noqa: E402

from store.db import Database  # noqa: E402
from store.models import Message  # noqa: E402
from tests.support import harness  # noqa: E402
from tests.support.crash_remind import (  # noqa: E402, F401 - re-exported
    STARTUP,
    ReminderFigures,
    SlowHandler,
    SlowSink,
    _as_of,
    _next_working_day,
    _rows,
    crash_reminders,
    reminder_failures,
)
from tests.support.servers.dovecot import DovecotServer  # noqa: E402


# ---- polls ------------------------------------------------------------------------------------------------
class StoreCounter:
    """Counts stored messages while another process writes (no migrations, one engine)."""

    def __init__(self, db_url: str) -> None:
        self.db = Database(db_url)          # creates the schema once, before the first poll

    def __call__(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count(Message.id))) or 0)

    def close(self) -> None:
        self.db.dispose()


@dataclass
class PollFigures:
    messages: int = 0
    kills: int = 0
    kills_before_first_commit: int = 0   # startup, login, EXAMINE, first FETCH, first parse
    kills_after_a_commit: int = 0        # a later FETCH, parse or commit of the same run
    runs_finished_before_kill: int = 0
    final_exit: int | None = None
    lost: int = 0
    duplicated: int = 0
    duplicated_cases: int = 0
    extra: int = 0
    stored: int = 0
    flags_unchanged: bool = False
    seconds: float = 0.0


def poll_failures(f: PollFigures) -> list[str]:
    found = [f"{n} {what}" for n, what in ((f.lost, "lost"), (f.duplicated, "stored twice"),
                                           (f.duplicated_cases, "cases opened twice"), (f.extra, "extra")) if n]
    found += [] if f.stored == f.messages else [f"{f.stored} rows stored for {f.messages} messages"]
    found += [] if f.flags_unchanged else ["the mailbox fingerprint changed"]
    found += [] if f.kills else ["no run was killed: the harness tested nothing"]
    return found + ([f"the last polls exited {f.final_exit}"] if f.final_exit else [])


def _kill_poll(config: Path, stored: StoreCounter, rng: random.Random, batch_seconds: float) -> str:
    """One `poll --once`, SIGKILLed either at a random moment before its first commit or a random time
    after one of its commits; returns "before", "after" or "finished"."""
    before = stored()
    proc = harness.spawn(config, "poll", "--once")
    if rng.random() < 0.3:
        deadline = time.monotonic() + rng.uniform(0.1, STARTUP + batch_seconds)
        while proc.poll() is None and time.monotonic() < deadline and stored() == before:
            time.sleep(0.01)
        kind = "before"
    else:
        while proc.poll() is None and stored() == before:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 1.5 * batch_seconds))
        kind = "after"
    if proc.poll() is not None:
        return "finished"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return kind


def crash_polls(server: DovecotServer, user: str, pwfile: Path, workdir: Path, *, messages: int, kills: int,
                rng: random.Random, db_url: str | None = None, batch_size: int = 25) -> PollFigures:
    started = time.monotonic()
    figures = PollFigures(messages=messages)
    harness.load_with_flags(server, user, harness.backfill(messages))
    before, _count = harness.mailbox_fingerprint(server, user)
    db_url = db_url or f"sqlite:///{workdir / 'crash.db'}"
    config = harness.write_config(workdir / "crash.toml", db_url,
                                  [harness.imap_mailbox(server, user, pwfile, batch_size=batch_size, timeout=20)],
                                  logging={"level": "WARNING"})
    stored = StoreCounter(db_url)
    batch_seconds = batch_size / 400          # about 400 msg/s with a form in every third message
    try:
        for _ in range(kills):
            outcome = _kill_poll(config, stored, rng, batch_seconds)
            figures.kills += outcome != "finished"
            figures.runs_finished_before_kill += outcome == "finished"
            figures.kills_before_first_commit += outcome == "before"
            figures.kills_after_a_commit += outcome == "after"
    finally:
        stored.close()
    final = harness.busavvik(config, "poll", "--once")
    idle = harness.busavvik(config, "poll", "--once")
    figures.final_exit = final.returncode or idle.returncode
    cmp = harness.store_vs_mailbox(db_url, server, user, "storsthlm")
    figures.lost, figures.duplicated, figures.extra, figures.stored = cmp.lost, cmp.duplicated, cmp.extra, cmp.stored
    figures.duplicated_cases = cmp.duplicated_cases
    figures.flags_unchanged = harness.mailbox_fingerprint(server, user)[0] == before
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def run(server: DovecotServer, user: str, pwfile: Path, workdir: Path, *, messages: int, kills: int,
        reminder_kills: int, seed: int = 1, db_url: str | None = None, sink_delay: float = 0.1
        ) -> tuple[dict[str, Any], list[str]]:
    """The figures, and what they show to be wrong."""
    rng = random.Random(seed)
    polls = crash_polls(server, user, pwfile, workdir, messages=messages, kills=kills, rng=rng, db_url=db_url)
    db_url = db_url or f"sqlite:///{workdir / 'crash.db'}"
    reminders = crash_reminders(db_url, workdir, kills=reminder_kills, rng=rng, sink_delay=sink_delay)
    polls_dict = {f"poll_{k}": v for k, v in polls.__dict__.items()}
    figures = {**polls_dict, **{f"reminder_{k}": v for k, v in reminders.__dict__.items()}}
    return figures, poll_failures(polls) + reminder_failures(reminders)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--reminder-kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sink-delay", type=float, default=0.1, help="seconds the sink holds back its 250")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    server = DovecotServer(root=Path(tempfile.mkdtemp(prefix="busavvik-crash-", dir="/dev/shm"))).start()
    try:
        server.add_user("crash", "crash-password")
        pwfile = harness.password_file(server, "crash", "crash-password")
        with tempfile.TemporaryDirectory(prefix="busavvik-crash-") as tmp:
            figures, failures = run(server, "crash", pwfile, Path(tmp), messages=args.messages, kills=args.kills,
                          reminder_kills=args.reminder_kills, seed=args.seed, db_url=args.db,
                          sink_delay=args.sink_delay)
    finally:
        server.stop()
    harness.print_figures(f"crash: {args.kills} kills over {args.messages} messages, "
                          f"{args.reminder_kills} reminder-run kills (seed {args.seed})", figures)
    harness.exit_on_failures("crash", failures)


if __name__ == "__main__":
    main()
