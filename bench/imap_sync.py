"""First sync and idle poll of the real worker against a fresh local Dovecot, beside raw imapclient baselines.

    .venv/bin/python -m bench.imap_sync [--count 10000] [--big] [--keep] [--profile]

In one run:
1. Starts a fresh Dovecot (bench/imap_raw.py) and loads `--count` realistic ~50 kB messages (tests/support/busmail.py):
   half are BUS deviation reports carrying a really filled-in form (tests/formbuilder.py, values and shape
   different in each), the other half answers to them and other mail without a form; signature images, PDF
   minutes and quoted history make up the size.
2. Raw baseline: imapclient, EXAMINE + UID SEARCH ALL + `BODY.PEEK[]` by 200 UIDs, nothing else → msg/s.
3. First sync into a fresh SQLite store through the worker's own path (`busavvik.poll.poll_once`, parsing on
   all cores through parsers/pool.py), in a child process → msg/s, ratio to the raw fetch (target ≥ 0.5),
   peak RSS (ru_maxrss of the sync process and of its parser processes, target ≤ 250 MB; plus the highest
   sum sampled from /proc while it ran).
4. Idle poll: `poll_once` with nothing new on the synced folder, on a 1,000-message folder and (--big) on a
   100,000-message folder, against a bare imapclient login + EXAMINE + logout on the same folder (medians,
   interleaved); ratio (target ≤ 1.5 at 100,000) and the IMAP commands sent after LOGIN (target ≤ 2).

--profile adds a second, cProfiled sync into another fresh store (main process only; the parser processes
are not profiled, their CPU time is shown beside) and prints the top 25 functions by cumulative time.
Runs as root (the benchmark starts its own Dovecot); mail on /dev/shm, the SQLite store on /tmp.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import imaplib
import io
import json
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:                          # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

# Project modules are imported where used: the parser processes (spawned) import this module again, and
# should stay as small as the worker's own.
if TYPE_CHECKING:
    from bench.imap_raw import FetchResult
    from busavvik.context import AppContext
    from config.settings import MailboxSettings
    from tests.servers.dovecot import DovecotServer

BATCH = 200
RSS_TARGET_MB = 250
RATIO_TARGET = 0.5
SYNC_FLOOR = 300          # msg/s for ~50 kB messages (issue 15): the floor, whatever the raw fetch does
IDLE_RATIO_TARGET = 1.5
IDLE_COMMANDS_TARGET = 2

# ---- the sync, in a child process ----------------------------------------------------------------------------
def _mailbox(server: DovecotServer, user: str, password: str, name: str) -> MailboxSettings:
    from config.settings import MailboxSettings
    secret = server.root / f"{user}.secret"
    secret.write_text(password)
    return MailboxSettings(name=name, host="127.0.0.1", port=server.port, security="none", username=user,
                           password_file=str(secret), batch_size=BATCH)


def _app(db_url: str, *mailboxes: MailboxSettings) -> AppContext:
    from busavvik.context import AppContext
    from config.settings import Settings
    app = AppContext()
    app.settings = Settings(database_url=db_url, mailboxes=tuple(mailboxes))
    return app


def child_sync(spec: dict[str, object]) -> None:
    """The sync process: one `poll_once` into a fresh store; writes its figures as JSON to spec["out"]."""
    from busavvik.poll import poll_once
    from config.settings import MailboxSettings
    from tests.support.threadcpu import ThreadCpu
    mb = MailboxSettings(**spec["mailbox"])  # type: ignore[arg-type]
    app = _app(str(spec["db_url"]), mb)
    _ = app.db, app.rules                               # schema migration and rules outside the timing
    profiler = cProfile.Profile() if spec.get("profile") else None
    started = time.perf_counter()
    with ThreadCpu() as threads:
        results = profiler.runcall(poll_once, app) if profiler is not None else poll_once(app)
    seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.dump_stats(str(spec["profile"]))
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = results[0].stats
    out = {"seconds": seconds, "error": results[0].error, "new": stats.new, "duplicates": stats.duplicates,
           "deviations": stats.deviations,
           "stats": {k: getattr(stats, k) for k in ("answers", "with_problems", "problem_codes")},
           "rss_main_kb": own.ru_maxrss, "rss_workers_kb": workers.ru_maxrss,
           "cpu_main_s": own.ru_utime + own.ru_stime, "cpu_workers_s": workers.ru_utime + workers.ru_stime,
           "cpu_threads_s": threads.seconds()}
    Path(str(spec["out"])).write_text(json.dumps(out, default=str))


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                with contextlib.suppress(OSError):
                    todo += [int(c) for c in Path(f"/proc/{current}/task/{task}/children").read_text().split()]
    return out


def _rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@dataclass
class SyncResult:
    messages: int
    seconds: float
    deviations: int
    error: str | None
    rss_main_mb: float
    rss_workers_mb: float
    rss_sum_peak_mb: float          # highest sampled sum over the sync process and its children
    rss_children_parent_mb: float   # the benchmark's own RUSAGE_CHILDREN after the sync (max over all)
    cpu_main_s: float
    cpu_workers_s: float
    stats: dict[str, object] = field(default_factory=dict)
    cpu_threads_s: dict[str, float] = field(default_factory=dict)   # the sync process's CPU by thread

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds

    @property
    def rss_peak_mb(self) -> float:
        return max(self.rss_main_mb, self.rss_workers_mb)


def run_sync(mb: MailboxSettings, db_url: str, work: Path, profile: Path | None = None) -> SyncResult:
    """`child_sync` in a fresh interpreter (`-m bench.imap_sync --child`), its memory sampled meanwhile."""
    out = work / f"sync-{time.monotonic_ns()}.json"
    spec = {"mailbox": {k: getattr(mb, k) for k in ("name", "host", "port", "security", "username",
                                                    "password_file", "batch_size")},
            "db_url": db_url, "out": str(out), "profile": str(profile) if profile else ""}
    proc = subprocess.Popen([sys.executable, "-m", "bench.imap_sync", "--child", json.dumps(spec)], cwd=ROOT)
    peak_sum = 0
    while proc.poll() is None:
        peak_sum = max(peak_sum, sum(_rss_kb(p) for p in _descendants(proc.pid)))
        time.sleep(0.1)
    if proc.returncode != 0:
        raise RuntimeError(f"the sync process failed with exit code {proc.returncode}")
    data = json.loads(out.read_text())
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return SyncResult(messages=data["new"] + data["duplicates"], seconds=data["seconds"],
                      deviations=data["deviations"], error=data["error"], rss_main_mb=data["rss_main_kb"] / 1024,
                      rss_workers_mb=data["rss_workers_kb"] / 1024, rss_sum_peak_mb=peak_sum / 1024,
                      rss_children_parent_mb=children / 1024, cpu_main_s=data["cpu_main_s"],
                      cpu_workers_s=data["cpu_workers_s"], stats=data["stats"], cpu_threads_s=data["cpu_threads_s"])


def profile_summary(path: Path, top: int = 25) -> str:
    """Top `top` by cumulative time, then the top 15 by own time (where the cumulative time is spent)."""
    buffer = io.StringIO()
    stats = pstats.Stats(str(path), stream=buffer).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    buffer.write("\nby own time (tottime), top 15:\n")
    stats.sort_stats("tottime").print_stats(15)
    return buffer.getvalue()


# ---- idle polls --------------------------------------------------------------------------------------------
class CommandLog:
    """Every IMAP command sent in this process while active (imaplib's and imapclient's own sending both go
    through IMAP4.send; a command line starts with the connection's tag prefix)."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self._send: Callable[..., object] | None = None

    def __enter__(self) -> CommandLog:
        self._send = original = imaplib.IMAP4.send
        log = self.commands

        def send(imap: imaplib.IMAP4, data: bytes) -> object:
            prefix = imap.tagpre
            if data.startswith(prefix) and data[len(prefix):len(prefix) + 1].isdigit():
                words = data.split(b"\r\n", 1)[0].split(b" ")
                name = words[1] if len(words) > 1 else b"?"
                if name.upper() == b"UID" and len(words) > 2:
                    name = b"UID " + words[2]
                log.append(name.decode("ascii", "replace").upper())
            return original(imap, data)

        imaplib.IMAP4.send = send  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        imaplib.IMAP4.send = self._send  # type: ignore[method-assign]

    @property
    def after_login(self) -> list[str]:
        names = self.commands
        return names[names.index("LOGIN") + 1:] if "LOGIN" in names else names


def bare_poll(server: DovecotServer, user: str, password: str) -> None:
    from imapclient import IMAPClient
    client = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=60)
    client.login(user, password)
    client.select_folder("INBOX", readonly=True)
    client.logout()


