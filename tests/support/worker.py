"""`busavvik run` as a real process over the bundled sample (tests/test_worker_run.py, test_status_ops.py)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "busavvik" / "sample" / "storsthlm"


def start(cfg: Path, tmp_path: Path, name: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUSAVVIK_")}
    return subprocess.Popen([sys.executable, "-m", "busavvik.cli", "--config", str(cfg), "run"], env=env,
                            stdout=subprocess.PIPE, stderr=open(tmp_path / f"{name}.log", "w"), text=True)


def wait(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.3)
    return False
