"""The report of bench/imap_sync.py: the figures against their targets.

Split out of bench/imap_sync.py, which re-exports these names.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from bench.imap_sync_idle import BATCH, IdleResult

if TYPE_CHECKING:
    from bench.imap_raw import FetchResult
    from bench.imap_sync import SyncResult

RSS_TARGET_MB = 250
RATIO_TARGET = 0.5         # issue 3's ratio to the raw fetch: withdrawn by issue 15, printed for comparison
SYNC_FLOOR = 300          # msg/s for ~50 kB messages (issue 15): the floor, whatever the raw fetch does
IDLE_RATIO_TARGET = 1.5
IDLE_COMMANDS_TARGET = 2


# ---- the report -----------------------------------------------------------------------------------------------
def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(loaded: int, size_mb: float, load_s: float, raw: FetchResult, untraced: FetchResult,
           sync: SyncResult, idle: list[IdleResult], forms: int, profile: str | None) -> None:
    print("\n" + "=" * 100)
    print(f"messages: {loaded:,} ({size_mb * 1e6 / loaded / 1024:.1f} kB average, {size_mb:.0f} MB; {forms:,} "
          f"with a filled-in form), written in {load_s:.1f} s")
    _report_sync(raw, untraced, sync, forms)
    _report_idle(idle)
    if profile:
        print("\ncProfile of a second sync (sync process only; parsing runs in the parser processes), "
              "top 25 by cumulative time "
              "(cProfile slows the sync process down):")
        print(profile)


def _report_sync(raw: FetchResult, untraced: FetchResult, sync: SyncResult, forms: int) -> None:
    ratio = sync.per_second / raw.per_second
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
    print(f"  ratio sync/raw: {ratio:.2f} (issue 3's target ≥ {RATIO_TARGET}, withdrawn: shown only); "
          f"against the fetch with the trace off: {sync.per_second / untraced.per_second:.2f}")
    print(f"peak RSS: {sync.rss_peak_mb:.0f} MB (target ≤ {RSS_TARGET_MB}: "
          f"{_met(sync.rss_peak_mb <= RSS_TARGET_MB)}) = max of sync process {sync.rss_main_mb:.0f} MB and "
          f"largest parser process {sync.rss_workers_mb:.0f} MB")
    print(f"  highest sampled sum over the sync process and its parser processes: {sync.rss_sum_peak_mb:.0f} MB"
          f" ({_met(sync.rss_sum_peak_mb <= RSS_TARGET_MB)} if the target is for all processes together); "
          f"benchmark's RUSAGE_CHILDREN max: {sync.rss_children_parent_mb:.0f} MB")


def _report_idle(idle: list[IdleResult]) -> None:
    for r in idle:
        big = r.messages >= 100_000
        target = f" (target ≤ {IDLE_RATIO_TARGET}: {_met(r.ratio <= IDLE_RATIO_TARGET)})" if big else ""
        commands = len(r.poll_commands)
        print(f"idle poll, {r.label}: poll_once {r.poll_ms:.1f} ms vs bare login+EXAMINE+logout "
              f"{r.raw_ms:.1f} ms: ratio {r.ratio:.2f}{target}")
        print(f"  IMAP commands after LOGIN: poll_once {commands} {r.poll_commands} (target ≤ "
              f"{IDLE_COMMANDS_TARGET}: {_met(commands <= IDLE_COMMANDS_TARGET)}); bare {r.raw_commands}; "
              f"{r.first_sync}")