@dataclass
class IdleResult:
    label: str
    messages: int
    raw_ms: float
    poll_ms: float
    raw_commands: list[str]
    poll_commands: list[str]
    first_sync: str

    @property
    def ratio(self) -> float:
        return self.poll_ms / self.raw_ms


def time_idle(server: DovecotServer, user: str, password: str, app: AppContext, label: str, messages: int,
              first_sync: str, repeats: int) -> IdleResult:
    """Medians of `poll_once(app)` (nothing new) and a bare login+EXAMINE+logout, interleaved."""
    from busavvik.poll import poll_once
    def raw() -> None:
        bare_poll(server, user, password)

    def poll() -> None:
        results = poll_once(app)
        assert results[0].error is None, results[0].error
        assert results[0].stats.new + results[0].stats.duplicates == 0, "an idle poll fetched mail"

    raw()
    poll()                                      # warm up: index, auth cache, engine, rules
    with CommandLog() as raw_log:
        raw()
    with CommandLog() as poll_log:
        poll()
    raw_samples, poll_samples = [], []
    for _ in range(repeats):
        for fn, samples in ((raw, raw_samples), (poll, poll_samples)):
            started = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - started)
    return IdleResult(label, messages, statistics.median(raw_samples) * 1000,
                      statistics.median(poll_samples) * 1000, raw_log.after_login, poll_log.after_login,
                      first_sync)


