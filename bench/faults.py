"""Network faults: a TCP proxy in front of Dovecot (and of the SMTP sink) cuts, stalls and slows connections.

The drill lives in tests/support/faults.py (the tests run it at a small size); this is its command:

    .venv/bin/python bench/faults.py [options]     # --help lists them
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.faults import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
