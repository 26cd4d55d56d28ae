"""Two promises of the test suite, checked by tests/conftest.py:

1. The fast loop (`pytest -m "not integration"`) starts no server.  Every place that starts one (Dovecot, the
   SMTP sink, a TCP proxy, `busavvik web` as a process, chromium, a PostgreSQL schema) calls `server_started`,
   which fails a test that is not marked `@pytest.mark.integration`.
2. Nothing outlives the run.  `leftovers()` lists the processes still running at the end that the run started:
   children of the pytest process that were not there at its start, and Dovecot daemons (they detach from us)
   whose config lies in a root this run started.
"""
from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest

_current: tuple[str, bool] | None = None       # (test id, marked integration) while a test runs
_dovecot_roots: set[str] = set()
_children_at_start: set[int] = set()
# helpers of multiprocessing (parsers' forkserver pool) end with the interpreter; they are no server
_HARMLESS = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")


def entering(nodeid: str, integration: bool) -> None:
    global _current
    _current = (nodeid, integration)


def leaving() -> None:
    global _current
    _current = None


def server_started(what: str) -> None:
    """Called where a server starts; outside pytest (bench/, support scripts) it does nothing."""
    if _current is not None and not _current[1]:
        pytest.fail(f"{_current[0]} starts {what} but is not marked @pytest.mark.integration: the fast loop "
                    f"(pytest -m 'not integration') starts no server", pytrace=False)


def dovecot_started(root: Path) -> None:
    server_started("Dovecot")
    _dovecot_roots.add(str(root))


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _ppid(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return -1
    return int(stat[stat.rindex(")") + 2:].split()[1])     # after "(comm) STATE": the parent's pid


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _children() -> set[int]:
    me = os.getpid()
    return {pid for pid in _pids() if _ppid(pid) == me}


def remember_children() -> None:
    _children_at_start.update(_children())


def leftovers() -> list[tuple[int, str]]:
    """(pid, command line) of each process this run started that still runs."""
    out = []
    for pid in sorted(_children() - _children_at_start):
        line = _cmdline(pid)
        if line and not any(h in line for h in _HARMLESS):
            out.append((pid, line))
    for pid in _pids():
        line = _cmdline(pid)
        if "dovecot" in line and any(root in line for root in _dovecot_roots):
            out.append((pid, line))
    return out


def stop(left: list[tuple[int, str]]) -> None:
    """End what was left (the run still fails): SIGTERM, then SIGKILL after 5 s."""
    for pid, _ in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid, _ in left):
        time.sleep(0.1)
    for pid, _ in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
