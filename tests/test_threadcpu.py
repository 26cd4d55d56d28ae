"""tests/support/threadcpu.py: the CPU of each thread of the process, by the thread's name and role."""
from __future__ import annotations

import threading
import time

from tests.support.threadcpu import ThreadCpu


def _burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass
    time.sleep(0.5)   # alive, idle: the sampler (every 0.05 s) reads its final CPU time even on a busy machine


def test_each_thread_gets_its_own_cpu_time() -> None:
    with ThreadCpu(interval=0.05) as cpu:
        worker = threading.Thread(target=_burn, args=(0.4,), name="imap-prefetch")
        worker.start()
        worker.join()
        time.sleep(0.01)
    seconds = cpu.seconds()
    fetching = seconds["fetching (imap-prefetch)"]
    assert 0.25 <= fetching <= 1.0, seconds
    assert seconds.get("storing (MainThread)", 0.0) < fetching
