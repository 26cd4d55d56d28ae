"""One retry helper for the network seams (IMAP polling, SMTP sending): exponential backoff, on tenacity.

An attempt fails when it raises one of `errors`, or when `failed(result)` says its result is a failure.  After
`Backoff.attempts` failures in a row the last attempt's exception is raised again, or its result returned.
`progress()`, when given, tells whether a failed attempt got further than the one before it (IMAP: a poll
that stored batches before the connection dropped): then the count starts anew.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    attempts: int = 4                      # calls in all (1: no retry)
    base_delay: float = 1.0                # the wait after the first failure, doubled after each next one
    max_delay: float = 60.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, failures: int) -> float:
        """The wait after the `failures`-th failure in a row."""
        return min(self.base_delay * 2 ** (failures - 1), self.max_delay)


@dataclass(frozen=True)
class Failure:
    number: int                            # the failed attempt's number in the current count (1, 2, …)
    error: BaseException | None            # what it raised; None when its result was the failure
    result: object = None
    further: bool = False                  # it got further than the attempt before it: the count started anew


class _Count:
    """Failures in a row, counted anew whenever `progress()` rose (tenacity's own count never restarts)."""

    def __init__(self, progress: Callable[[], int] | None) -> None:
        self.progress = progress
        self.seen = progress() if progress else 0
        self.failure = Failure(0, None)

    def record(self, state: RetryCallState) -> Failure:
        number, further = self.failure.number + 1, False
        if self.progress is not None and (reached := self.progress()) > self.seen:
            number, further, self.seen = 1, True, reached
        outcome = state.outcome
        assert outcome is not None
        error = outcome.exception() if outcome.failed else None
        self.failure = Failure(number, error, None if outcome.failed else outcome.result(), further)
        return self.failure


def retry_call(fn: Callable[[], T], backoff: Backoff, *, errors: tuple[type[BaseException], ...] = (),
               failed: Callable[[T], bool] | None = None, progress: Callable[[], int] | None = None,
               on_failure: Callable[[Failure], None] | None = None,
               before_retry: Callable[[Failure, float], None] | None = None) -> T:
    """`fn()`, called again after each failure (see the module) with `backoff`'s waits.

    `on_failure(failure)` is told of every failed attempt, the last one too; `before_retry(failure, delay)`
    only of those that are tried again, just before the wait."""
    count = _Count(progress)

    def should_retry(state: RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None:
            return False
        if outcome.failed:
            return isinstance(outcome.exception(), errors)
        return failed is not None and failed(outcome.result())

    def after(state: RetryCallState) -> None:
        failure = count.record(state)
        if on_failure is not None:
            on_failure(failure)

    def waiting(_state: RetryCallState) -> None:
        if before_retry is not None:
            before_retry(count.failure, backoff.delay(count.failure.number))

    retrying = Retrying(retry=should_retry, after=after, before_sleep=waiting, sleep=backoff.sleep,
                        stop=lambda _s: count.failure.number >= max(1, backoff.attempts),
                        wait=lambda _s: backoff.delay(count.failure.number),
                        retry_error_callback=lambda s: s.outcome.result() if s.outcome else None)
    return retrying(fn)
