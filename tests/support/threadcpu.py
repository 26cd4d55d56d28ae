"""CPU time per thread of this process while a block runs, read from /proc: where a sync's storing process spends.

    with ThreadCpu() as cpu:
        poll_once(app)
    cpu.seconds()   # {"storing (main thread)": 6.3, "fetching (imap-prefetch)": 1.1, ...}

Threads are sampled every 0.2 s (a thread's CPU counts up to its last sample before it ended); each is named
by its Python thread name and what it does in the worker.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

ROLES = {"MainThread": "storing", "imap-prefetch": "fetching", "sqlite-checkpoint": "checkpoint",
         "QueueFeederThread": "feeding the parser processes"}
MANAGER = "_ExecutorManagerThread"   # concurrent.futures' thread that receives the parse results


class ThreadCpu:
    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self._ticks = os.sysconf("SC_CLK_TCK")
        self._cpu: dict[int, float] = {}
        self._start: dict[int, float] = {}
        self._names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="thread-cpu-sampler", daemon=True)

    def __enter__(self) -> ThreadCpu:
        self._sample()
        self._start = dict(self._cpu)      # what the threads had used before: not counted
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _label(self, thread: threading.Thread) -> str:
        if type(thread).__name__ == MANAGER:
            return f"receiving parse results ({thread.name})"
        return f"{ROLES.get(thread.name, 'other')} ({thread.name})"

    def _sample(self) -> None:
        for thread in threading.enumerate():
            if thread.native_id is not None and thread is not self._thread:
                self._names[thread.native_id] = self._label(thread)
        for task in os.listdir("/proc/self/task"):
            try:
                fields = Path(f"/proc/self/task/{task}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self._cpu[int(task)] = (int(fields[11]) + int(fields[12])) / self._ticks   # utime + stime

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def seconds(self) -> dict[str, float]:
        """CPU seconds per named thread, largest first (the sampler itself left out)."""
        out: dict[str, float] = {}
        for tid, cpu in self._cpu.items():
            if tid in self._names:
                out[self._names[tid]] = out.get(self._names[tid], 0.0) + cpu - self._start.get(tid, 0.0)
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))
