"""First sync and idle poll of the real worker against a fresh local Dovecot, beside raw imapclient baselines.

    .venv/bin/python -m bench.imap_sync [--count 10000] [--big] [--keep] [--profile]

In one run:
1. Starts a fresh Dovecot (bench/imap_raw.py) and loads `--count` realistic ~50 kB messages (tests/support/busmail.py):
   half are BUS deviation reports carrying a really filled-in form (tests/support/formbuilder.py, values and shape
   different in each), the other half answers to them and other mail without a form; signature images, PDF
   minutes and quoted history make up the size.
2. Raw baseline: imapclient, EXAMINE + UID SEARCH ALL + `BODY.PEEK[]` by 200 UIDs, nothing else → msg/s.
3. First sync into a fresh SQLite store through the worker's own path (`busavvik.poll.poll_once`, parsing on
   all cores through pipeline/pool.py), in a child process → msg/s, ratio to the raw fetch (issue 3's ≥ 0.5,
   withdrawn; the floor is 300 msg/s),
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
import io
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:                          # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

# Project modules are imported where used: the parser processes (spawned) import this module again, and
# should stay as small as the worker's own.
if TYPE_CHECKING:
    from config.settings import MailboxSettings
    from tests.support.servers.dovecot import DovecotServer

from bench.imap_sync_idle import (  # noqa: E402, F401 - re-exported (bench/sync_floor.py)
    BATCH,
    CommandLog,
    IdleResult,
    _app,
    _mailbox,
    bare_poll,
    idle_folder,
    time_idle,
)
from bench.imap_sync_report import (  # noqa: E402, F401 - re-exported
    IDLE_COMMANDS_TARGET,
    IDLE_RATIO_TARGET,
    RATIO_TARGET,
    RSS_TARGET_MB,
    SYNC_FLOOR,
    _met,
    report,
)


# ---- the sync, in a child process ----------------------------------------------------------------------------
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


# ---- the run -----------------------------------------------------------------------------------------------
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
    from bench.imap_raw import start_server
    if os.geteuid() != 0:
        print("run as root: the benchmark starts its own Dovecot", file=sys.stderr)
        return 2
    server = start_server()
    work = Path(tempfile.mkdtemp(prefix="busavvik-sync-"))
    keep = False
    try:
        keep = _bench(args, server, work)
    finally:
        if not keep:
            server.stop()
            shutil.rmtree(work, ignore_errors=True)
    return 0


def _load(server: DovecotServer, count: int) -> tuple[int, list[int], float]:
    """Load `count` realistic messages; returns (loaded, each message's size, seconds)."""
    from bench.imap_raw import load
    from tests.support.busmail import realistic_bus_messages
    sizes: list[int] = []

    def counted() -> Iterator[bytes]:
        for data in realistic_bus_messages(count):
            sizes.append(len(data))
            yield data

    loaded, load_s = load(server, counted())
    return loaded, sizes, load_s


def _profiled(mb: MailboxSettings, work: Path) -> str:
    prof = work / "sync.prof"
    profiled = run_sync(mb, f"sqlite:///{work / 'profiled.sqlite'}", work, profile=prof)
    return (f"(profiled sync: {profiled.per_second:,.0f} msg/s; CPU sync process "
            f"{profiled.cpu_main_s:.1f} s, parser processes {profiled.cpu_workers_s:.1f} s)\n"
            + profile_summary(prof))


def _bench(args: argparse.Namespace, server: DovecotServer, work: Path) -> bool:
    """Load, raw fetch, sync, idle polls, report; returns whether to keep server and store (--keep)."""
    from bench.imap_raw import PASSWORD, USER, raw_fetch
    loaded, sizes, load_s = _load(server, args.count)
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
    profile = _profiled(mb, work) if args.profile else None
    idle = [time_idle(server, USER, PASSWORD, _app(db_url, mb), f"{loaded:,}-message folder (the synced one)",
                      loaded, "cursor from the sync above", args.repeats)]
    print(f"idle poll on the synced folder: {idle[0].poll_ms:.1f} ms", flush=True)
    for size in (1_000, 100_000) if args.big else (1_000,):
        idle.append(idle_folder(server, work, size, args.repeats))
        print(f"idle poll on {size:,} messages: {idle[-1].poll_ms:.1f} ms", flush=True)
    report(loaded, sum(sizes) / 1e6, load_s, raw, untraced, sync, idle, forms, profile)
    if args.keep:
        print(f"\nkept: Dovecot on 127.0.0.1:{server.port} (user {USER}, password {PASSWORD}), mail in "
              f"{server.root}, stores in {work}; stop with: doveadm -c {server.config} stop")
    return bool(args.keep)


if __name__ == "__main__":
    raise SystemExit(main())