def idle_folder(server: DovecotServer, work: Path, size: int, repeats: int) -> IdleResult:
    """A user of its own with `size` small messages; its store gets the cursor by a real first sync (up to
    10,000 messages) or set directly to what a complete sync leaves (UIDVALIDITY, UIDNEXT-1)."""
    from imapclient import IMAPClient

    from bench.imap_raw import load, small_message
    from busavvik.poll import poll_once
    from ingest.types import FolderCursor
    from store.message_rows import set_cursor
    user, password = f"idle{size}", f"idle-{size}-password"
    server.add_user(user, password)
    load(server, (small_message(i) for i in range(size)), user=user)
    mb = _mailbox(server, user, password, name=user)
    app = _app(f"sqlite:///{work / f'{user}.sqlite'}", mb)
    client = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=600)
    client.login(user, password)
    info = client.select_folder("INBOX", readonly=True)        # builds Dovecot's index, outside the timing
    client.logout()
    if size <= 10_000:
        first = poll_once(app)[0]
        assert first.error is None and first.stats.new == size, (first.error, first.stats)
        how = f"cursor from a real first sync of {size:,} messages"
    else:
        with app.db.session() as session:
            set_cursor(session, mb.name, "INBOX",
                       FolderCursor(int(info[b"UIDVALIDITY"]), int(info[b"UIDNEXT"]) - 1))
        how = "cursor set to UIDVALIDITY/UIDNEXT-1 as a complete sync leaves it"
    return time_idle(server, user, password, app, f"{size:,}-message folder", size, how, repeats)


