"""Process-wide tuning for bulk work (imports, polls, re-parses), applied by the CLI at start.

Python's cyclic garbage collector runs a young-generation pass every 700 net allocations and a full pass
every 100 of those; an ingest batch creates hundreds of thousands of short-lived objects (parsed mail, ORM
rows), almost none of them in reference cycles, so the default spends ~15% of the storing process's CPU
scanning the same live objects again.  Reference counting still frees everything at once; the collector
only runs less often, and what was loaded at start (modules, rules) is moved out of its way.
"""
from __future__ import annotations

import gc

BULK_THRESHOLDS = (50_000, 20, 100)


def for_bulk_work() -> None:
    gc.freeze()
    gc.set_threshold(*BULK_THRESHOLDS)
