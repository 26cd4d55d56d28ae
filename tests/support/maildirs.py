"""A Maildir written the way a mirror leaves it (all in cur/, seen, older than the scan's margin)."""
from __future__ import annotations

import os
import time
from pathlib import Path


def write_maildir(root: Path, loaded: list[bytes]) -> list[Path]:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    paths = []
    for i, data in enumerate(loaded):
        path = root / "cur" / f"17000000{i:02d}.M{i}P1.mirror:2,S"
        path.write_bytes(data)
        paths.append(path)
    old = time.time() - 60                  # well before the scan: no file waits for the clock's margin
    for path in paths:
        os.utime(path, (old, old))
    return paths
