"""One message's parse within a budget of CPU time and memory: the code that runs in a parser process.

A parser process (pipeline/pool.py starts it, `serve` here runs in it) caps its own address space (RLIMIT_AS,
`memory_mb` above its size at start) and arms a CPU timer (ITIMER_PROF) for each message. A message that runs
out of time is answered with `parse_timeout`, one that runs out of memory or recursion depth with
`too_complex`. A loop in C code never sees the timer: the pool kills such a process from outside.

What is stored for such a message is `parsers.over_budget.over_budget()` (pure).
"""
from __future__ import annotations

import gc
import resource
import signal
from dataclasses import dataclass
from multiprocessing.connection import Connection

from config.rules import Rules
from parsers.mailform import parse_mail_and_form
from parsers.over_budget import Outcome, Parsed, over_budget

__all__ = ["Outcome", "OverBudget", "ParseBudget", "Parsed", "limit_memory", "over_budget", "parse_guarded", "serve"]


@dataclass(frozen=True)
class ParseBudget:
    """Per message: CPU seconds, and how far (MB) a parser process may grow its address space."""
    cpu_seconds: float = 10.0
    memory_mb: int = 1024


class OverBudget(BaseException):
    """Raised by the CPU timer; a BaseException, so that no parser's `except Exception` swallows it."""


def _on_timer(_signum: int, _frame: object) -> None:
    raise OverBudget


def parse_guarded(raw: bytes, rules: Rules, budget: ParseBudget | None = None) -> Outcome:
    """The parse, or why there is none. With a budget the CPU timer is armed (a parser process only)."""
    try:
        if budget is not None:
            signal.setitimer(signal.ITIMER_PROF, budget.cpu_seconds)
        try:
            return "ok", parse_mail_and_form(raw, rules)
        finally:
            if budget is not None:
                signal.setitimer(signal.ITIMER_PROF, 0)
    except OverBudget:
        seconds = budget.cpu_seconds if budget else 0
        return "parse_timeout", f"parsing took more than {seconds:g} s of CPU time; stored unparsed"
    except MemoryError:
        limit = f" ({budget.memory_mb} MB)" if budget else ""
        return "too_complex", f"parsing needed more memory than allowed{limit}; stored unparsed"
    except RecursionError:
        return "too_complex", "nested too deep to parse; stored unparsed"
    except Exception as exc:  # noqa: BLE001 - handed to the caller, which keeps the bytes (internal_error)
        return "error", exc


def _vm_size() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def limit_memory(memory_mb: int) -> None:
    """This process may grow its address space by `memory_mb` MB more; beyond it, MemoryError."""
    if memory_mb <= 0:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _vm_size() + (memory_mb << 20)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def serve(conn: Connection, rules: Rules, budget: ParseBudget) -> None:
    """A parser process: raw bytes in, one Outcome out, until the pool closes the connection."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C is for the parent, which then closes this
    signal.signal(signal.SIGPROF, _on_timer)
    limit_memory(budget.memory_mb)
    # Parsing makes many short-lived objects, almost none in cycles: collect less often (~5% less CPU).
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError):
            return
        outcome = parse_guarded(raw, rules, budget)
        del raw
        try:
            conn.send(outcome)
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - an exception that cannot be pickled: its name
            conn.send(("error", RuntimeError(f"{type(outcome[1]).__name__}: {exc}")))
        if outcome[0] == "too_complex":
            return          # out of memory once: a fresh process for the next message


