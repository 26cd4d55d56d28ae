"""Parsing many messages on several cores: a process pool around the pure `parse_mail_and_form`.

Parsing is CPU-bound and pure, so it runs in worker processes while the caller stores results; small
jobs run in-process.  Workers load the rules themselves (from the same file) at start.
"""
from __future__ import annotations

import gc
import logging
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from config.rules import Rules, load_rules
from parsers.mailform import parse_mail_and_form
from parsers.types import FormData, ParsedEmail, Problem

Parsed = tuple[ParsedEmail, FormData | None, tuple[Problem, ...]]
_RULES: Rules | None = None
log = logging.getLogger(__name__)
WINDOW = 512


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


class ParserPool:
    """`parse(raws)` yields results in order; a pool is started on first need and reused until close()."""

    def __init__(self, rules: Rules, workers: int | None = None, min_parallel: int = 48) -> None:
        self.rules = rules
        self.workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        self.min_parallel = min_parallel
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            path = None if self.rules.source == "defaults" else self.rules.source
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_init, initargs=(path,))
        return self._pool

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
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
