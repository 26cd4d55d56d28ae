"""Bad input: a mutation fuzzer over real fixtures, through the whole pipeline (Pipeline(db, rules).ingest).

The drill lives in tests/support/fuzz.py (the tests run it at a small size); this is its command:

    .venv/bin/python bench/fuzz.py [options]     # --help lists them
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.fuzz import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
