"""Network faults: a TCP proxy in front of Dovecot (and of the SMTP sink) cuts, stalls and slows connections.

    .venv/bin/python tests/support/faults.py [--messages 2000] [--cuts 20] [--stalls 5] [--slow 3] [--timeout 3]
                                     [--smtp-faults 10] [--seed 1]

IMAP: the worker's poll cycle (`busavvik.poll.poll_once`, default retry policy: 4 attempts, backoff 1-2-4 s)
runs through the proxy, with mail arriving in waves (one before each poll).  The proxy cuts connections
after a random number of bytes inside FETCH responses, stalls them (socket open, nothing forwarded) for
longer than the read timeout, or slows every chunk.  Polls repeat until all the planned faults were used and
a poll ends clean.  Each cut and stall lands inside the smallest wave's FETCH answer, so every planned
one must happen: the proxy counts them.  Each poll runs under a watchdog: one still running at its bound
(attempts x (read timeout + a clean batch) + backoff) fails the bench at once.  Figures: cuts and stalls
planned and done, polls, the longest poll against its bound, lost, duplicated (from the source side),
mailbox fingerprint unchanged by every poll.  Every check that fails is printed and the exit code is 1.

SMTP: reminder runs through a proxy in front of the sink, with cuts at random byte offsets (before, during
and after DATA), stalls past the SMTP timeout and 451 answers; each run as of the next working day until no
reminder is left pending.  Figures: reminders received twice (must be 0), sent, unknown (parked for a human).
"""
from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import select  # noqa: E402

from busavvik.context import AppContext  # noqa: E402
from busavvik.poll import MailboxResult, poll_once  # noqa: E402
from config.localzone import STOCKHOLM  # noqa: E402
from config.rules import default_rules  # noqa: E402
from config.settings import MailboxSettings, ReminderSettings, Settings, SmtpSettings  # noqa: E402
from notify import service  # noqa: E402
from notify.smtp import SmtpSender  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import Reminder  # noqa: E402
from tests.support import harness  # noqa: E402
from tests.support.crash import _as_of, _next_working_day  # noqa: E402
from tests.support.servers.dovecot import DovecotServer  # noqa: E402
from tests.support.servers.smtpsink import SmtpSink  # noqa: E402
from tests.support.servers.tcpproxy import Plan, TcpProxy  # noqa: E402

ATTEMPTS, BACKOFF = 4, (1 + 2 + 4)          # ingest.imap.RetryPolicy defaults


@dataclass
class ImapFigures:
    messages: int = 0
    cuts_planned: int = 0
    cuts_done: int = 0
    stalls_planned: int = 0
    stalls_done: int = 0
    slow_connections: int = 0
    connections: int = 0
    polls: int = 0
    polls_with_error: int = 0
    longest_poll_s: float = 0.0
    poll_bound_s: float = 0.0      # attempts x (read timeout + a clean batch) + backoff: never hang past it
    lost: int = 0
    duplicated: int = 0
    duplicated_cases: int = 0
    extra: int = 0
    stored: int = 0
    flags_unchanged: bool = False
    seconds: float = 0.0


class HarnessFailure(AssertionError):
    """The bench saw the worker break a promise (or could not test it): it stops with this message.
    `poll` is the thread of a poll left running past its bound (asked to stop after its batch in hand)."""

    def __init__(self, message: str, poll: threading.Thread | None = None) -> None:
        super().__init__(message)
        self.poll = poll


def imap_failures(f: ImapFigures) -> list[str]:
    """Every promise the run shows broken, and every planned fault that did not happen."""
    found = [f"{done} of {planned} planned {what} happened" for done, planned, what in
             ((f.cuts_done, f.cuts_planned, "cuts"), (f.stalls_done, f.stalls_planned, "stalls")) if done != planned]
    if f.longest_poll_s > f.poll_bound_s:
        found.append(f"a poll took {f.longest_poll_s} s, over its bound of {f.poll_bound_s} s")
    found += [f"{n} {what}" for n, what in ((f.lost, "lost"), (f.duplicated, "stored twice"),
                                           (f.duplicated_cases, "cases opened twice"), (f.extra, "extra")) if n]
    found += [] if f.stored == f.messages else [f"{f.stored} rows stored for {f.messages} messages"]
    return found + ([] if f.flags_unchanged else ["a poll changed the mailbox fingerprint"])