# ---- the run -----------------------------------------------------------------------------------------------
def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(loaded: int, size_mb: float, load_s: float, raw: FetchResult, untraced: FetchResult,
           sync: SyncResult, idle: list[IdleResult], forms: int, profile: str | None) -> None:
    ratio = sync.per_second / raw.per_second
    print("\n" + "=" * 100)
    print(f"messages: {loaded:,} ({size_mb * 1e6 / loaded / 1024:.1f} kB average, {size_mb:.0f} MB; {forms:,} "
          f"with a filled-in form), written in {load_s:.1f} s")
    print(f"raw fetch (imapclient, BODY.PEEK[], {BATCH} UIDs a batch): {raw.messages:,} msg in "
          f"{raw.seconds:.2f} s = {raw.per_second:,.0f} msg/s ({raw.mb_per_second:.0f} MB/s)")
    print(f"raw fetch as above, imaplib's trace off (as the worker fetches): {untraced.messages:,} msg in "
          f"{untraced.seconds:.2f} s = {untraced.per_second:,.0f} msg/s ({untraced.mb_per_second:.0f} MB/s)")
    print(f"sync (poll_once into a fresh SQLite store): {sync.messages:,} msg in {sync.seconds:.2f} s = "
          f"{sync.per_second:,.0f} msg/s (floor ≥ {SYNC_FLOOR}: {_met(sync.per_second >= SYNC_FLOOR)}); "
          f"error: {sync.error}")
    print(f"  stored: {sync.deviations:,} deviations (of {forms:,} forms), {sync.stats.get('answers', 0):,} answers, "
          f"{sync.stats.get('with_problems', 0):,} with problems {sync.stats.get('problem_codes') or ''}")
    print(f"  CPU: sync process {sync.cpu_main_s:.1f} s, parser processes {sync.cpu_workers_s:.1f} s "
          f"(wall {sync.seconds:.1f} s)")
    per_msg = 1000 / max(sync.messages, 1)
    print("  sync process by thread: " + "; ".join(f"{name} {cpu:.1f} s ({cpu * per_msg:.2f} ms/msg)"
                                                  for name, cpu in sync.cpu_threads_s.items() if cpu >= 0.05))
    print(f"  ratio sync/raw: {ratio:.2f} (target ≥ {RATIO_TARGET}: {_met(ratio >= RATIO_TARGET)}); "
          f"against the fetch with the trace off: {sync.per_second / untraced.per_second:.2f}")
    print(f"peak RSS: {sync.rss_peak_mb:.0f} MB (target ≤ {RSS_TARGET_MB}: "
          f"{_met(sync.rss_peak_mb <= RSS_TARGET_MB)}) = max of sync process {sync.rss_main_mb:.0f} MB and "
          f"largest parser process {sync.rss_workers_mb:.0f} MB")
    print(f"  highest sampled sum over the sync process and its parser processes: {sync.rss_sum_peak_mb:.0f} MB"
          f" ({_met(sync.rss_sum_peak_mb <= RSS_TARGET_MB)} if the target is for all processes together); "
          f"benchmark's RUSAGE_CHILDREN max: {sync.rss_children_parent_mb:.0f} MB")
    for r in idle:
        big = r.messages >= 100_000
        target = f" (target ≤ {IDLE_RATIO_TARGET}: {_met(r.ratio <= IDLE_RATIO_TARGET)})" if big else ""
        commands = len(r.poll_commands)
        print(f"idle poll, {r.label}: poll_once {r.poll_ms:.1f} ms vs bare login+EXAMINE+logout "
              f"{r.raw_ms:.1f} ms: ratio {r.ratio:.2f}{target}")
        print(f"  IMAP commands after LOGIN: poll_once {commands} {r.poll_commands} (target ≤ "
              f"{IDLE_COMMANDS_TARGET}: {_met(commands <= IDLE_COMMANDS_TARGET)}); bare {r.raw_commands}; "
              f"{r.first_sync}")
    if profile:
        print("\ncProfile of a second sync (sync process only; parsing runs in the parser processes), "
              "top 25 by cumulative time "
              "(cProfile slows the sync process down):")
        print(profile)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="messages for the first sync (default 10000)")
    parser.add_argument("--big", action="store_true", help="also time an idle poll on 100,000 messages")
    parser.add_argument("--keep", action="store_true", help="leave Dovecot running and keep mail and store")
    parser.add_argument("--profile", action="store_true", help="add a cProfiled second sync")
    parser.add_argument("--repeats", type=int, default=30, help="idle polls timed per folder (default 30)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_sync(json.loads(args.child))
        return 0
    from bench.imap_raw import PASSWORD, USER, load, raw_fetch, start_server
    from tests.support.busmail import realistic_bus_messages
    if os.geteuid() != 0:
        print("run as root: the benchmark starts its own Dovecot", file=sys.stderr)
        return 2
    server = start_server()
    work = Path(tempfile.mkdtemp(prefix="busavvik-sync-"))
    keep = False
    try:
        sizes: list[int] = []

        def counted() -> Iterator[bytes]:
            for data in realistic_bus_messages(args.count):
                sizes.append(len(data))
                yield data

        loaded, load_s = load(server, counted())
        forms = (loaded + 1) // 2
        print(f"loaded {loaded:,} messages ({sum(sizes) / loaded / 1024:.1f} kB average) in {load_s:.1f} s "
              f"(mail {server.root}, store {work})", flush=True)
        raw = raw_fetch(server, BATCH)
        print(f"raw fetch: {raw.per_second:,.0f} msg/s", flush=True)
        untraced = raw_fetch(server, BATCH, traced=False)
        print(f"raw fetch, imaplib trace off: {untraced.per_second:,.0f} msg/s", flush=True)
        mb = _mailbox(server, USER, PASSWORD, name="bench")
        db_url = f"sqlite:///{work / 'sync.sqlite'}"
        sync = run_sync(mb, db_url, work)
        print(f"sync: {sync.per_second:,.0f} msg/s (floor ≥ {SYNC_FLOOR}: {_met(sync.per_second >= SYNC_FLOOR)}; "
              f"error: {sync.error})", flush=True)
        profile = None
        if args.profile:
            prof = work / "sync.prof"
            profiled = run_sync(mb, f"sqlite:///{work / 'profiled.sqlite'}", work, profile=prof)
            profile = (f"(profiled sync: {profiled.per_second:,.0f} msg/s; CPU sync process "
                       f"{profiled.cpu_main_s:.1f} s, parser processes {profiled.cpu_workers_s:.1f} s)\n"
                       + profile_summary(prof))
        idle = [time_idle(server, USER, PASSWORD, _app(db_url, mb), f"{loaded:,}-message folder (the synced one)",
                          loaded, "cursor from the sync above", args.repeats)]
        print(f"idle poll on the synced folder: {idle[0].poll_ms:.1f} ms", flush=True)
        for size in (1_000, 100_000) if args.big else (1_000,):
            idle.append(idle_folder(server, work, size, args.repeats))
            print(f"idle poll on {size:,} messages: {idle[-1].poll_ms:.1f} ms", flush=True)
        report(loaded, sum(sizes) / 1e6, load_s, raw, untraced, sync, idle, forms, profile)
        keep = args.keep
        if keep:
            print(f"\nkept: Dovecot on 127.0.0.1:{server.port} (user {USER}, password {PASSWORD}), mail in "
                  f"{server.root}, stores in {work}; stop with: doveadm -c {server.config} stop")
    finally:
        if not keep:
            server.stop()
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
