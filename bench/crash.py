"""Crash harness: kill -9 the real `busavvik` process at random points, restart, and count what went wrong.

The drill lives in tests/support/crash.py (the tests run it at a small size); this is its command:

    .venv/bin/python bench/crash.py [options]     # --help lists them
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.crash import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
