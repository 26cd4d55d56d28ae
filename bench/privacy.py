"""Privacy and escaping: a corpus full of personnummer and samordningsnummer, HTML injection and terminal

The drill lives in tests/support/privacy.py (the tests run it at a small size); this is its command:

    .venv/bin/python bench/privacy.py [options]     # --help lists them
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.privacy import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
