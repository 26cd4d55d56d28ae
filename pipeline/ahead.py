"""Parsing a batch of fetched messages: the one entry point storing uses (pipeline/batch.py).

`parse_ahead` hands a batch to the parser processes as soon as it is fetched, from the fetching thread, so that
they work while the batch before is stored (the parse-ahead, docs/ARCHITECTURE.md). `parse_batch` yields
the parse of each message to be stored, in order: from that head start where it has one, parsed now
otherwise. A head start only ever saves time: whatever it lacks is parsed when asked for.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from pipeline.pool import Parsed, ParserPool, Pending

__all__ = ["ParseAhead", "digests", "parse_ahead", "parse_batch"]


@dataclass(frozen=True)
class ParseAhead:
    """A fetched batch whose parse was started at once (`parse_ahead`), before it is stored."""
    datas: tuple[bytes, ...]        # the batch's messages, in order
    shas: tuple[str, ...]           # their SHA-256 (hex), computed in the fetching thread
    slots: dict[int, int]           # place in the batch -> place in `pending` (the ones started)
    pending: Pending

    def matches(self, datas: Sequence[bytes]) -> bool:
        """Whether this head start is for exactly these messages (the same objects compare at once)."""
        return self.datas == tuple(datas)

    def cancel(self) -> None:
        self.pending.cancel()


def digests(datas: Iterable[bytes]) -> tuple[str, ...]:
    """SHA-256 (hex) of each message: its raw bytes' address in the store. hashlib releases the GIL."""
    return tuple(hashlib.sha256(data).hexdigest() for data in datas)


def parse_ahead(pool: ParserPool, datas: Sequence[bytes], shas: Sequence[str], skip: set[int]) -> ParseAhead | None:
    """Start parsing the messages of a batch whose place is not in `skip` (bytes already stored).
    None when there is nothing to start (or the pool is closed)."""
    todo = [i for i in range(len(datas)) if i not in skip]
    pending = pool.submit([datas[i] for i in todo])
    if pending is None:
        return None
    return ParseAhead(tuple(datas), tuple(shas), {pos: slot for slot, pos in enumerate(todo)}, pending)


def parse_batch(pool: ParserPool, todo: Sequence[tuple[int, bytes]], ahead: ParseAhead | None = None
                ) -> Iterator[Parsed]:
    """The parse of each of `todo` ((place in the batch, bytes), rising places), in order."""
    if ahead is None:
        yield from pool.parse((data for _pos, data in todo), len(todo))
        return
    started = enumerate(ahead.pending.results())
    for pos, data in todo:
        slot = ahead.slots.get(pos)
        if slot is not None:
            for at, result in started:
                if at == slot:
                    yield result
                    break
            else:  # cannot happen (slots rise with the batch); never let a message go without its parse
                slot = None
        if slot is None:
            yield next(pool.parse([data], 1))
