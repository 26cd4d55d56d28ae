"""Cutting new mail into batches of bounded count and bytes, for every source (IMAP, Maildir)."""
from __future__ import annotations

from collections.abc import Iterator, Sequence

MB = 1024 * 1024
DEFAULT_BATCH_BYTES = 32 * MB
MAX_UIDS = 5000      # per UID FETCH: Dovecot answers "Too long argument" to much longer UID lists


def cuts(sizes: Sequence[int], batch_size: int, batch_bytes: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each batch over items of these sizes: at most `batch_size` items and `batch_bytes`
    (an item bigger than that is a batch of its own)."""
    start, total = 0, 0
    for i, size in enumerate(sizes):
        if i > start and (i - start >= batch_size or total + size > batch_bytes):
            yield start, i
            start, total = i, 0
        total += size
    if start < len(sizes):
        yield start, len(sizes)
