"""Parsing many messages on several cores: a process pool around the pure `parse_mail_and_form`.

Parsing is CPU-bound and pure, so it runs in worker processes while the caller stores results; small
jobs run in-process.  Workers load the rules themselves (from the same file) at start.
"""
from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from config.rules import Rules, load_rules
from parsers.mailform import parse_mail_and_form
from parsers.types import FormData, ParsedEmail, Problem

Parsed = tuple[ParsedEmail, FormData | None, tuple[Problem, ...]]
_RULES: Rules | None = None
log = logging.getLogger(__name__)
WINDOW = 512
AHEAD_CHUNK = 8


def _init(rules_path: str | None) -> None:
    global _RULES
    _RULES = load_rules(rules_path)
    # Parsing makes many short-lived objects, almost none in cycles: collect less often (~5% less CPU; the
    # process's peak RSS stays the same). Not done in the storing process, where it costs ~30 MB.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _parse(raw: bytes) -> Parsed:
    assert _RULES is not None
    return parse_mail_and_form(raw, _RULES)


def _parse_chunk(raws: list[bytes]) -> list[Parsed]:
    return [_parse(raw) for raw in raws]


class Pending:
    """Parsing started ahead (`ParserPool.submit`): `results()` yields them in order; if the parser
    processes die meanwhile, the rest is parsed in this process."""

    def __init__(self, pool: ParserPool, raws: Sequence[bytes], futures: list[Future[list[Parsed]]]) -> None:
        self.pool, self.raws, self.futures = pool, raws, futures

    def results(self) -> Iterator[Parsed]:
        done = 0
        try:
            for future in self.futures:
                for result in future.result():
                    yield result
                    done += 1
            return
        except BrokenProcessPool:
            log.error("the parser processes died; parsing in this process from now on")
            self.pool.workers = 1
            self.pool.close()
        for raw in self.raws[done:]:
            yield parse_mail_and_form(raw, self.pool.rules)

    def cancel(self) -> None:
        for future in self.futures:
            future.cancel()


class ParserPool:
    """`parse(raws)` yields results in order; a pool is started on first need and reused until close()."""

    def __init__(self, rules: Rules, workers: int | None = None, min_parallel: int = 48) -> None:
        self.rules = rules
        self.workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        self.min_parallel = min_parallel
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()       # submit() may come from the thread that fetches

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                path = None if self.rules.source == "defaults" else self.rules.source
                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_init, initargs=(path,))
            return self._pool

    def submit(self, raws: Sequence[bytes]) -> Pending | None:
        """Start parsing `raws` in the worker processes now (from any thread); None when they would be
        parsed in this process anyway, or the pool cannot take work: then `parse()` them later."""
        if self.workers <= 1 or len(raws) < self.min_parallel:
            return None
        try:
            executor = self._executor()
            futures = [executor.submit(_parse_chunk, list(raws[i:i + AHEAD_CHUNK]))
                       for i in range(0, len(raws), AHEAD_CHUNK)]
        except (BrokenProcessPool, RuntimeError):   # closed or broken meanwhile
            return None
        return Pending(self, raws, futures)

    def parse(self, raws: Iterable[bytes], count: int) -> Iterator[Parsed]:
        if self.workers <= 1 or count < self.min_parallel:
            for raw in raws:
                yield parse_mail_and_form(raw, self.rules)
            return
        window: list[bytes] = []
        for raw in raws:  # a window at a time: memory stays bounded however many messages there are
            window.append(raw)
            if len(window) == WINDOW:
                yield from self._window(window)
                window = []
        yield from self._window(window)

    def _window(self, window: list[bytes]) -> Iterator[Parsed]:
        """Results in order as the workers finish them, so the caller can store while later ones parse."""
        done = 0
        if self.workers > 1:
            try:
                for result in self._executor().map(_parse, window, chunksize=8):
                    yield result
                    done += 1
                return
            except BrokenProcessPool:
                log.error("the parser processes died; parsing in this process from now on")
                self.close()
                self.workers = 1
        for raw in window[done:]:
            yield parse_mail_and_form(raw, self.rules)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
