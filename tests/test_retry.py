"""config/retry.py: the one retry helper of IMAP polling and SMTP sending (tenacity underneath)."""
from __future__ import annotations

import logging

import pytest

from config.retry import Backoff, Failure, retry_call
from config.settings import SmtpSettings
from ingest.imap import RetryPolicy, with_retries
from notify.smtp import SendResult, SmtpSender


class Flaky:
    """Fails (raises or returns "deferred") `failures` times, then succeeds."""

    def __init__(self, failures: int, raising: bool = True) -> None:
        self.failures, self.raising, self.calls = failures, raising, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            if self.raising:
                raise ConnectionResetError(f"reset {self.calls}")
            return "deferred"
        return "ok"


def _waits(attempts: int = 4, base: float = 1.0, most: float = 60.0) -> tuple[Backoff, list[float]]:
    slept: list[float] = []
    return Backoff(attempts, base, most, slept.append), slept


def test_exponential_waits_then_success() -> None:
    backoff, slept = _waits()
    fn = Flaky(3)
    assert retry_call(fn, backoff, errors=(OSError,)) == "ok"
    assert fn.calls == 4 and slept == [1.0, 2.0, 4.0]


def test_gives_up_after_attempts_with_the_last_error() -> None:
    backoff, slept = _waits(attempts=3, base=10.0, most=15.0)
    fn = Flaky(5)
    with pytest.raises(ConnectionResetError, match="reset 3"):
        retry_call(fn, backoff, errors=(OSError,))
    assert fn.calls == 3 and slept == [10.0, 15.0]         # capped at max_delay


def test_other_errors_are_not_retried() -> None:
    backoff, slept = _waits()

    def broken() -> str:
        raise ValueError("no")

    with pytest.raises(ValueError):
        retry_call(broken, backoff, errors=(OSError,))
    assert slept == []


def test_failed_results_are_retried_and_the_last_returned() -> None:
    backoff, slept = _waits(attempts=2)
    seen: list[Failure] = []
    assert retry_call(Flaky(5, raising=False), backoff, failed=lambda r: r == "deferred",
                      on_failure=seen.append) == "deferred"
    assert [f.number for f in seen] == [1, 2] and slept == [1.0]        # told of the last failure too
    assert retry_call(Flaky(1, raising=False), backoff, failed=lambda r: r == "deferred") == "ok"


def test_progress_starts_the_count_anew() -> None:
    backoff, slept = _waits(attempts=2)
    progress = {"n": 0}

    def fn() -> str:
        progress["n"] += 1 if progress["n"] < 3 else 0        # the first three attempts each get further
        raise ConnectionResetError("reset")

    told: list[tuple[int, bool, float]] = []
    with pytest.raises(ConnectionResetError):
        retry_call(fn, backoff, errors=(OSError,), progress=lambda: progress["n"],
                   before_retry=lambda f, d: told.append((f.number, f.further, d)))
    assert told == [(1, True, 1.0), (1, True, 1.0), (1, True, 1.0)] and len(slept) == 3


def test_imap_with_retries_logs_and_calls_back(caplog: pytest.LogCaptureFixture) -> None:
    slept: list[float] = []
    errors: list[BaseException] = []
    fn = Flaky(2)
    with caplog.at_level(logging.WARNING, logger="ingest.imap"):
        assert with_retries(fn, RetryPolicy(sleep=slept.append), errors.append) == "ok"
    assert slept == [1.0, 2.0] and len(errors) == 2
    assert [r.getMessage() for r in caplog.records] == [
        "IMAP network error (ConnectionResetError: reset 1); retry 1 of 3 in 1.0 s",
        "IMAP network error (ConnectionResetError: reset 2); retry 2 of 3 in 2.0 s"]


def test_smtp_sender_retries_deferred_with_backoff(caplog: pytest.LogCaptureFixture) -> None:
    slept: list[float] = []
    sender = SmtpSender(SmtpSettings(host="127.0.0.1", security="none", retries=3), backoff=2.0, sleep=slept.append)
    calls: list[int] = []

    def attempt(*_args: object) -> SendResult:
        calls.append(1)
        return SendResult("deferred", 451, f"try later {len(calls)}")

    sender._attempt = attempt  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO, logger="notify.smtp"):
        result = sender.send(b"x", "a@example.se", ["b@example.se"], lambda: True)
    assert result == SendResult("deferred", 451, "try later 4") and slept == [2.0, 4.0, 8.0]
    assert [r.getMessage() for r in caplog.records] == [
        f"smtp: transient failure (attempt {n}): try later {n}" for n in (1, 2, 3, 4)]
    sender._attempt = lambda *_a: SendResult("rejected", 550, "no")  # type: ignore[method-assign]
    slept.clear()
    assert sender.send(b"x", "a@example.se", ["b@example.se"], lambda: True).status == "rejected" and slept == []
