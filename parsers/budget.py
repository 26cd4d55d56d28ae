"""One message's parse within a budget of CPU time and memory, and what is stored when it runs out.

A parser process (parsers/pool.py, `serve`) caps its own address space (RLIMIT_AS, `memory_mb` above its
size at start) and arms a CPU timer (ITIMER_PROF) for each message. A message that runs out of time is
answered with `parse_timeout`, one that runs out of memory or recursion depth with `too_complex`. A loop in
C code never sees the timer: the pool kills such a process from outside (parsers/pool.py).

`over_budget()` is what is stored for such a message: its Message-ID, sender and subject from a bounded
look at the header (never the parsers that ran out), the problem, no form. The raw bytes are kept as always,
so `busavvik reparse` may try again.
"""
from __future__ import annotations

import email.header
import email.utils
import gc
import hashlib
import re
import resource
import signal
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from config.rules import Rules
from parsers.mailform import parse_mail_and_form
from parsers.types import Address, FormData, ParsedEmail, Problem

Parsed = tuple[ParsedEmail, FormData | None, tuple[Problem, ...]]
Outcome = tuple[str, Any]        # ("ok", Parsed) | ("parse_timeout" | "too_complex", detail) | ("error", exc)
HEAD_BYTES = 65_536              # how much of a message over budget is looked at for its header
_FIELD = re.compile(rb"^(message-id|from|subject)[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.I | re.M)
_ID = re.compile(r"<([^<>\s]{1,500})>")


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


def _text(value: bytes, limit: int) -> str:
    text = " ".join(value[:limit * 4].decode("utf-8", "replace").split())[:limit]
    try:
        return str(email.header.make_header(email.header.decode_header(text)))[:limit]
    except Exception:  # noqa: BLE001 - shown as it stands
        return text


def _header(raw: bytes) -> dict[str, bytes]:
    head = raw[:HEAD_BYTES]
    end = re.search(rb"\r?\n\r?\n", head)
    found: dict[str, bytes] = {}
    for match in _FIELD.finditer(head[:end.start()] if end else head):
        found.setdefault(match.group(1).decode().lower(), match.group(2))
    return found


def over_budget(raw: bytes, code: str, detail: str) -> Parsed:
    """What is stored for a message whose parse ran out of budget: a bounded look at its header only."""
    fields = _header(raw)
    found = _ID.search(_text(fields.get("message-id", b""), 1000))
    if found:
        message_id, synthetic = found.group(1).lower(), False
    else:
        message_id, synthetic = f"{hashlib.sha256(raw).hexdigest()[:40]}@synthetic.busavvik.invalid", True
    name, addr = email.utils.parseaddr(_text(fields.get("from", b""), 500))
    sender = Address(name, addr.lower()) if "@" in addr and len(addr) <= 254 else None
    mail = ParsedEmail(
        message_id=message_id, message_id_header=f"<{found.group(1) if found else message_id}>",
        synthetic_id=synthetic, in_reply_to=(), references=(), thread_index_guid=None, thread_topic=None,
        subject=_text(fields.get("subject", b""), 300), normalised_subject="", sender=sender, to=(), cc=(),
        date=None, body_text="", auto_reply=False, attachments=(), problems=(Problem(code, detail),))
    return mail, None, ()