def _plans(rng: random.Random, cuts: int, stalls: int, slow: int, wave_bytes: int) -> list[Plan]:
    """Cuts and stalls inside the FETCH answer of the smallest wave (past the greeting, EXAMINE and SEARCH), so
    that each connection that takes one carries the bytes for it to happen."""
    high = max(5_000, min(150_000, wave_bytes * 3 // 4))
    plans = [Plan(cut_after=rng.randint(4_000, high)) for _ in range(cuts)]
    plans += [Plan(stall_after=rng.randint(4_000, high)) for _ in range(stalls)]
    plans += [Plan(delay=0.002) for _ in range(slow)]
    rng.shuffle(plans)
    return plans


def _watched_poll(app: AppContext, bound: float, number: int) -> MailboxResult:
    """One poll cycle; still running at `bound` seconds, it fails the bench (the poll is left to its thread)."""
    done: list[MailboxResult] = []
    raised: list[BaseException] = []
    stop = threading.Event()

    def poll() -> None:
        try:
            done.extend(poll_once(app, stop))
        except BaseException as exc:  # noqa: BLE001 - reported in the caller's thread
            raised.append(exc)

    thread = threading.Thread(target=poll, name=f"faults-poll-{number}", daemon=True)
    thread.start()
    thread.join(bound)
    if thread.is_alive():
        stop.set()
        raise HarnessFailure(f"poll {number} still running after {bound:.0f} s, its bound: the worker hangs",
                             thread)
    if raised:
        raise HarnessFailure(f"poll {number} raised {raised[0]!r}") from raised[0]
    return done[0]


def imap_faults(server: DovecotServer, user: str, pwfile: Path, workdir: Path, *, messages: int, cuts: int,
                stalls: int, slow: int = 0, timeout: float = 3.0, rng: random.Random,
                db_url: str | None = None) -> ImapFigures:
    started = time.monotonic()
    figures = ImapFigures(messages=messages, cuts_planned=cuts, stalls_planned=stalls, slow_connections=slow)
    mail = harness.backfill(messages, tag="nf")
    # Mail arrives in waves, one before each poll, so that the faulty connections carry data to cut.
    n_waves = cuts + stalls + slow + 1
    waves = [mail[i::n_waves] for i in range(n_waves)]
    plans = _plans(rng, cuts, stalls, slow, min(sum(len(m) for m in wave) for wave in waves))
    unchanged = True
    with TcpProxy("127.0.0.1", server.port) as proxy:
        for plan in plans:
            proxy.queue(plan)
        app = _imap_app(proxy.port, user, pwfile, timeout, db_url or f"sqlite:///{workdir / 'faults.db'}")
        clean_batch = 15.0                         # generous: a 200-message batch takes ~1 s here
        figures.poll_bound_s = ATTEMPTS * (timeout + clean_batch) + BACKOFF
        while True:
            if waves:
                harness.load_with_flags(server, user, waves.pop(0))
            before, _n = harness.mailbox_fingerprint(server, user)
            t0 = time.monotonic()
            result = _watched_poll(app, figures.poll_bound_s, figures.polls + 1)
            figures.longest_poll_s = max(figures.longest_poll_s, round(time.monotonic() - t0, 2))
            unchanged &= harness.mailbox_fingerprint(server, user)[0] == before
            figures.polls += 1
            figures.polls_with_error += result.error is not None
            if result.error is None and proxy.connections >= len(plans) and not waves:
                break
            if figures.polls > 2 * len(plans) + 5:
                raise HarnessFailure(f"no clean poll after {figures.polls} polls: {result.error}")
        figures.cuts_done, figures.stalls_done, figures.connections = proxy.cuts, proxy.stalls, proxy.connections
        app.db.dispose()
    _compare(figures, harness.store_vs_mailbox(app.settings.database_url, server, user, "storsthlm"), unchanged)
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def _imap_app(port: int, user: str, pwfile: Path, timeout: float, db_url: str) -> AppContext:
    mb = MailboxSettings(name="storsthlm", host="127.0.0.1", port=port, security="none", username=user,
                         password_file=str(pwfile), timeout=timeout, batch_size=200)
    app = AppContext()
    app.settings = Settings(database_url=db_url, mailboxes=(mb,))
    return app


def _compare(figures: ImapFigures, cmp: harness.Comparison, unchanged: bool) -> None:
    figures.lost, figures.duplicated, figures.stored = cmp.lost, cmp.duplicated, cmp.stored
    figures.duplicated_cases, figures.extra = cmp.duplicated_cases, cmp.extra
    figures.flags_unchanged = unchanged


@dataclass
class SmtpFigures:
    faults: int = 0
    runs: int = 0
    due: int = 0
    received: int = 0
    received_twice: int = 0
    sent: int = 0
    unknown: int = 0
    failed: int = 0
    longest_run_s: float = 0.0


def smtp_failures(f: SmtpFigures) -> list[str]:
    found = [f"{f.received_twice} reminders received twice"] if f.received_twice else []
    return found + ([] if f.sent + f.unknown == f.due else [f"{f.due - f.sent - f.unknown} reminders lost"])


def _queue_smtp_faults(proxy: TcpProxy, sink: SmtpSink, faults: int, rng: random.Random) -> None:
    for i in range(faults):
        kind = i % 3
        if kind == 0:
            proxy.queue(Plan(cut_after=rng.randint(20, 400)))     # greeting .. final 250
        elif kind == 1:
            proxy.queue(Plan(stall_after=rng.randint(20, 400)))
        else:
            sink.fail_next(1, 451)


def smtp_faults(db_url: str, workdir: Path, *, faults: int, rng: random.Random, timeout: float = 2.0
                ) -> SmtpFigures:
    """Reminder runs through a faulty proxy in front of the sink (needs cases in `db_url`)."""
    figures = SmtpFigures(faults=faults)
    with SmtpSink(workdir / "smtp-sink") as sink, TcpProxy("127.0.0.1", sink.port) as proxy:
        _queue_smtp_faults(proxy, sink, faults, rng)
        smtp = SmtpSettings(host="127.0.0.1", port=proxy.port, security="none", timeout=timeout, retries=2)
        app = AppContext()
        db = Database(db_url)
        app.__dict__.update(settings=Settings(database_url=db_url, smtp=smtp, reminders=ReminderSettings(
            enabled=True, start_date=datetime(2026, 1, 1).date())), db=db, rules=default_rules())
        day = _as_of(db_url)
        for _ in range(faults + 10):
            t0 = time.monotonic()
            now = datetime.combine(day, dtime(9, 0), STOCKHOLM.zone).astimezone(UTC)
            service.run_reminders(app, now, respect_window=False,
                                     transport=SmtpSender(smtp, backoff=0.05))
            figures.longest_run_s = max(figures.longest_run_s, round(time.monotonic() - t0, 2))
            figures.runs += 1
            with db.session() as s:
                open_rows = s.scalars(select(Reminder).where(Reminder.status.in_(("pending", "sending",
                                                                                   "delivering")))).all()
            if not open_rows and figures.runs > 1:
                break
            day = _next_working_day(day)
        with db.session() as s:
            statuses = Counter(s.scalars(select(Reminder.status)))
        db.dispose()
        got = Counter(m.message()["Message-ID"].split(".")[1] + "." + m.message()["Message-ID"].split(".")[2]
                      for m in sink.messages())
    figures.due = sum(statuses.values())
    figures.received = sum(got.values())
    figures.received_twice = sum(n - 1 for n in got.values() if n > 1)
    figures.sent, figures.unknown, figures.failed = statuses["sent"], statuses["unknown"], statuses["failed"]
    return figures


def run(server: DovecotServer, user: str, pwfile: Path, workdir: Path, *, messages: int, cuts: int, stalls: int,
        slow: int, timeout: float, smtp: int, seed: int) -> tuple[dict[str, Any], list[str]]:
    """The figures, and what they show to be wrong."""
    rng = random.Random(seed)
    imap = imap_faults(server, user, pwfile, workdir, messages=messages, cuts=cuts, stalls=stalls, slow=slow,
                       timeout=timeout, rng=rng)
    smtp_figures = smtp_faults(f"sqlite:///{workdir / 'faults.db'}", workdir, faults=smtp, rng=rng)
    figures = {**{f"imap_{k}": v for k, v in imap.__dict__.items()},
               **{f"smtp_{k}": v for k, v in smtp_figures.__dict__.items()}}
    return figures, imap_failures(imap) + smtp_failures(smtp_figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--cuts", type=int, default=20)
    parser.add_argument("--stalls", type=int, default=5)
    parser.add_argument("--slow", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=3.0, help="IMAP connect/read timeout (s)")
    parser.add_argument("--smtp-faults", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    server = DovecotServer(root=Path(tempfile.mkdtemp(prefix="busavvik-faults-", dir="/dev/shm"))).start()
    try:
        server.add_user("faults", "faults-password")
        pwfile = harness.password_file(server, "faults", "faults-password")
        with tempfile.TemporaryDirectory(prefix="busavvik-faults-") as tmp:
            figures, failures = run(server, "faults", pwfile, Path(tmp), messages=args.messages, cuts=args.cuts,
                          stalls=args.stalls, slow=args.slow, timeout=args.timeout, smtp=args.smtp_faults,
                          seed=args.seed)
    finally:
        server.stop()
    harness.print_figures(f"faults: {args.cuts} cuts, {args.stalls} stalls, {args.slow} slowed connections over "
                          f"{args.messages} messages; {args.smtp_faults} SMTP faults (seed {args.seed})", figures)
    harness.exit_on_failures("faults", failures)



if __name__ == "__main__":
    main()
