"""Parsing in parser processes, each message within a budget (pipeline/budget.py), results in order.

Every message is parsed in a parser process, however small the batch: a parse that runs out of CPU time or
memory, or takes its process down, costs that message its parse (it is stored with `parse_timeout` or
`too_complex`), never the batch. One thread (`_Dispatcher`) feeds the processes one message at a time,
reads their answers, and watches each message's CPU time from outside: a process past its budget without
an answer (a loop in C code never sees the timer) is killed. A process that dies is replaced; the message
it had is tried once more in a fresh one, and after a second death it is `too_complex`.
Processes come from a fork server that has the parsers imported, so starting one costs milliseconds; each runs
`pipeline.budget.serve`.  One place for the pool and its processes (`ParserProcess`: its pipe, its CPU time
and peak memory read from /proc).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from multiprocessing.connection import wait
from typing import Any

from config.rules import Rules
from parsers.over_budget import Outcome, Parsed, over_budget
from pipeline.budget import ParseBudget, parse_guarded, serve

__all__ = ["ParseBudget", "Parsed", "ParserPool", "Pending"]
log = logging.getLogger(__name__)
WINDOW = 512                     # messages handed to the processes at a time by `parse`
_TICK = 0.02                     # how often the dispatcher looks at the processes' CPU time (s)


# ---- one parser process ----------------------------------------------------------------------------------------------
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


# ---- the pool --------------------------------------------------------------------------------------------------------
class Pending:
    """Messages handed to the parser processes (`ParserPool.submit`); `results()` yields them in order."""

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs

    def results(self) -> Iterator[Parsed]:
        for job in self.jobs:
            yield job.future.result()

    def cancel(self) -> None:
        for job in self.jobs:
            job.future.cancel()


class ParserPool:
    """`parse(raws)` yields results in order; processes start on first need and live until close()."""

    def __init__(self, rules: Rules, workers: int | None = None, min_parallel: int = 48,
                 budget: ParseBudget | None = None) -> None:
        self.rules, self.budget = rules, budget or ParseBudget()
        self.workers = max(1, workers if workers is not None else min(2, os.cpu_count() or 1))
        self.min_parallel = min_parallel    # fewer messages than this are parsed by one process
        self._allowed = 1
        self._procs: list[ParserProcess] = []
        self._queue: deque[Job] = deque()
        self._lock = threading.Lock()
        self._running = False
        self._thread: threading.Thread | None = None
        self._closed = False
        self._peak = 0.0
        self._finalizer = weakref.finalize(self, stop_all, self._procs)

    def pids(self) -> list[int]:
        return [p.proc.pid for p in list(self._procs) if p.proc.pid]

    def reset_peak(self) -> None:
        """Start measuring the parser processes' peak RSS again (Linux: clear_refs resets VmHWM)."""
        self._peak = 0.0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as refs:
                    refs.write("5")
            except OSError:
                pass

    def peak_rss_mb(self) -> float:
        """The highest peak RSS of any parser process so far, those replaced included (for benchmarks)."""
        self._peak = max([self._peak, *(p.peak_mb() for p in list(self._procs))])
        return round(self._peak, 1)

    def submit(self, raws: Sequence[bytes]) -> Pending | None:
        """Start parsing `raws` now (from any thread); results from `Pending.results()`."""
        jobs = [Job(raw) for raw in raws]
        with self._lock:
            if self._closed:
                return None
            if len(jobs) >= self.min_parallel:
                self._allowed = self.workers
            self._queue.extend(jobs)
            if jobs and not self._running:
                self._running = True
                self._thread = threading.Thread(target=self._dispatch, name="parser-dispatch", daemon=True)
                self._thread.start()
        return Pending(jobs)

    def parse(self, raws: Iterable[bytes], count: int) -> Iterator[Parsed]:
        if count >= self.min_parallel:
            self._allowed = self.workers
        window: list[bytes] = []
        for raw in raws:  # a window at a time: memory stays bounded however many messages there are
            window.append(raw)
            if len(window) == WINDOW:
                yield from self._results(window)
                window = []
        yield from self._results(window)

    def _results(self, window: list[bytes]) -> Iterator[Parsed]:
        pending = self.submit(window)
        if pending is None:   # closed: parsed here, without a budget
            yield from (_parsed(parse_guarded(raw, self.rules), raw) for raw in window)
            return
        yield from pending.results()

    def close(self) -> None:
        """Messages not yet started are dropped; those being parsed are finished first."""
        with self._lock:
            self._closed = True
            left, self._queue = list(self._queue), deque()
            thread = self._thread
        for job in left:
            _fail(job, RuntimeError("the parser pool was closed"))
        if thread is not None:
            thread.join()
        self.peak_rss_mb()
        self._finalizer()

    # ---- the dispatcher thread --------------------------------------------------------------------------
    def _dispatch(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # noqa: BLE001 - never leave a reader waiting for a result
            log.exception("the parser dispatcher failed")
            with self._lock:
                jobs = [*self._queue, *(p.job for p in self._procs if p.job is not None)]
                self._queue.clear()
                self._running = False
            for job in jobs:
                _fail(job, exc)

    def _loop(self) -> None:
        while True:
            with self._lock:
                busy = self._assign()
                if not busy:
                    self._running = False
                    return
            ready = wait([p.conn for p in busy] + [p.proc.sentinel for p in busy], timeout=_TICK)
            for p in busy:
                self._watch(p, ready)

    def _assign(self) -> list[ParserProcess]:
        """Queued messages to idle processes (started as needed); the processes now busy."""
        self._procs[:] = [p for p in self._procs if p.job is not None or p.proc.is_alive()]
        while self._queue and not self._closed:
            idle = next((p for p in self._procs if p.job is None), None)
            if idle is None and len(self._procs) < self._allowed:
                idle = self._start()
            if idle is None:
                break
            job = self._queue.popleft()
            if not _claim(job):
                continue      # cancelled
            try:
                idle.give(job)
            except OSError:   # died just now: noticed by _watch
                pass
        return [p for p in self._procs if p.job is not None]

    def _start(self) -> ParserProcess | None:
        try:
            proc = ParserProcess(context(), self.rules, self.budget)
        except OSError as exc:
            if self._procs:
                return None
            log.error("no parser process could be started (%s); parsing in this process, without a budget", exc)
            job = self._queue.popleft()
            if _claim(job):
                job.future.set_result(_parsed(parse_guarded(job.raw, self.rules), job.raw))
            return None
        self._procs.append(proc)
        return proc

    def _watch(self, p: ParserProcess, ready: list[Any]) -> None:
        job = p.job
        assert job is not None
        if p.conn in ready:
            try:
                outcome: Outcome = p.conn.recv()
            except (EOFError, OSError):
                return self._died(p, job)
            p.job = None
            _finish(job, outcome)
        elif p.proc.sentinel in ready or not p.proc.is_alive():
            self._died(p, job)
        elif time.monotonic() - p.wall_at > 1 and p.over(self.budget):   # (no budget is over in less)
            log.error("a message ran past its parse budget (%s s of CPU); its parser process was killed",
                      self.budget.cpu_seconds)
            self._drop(p)
            _finish(job, ("parse_timeout", f"parsing took more than {self.budget.cpu_seconds:g} s of CPU time; "
                                           "the parser process was stopped; stored unparsed"))

    def _drop(self, p: ParserProcess) -> None:
        p.job = None
        self._peak = max(self._peak, p.peak_mb())
        p.proc.kill()
        p.proc.join(5)
        p.conn.close()
        with self._lock:
            self._procs.remove(p)

    def _died(self, p: ParserProcess, job: Job) -> None:
        self._drop(p)
        code = p.proc.exitcode
        job.deaths += 1
        if job.deaths >= 2:
            log.error("a parser process died twice on the same message (exit %s); it is stored unparsed", code)
            _finish(job, ("too_complex", f"the parser process died on it twice (exit {code}); stored unparsed"))
            return
        log.error("a parser process died (exit %s); another is started and the message parsed again", code)
        with self._lock:
            if not self._closed:
                self._queue.appendleft(job)
                return
        _fail(job, RuntimeError("the parser pool was closed"))


def _parsed(outcome: Outcome, raw: bytes) -> Parsed:
    kind, value = outcome
    if kind == "ok":
        return value  # type: ignore[no-any-return]
    if kind == "error":
        raise value
    return over_budget(raw, kind, value)


def _finish(job: Job, outcome: Outcome) -> None:
    try:
        job.future.set_result(_parsed(outcome, job.raw))
    except Exception as exc:  # noqa: BLE001 - the parser's own exception, raised where the result is read
        job.future.set_exception(exc)
    job.raw = b""


def _claim(job: Job) -> bool:
    """The job's future marked running (it may be already: a message tried again); False if cancelled."""
    return job.future.running() or job.future.set_running_or_notify_cancel()


def _fail(job: Job, exc: BaseException) -> None:
    if _claim(job):
        job.future.set_exception(exc)
