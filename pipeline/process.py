"""One parser process of the pool (pipeline/pool.py): started from a fork server that has the parsers imported,
fed one message at a time, its CPU time and peak memory read from /proc."""
from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import Future
from typing import Any

from config.rules import Rules
from parsers.over_budget import Parsed
from pipeline.budget import ParseBudget, serve

_CLK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def context() -> Any:
    try:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["pipeline.budget"])
        return ctx
    except ValueError:   # no fork server on this platform
        return multiprocessing.get_context("spawn")


def cpu_seconds(pid: int) -> float | None:
    """A process's CPU time (user + system) in seconds, from /proc; None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLK
    except (OSError, IndexError, ValueError):
        return None


class Job:
    __slots__ = ("raw", "future", "deaths")

    def __init__(self, raw: bytes) -> None:
        self.raw, self.deaths = raw, 0
        self.future: Future[Parsed] = Future()


class ParserProcess:
    """One parser process and the message it is parsing (at most one)."""

    def __init__(self, ctx: Any, rules: Rules, budget: ParseBudget) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=serve, args=(child, rules, budget), daemon=True, name="busavvik-parser")
        self.proc.start()
        child.close()
        self.job: Job | None = None
        self.cpu_at = self.wall_at = 0.0

    def give(self, job: Job) -> None:
        self.job, self.wall_at = job, time.monotonic()
        self.cpu_at = cpu_seconds(self.proc.pid or 0) or 0.0
        self.conn.send_bytes(job.raw)

    def over(self, budget: ParseBudget) -> bool:
        """Well past the budget without an answer: CPU time (1.5x + 1 s), or wall time when stuck."""
        cpu = cpu_seconds(self.proc.pid or 0)
        wall = time.monotonic() - self.wall_at
        if cpu is not None and cpu - self.cpu_at > budget.cpu_seconds * 1.5 + 1:
            return True
        return wall > budget.cpu_seconds * (4 if cpu is not None else 2) + 30

    def peak_mb(self) -> float:
        """The process's peak RSS (VmHWM) in MB; 0 once it is gone."""
        try:
            with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as status:
                line = next((x for x in status if x.startswith("VmHWM:")), "VmHWM: 0 kB")
            return int(line.split()[1]) / 1024
        except (OSError, ValueError):
            return 0.0

    def stop(self) -> None:
        self.conn.close()
        self.proc.join(1)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)


def stop_all(procs: list[ParserProcess]) -> None:
    for p in procs:
        p.stop()
