"""`python -m busavvik.cli ARGS` as a real process on a database URL (no config file)."""
from __future__ import annotations

import os
import subprocess
import sys


def cli(*args: str, db_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BUSAVVIK_DATABASE_URL": db_url}
    env.pop("BUSAVVIK_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "busavvik.cli", *args], capture_output=True, text=True,
                          env=env, timeout=180)
