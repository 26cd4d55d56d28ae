"""The pipeline: raw bytes → stored, parsed, linked message.  Reads as the list of its stages.

A batch is handled in one pass: known bytes and known Message-IDs are looked up with one query each,
the rest is parsed on all cores (pipeline/ahead.py, from the head start `prepare` gave where there is one)
and stored and linked in the caller's transaction.
Should anything fail, the batch is redone message by message, each in its own savepoint, so one bad
message never stops the others and none is lost.
"""
from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from config.rules import Rules
from ingest.types import RawMessage
from pipeline.ahead import ParseAhead, digests, parse_ahead, parse_batch
from pipeline.facts import fill_form_files
from pipeline.pool import ParseBudget, Parsed, ParserPool
from store import form_files
from store.batch_writes import BatchWrites
from store.db import Database
from store.link_batch_index import BatchIndex
from store.link_message import link_message, probe_for, relink_others
from store.link_rules import Probe
from store.message_rows import add_location, find_message, new_message, now, save_raw
from store.models import Location, Message, RawBlob
from store.stats import IngestStats

log = logging.getLogger("busavvik.pipeline")
CHUNK = 64  # messages whose known Message-IDs and link evidence are looked up together
BULK = 48   # a batch this large is bulk work (a backfill, a first sync): see Pipeline._bulk
__all__ = ["IngestStats", "Pipeline"]


@dataclass
class _Item:
    raw: RawMessage
    sha: str
    pos: int = -1        # the message's place in its batch


@dataclass
class _InBatch:
    """A message stored as part of a whole batch: the batch's linking evidence, its own writes, its probe."""
    index: BatchIndex
    writes: BatchWrites
    probe: Probe


def _store_parsed(session: Session, item: _Item, parsed: Parsed, rules: Rules, due_months: int,
                  seen: dict[str, Message], batch: _InBatch | None = None) -> Message | None:
    """Store and link one parsed message; None when its Message-ID is known (then only the place is added).
    With a `batch`, nothing is flushed here: the batch is written at its end, the message's place with it
    (`BatchWrites.add_place`)."""
    mail, form, problems = parsed
    existing = seen.get(mail.message_id)
    if existing is not None:
        if batch:
            batch.writes.write_places()   # places still held are in the table before it is asked
        add_location(session, existing, item.raw)
        return None
    msg = new_message(mail, item.sha, form, [*mail.problems, *problems])
    raw = item.raw
    if batch is not None:
        batch.writes.add_place(msg, raw)
    else:
        msg.locations.append(Location(mailbox=raw.mailbox, folder=raw.folder, uidvalidity=raw.uidvalidity,
                                      uid=raw.uid, seen_at=msg.first_seen))
    session.add(msg)
    if batch is None:
        session.flush()
        link_message(session, msg, mail, form, rules, due_months)
    else:
        link_message(session, msg, mail, form, rules, due_months, batch.index, batch.probe, batch.writes.next_seq)
    seen[mail.message_id] = msg
    return msg


def _store_unparsed(session: Session, raw: RawMessage, error: Exception) -> Message | None:
    """Last resort when processing failed: keep the bytes and a message row with the problem."""
    sha = save_raw(session, raw.data)
    mid = f"{sha[:40]}@unparsed.busavvik.invalid"
    if find_message(session, mid) is not None:
        return None
    msg = Message(message_id=mid, message_id_header=f"<{mid}>", synthetic_id=True, raw_sha256=sha,
                  first_seen=now(), kind="other",
                  problems=[{"code": "internal_error", "detail": type(error).__name__}])
    session.add(msg)
    session.flush()
    add_location(session, msg, raw)
    return msg


class Pipeline:
    def __init__(self, db: Database, rules: Rules, due_months: int = 2, workers: int | None = None,
                 budget: ParseBudget | None = None) -> None:
        self.db, self.rules, self.due_months = db, rules, due_months
        self.parser = ParserPool(rules, workers, budget=budget)
        self._frozen = False

    def close(self) -> None:
        self.parser.close()
        if self._frozen:
            gc.unfreeze()
            self._frozen = False

    def _bulk(self, size: int) -> None:
        """At the first large batch: what lives now (modules, mappings, rules, compiled SQL) lives on, so the
        collector stops walking it: a full collection during a backfill took ~80 ms, a third of that after.
        Undone by close(), so nothing frozen here can outlive the pipeline uncollected."""
        if not self._frozen and size >= BULK:
            gc.collect()
            gc.freeze()
            self._frozen = True

    def fill_facts(self) -> int:
        """What later stages read instead of parsing again, for mail stored before it was kept (pipeline/facts.py)."""
        with self.db.session() as session:      # one query when nothing is missing (always, but after an upgrade)
            missing = bool(form_files.unknown_sources(session, 1))
        return fill_form_files(self.db, self.parser) if missing else 0

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def prepare(self, raws: Sequence[RawMessage]) -> ParseAhead | None:
        """Start parsing a fetched batch now, from the fetching thread, so that the parser processes work
        while the batch before is stored; bytes already stored are not parsed. Never raises: on any
        failure the batch is simply parsed when it is stored."""
        if not raws:
            return None
        try:
            datas = [raw.data for raw in raws]
            shas = digests(datas)
            with self.db.session() as session:
                known = set(session.scalars(select(RawBlob.sha256).where(RawBlob.sha256.in_(set(shas)))))
            return parse_ahead(self.parser, datas, shas, {i for i, sha in enumerate(shas) if sha in known})
        except Exception:  # noqa: BLE001 - only a head start; storing parses whatever is missing
            log.warning("parsing ahead failed; the batch is parsed when it is stored", exc_info=True)
            return None

    def ingest_batch(self, session: Session, raws: Iterable[RawMessage],
                     prepared: ParseAhead | None = None) -> IngestStats:
        """Process a batch in the caller's transaction; one message failing never stops the batch.
        `prepared` is what `prepare` returned for these very messages."""
        batch = list(raws)
        self._bulk(len(batch))
        # 1-4 (store raw -> parse in the pool -> link -> store records) in `_whole`; the caller commits, with
        # the folder's cursor (pipeline/intake.py)
        if prepared is not None and not prepared.matches([raw.data for raw in batch]):
            prepared.cancel()
            prepared = None
        try:
            with session.begin_nested():
                stats = self._whole(session, batch, prepared)
        except Exception as exc:  # noqa: BLE001 - redo one by one, each message in its own savepoint
            log.warning("batch of %d redone message by message after %s", len(batch), type(exc).__name__)
            if prepared is not None:
                prepared.cancel()
            stats = self._one_by_one(session, batch)
        self._relink(session, stats)       # 5. mail stored before its deviation gets another chance
        return stats

    def _whole(self, session: Session, batch: list[RawMessage], prepared: ParseAhead | None = None
               ) -> IngestStats:
        """The batch's steps, in order."""
        stats = IngestStats()
        shas = prepared.shas if prepared else digests(raw.data for raw in batch)
        items = [_Item(raw, sha, pos) for pos, (raw, sha) in enumerate(zip(batch, shas))]
        todo = self._store_raw(session, items, stats)                              # 1. raw bytes stored
        results = parse_batch(self.parser, [(i.pos, i.raw.data) for i in todo], prepared)  # 2. parsed in the pool
        with BatchWrites(session) as writes:
            self._link_and_store(session, todo, results, BatchIndex(session), writes, stats)  # 3-4. linked, stored
        return stats

    def _store_raw(self, session: Session, items: list[_Item], stats: IngestStats) -> list[_Item]:
        """The raw bytes, content-addressed, before anything refers to them; the messages left to parse (the
        very same bytes stored before only get their new place)."""
        wanted = {i.sha for i in items}
        by_sha = {m.raw_sha256: m for m in session.scalars(select(Message).where(Message.raw_sha256.in_(wanted)))}
        blobs = set(session.scalars(select(RawBlob.sha256).where(RawBlob.sha256.in_(wanted))))
        todo, rows, stored_at = [], [], now()
        for item in items:
            if item.sha in by_sha:  # the very same bytes: no need to parse them again
                add_location(session, by_sha[item.sha], item.raw)
                stats.count(None)
                continue
            if item.sha not in blobs:  # raw bytes first, content-addressed
                rows.append({"sha256": item.sha, "size": len(item.raw.data), "data": item.raw.data,
                             "stored_at": stored_at})
                blobs.add(item.sha)
            todo.append(item)
        session.flush()
        if rows:  # one statement, no ORM objects
            session.connection().execute(insert(RawBlob), rows)
        return todo

    def _link_and_store(self, session: Session, todo: list[_Item], results: Iterator[Parsed], index: BatchIndex,
                        writes: BatchWrites, stats: IngestStats) -> None:
        """Each parse (from the head start, or parsed now while the earlier ones are stored) linked with the
        evidence looked up a chunk at a time, and stored; the batch's rows written at the end."""
        seen: dict[str, Message] = {}
        for start in range(0, len(todo), CHUNK):
            chunk = list(zip(todo[start:start + CHUNK], results))
            if len(chunk) != len(todo[start:start + CHUNK]):
                raise RuntimeError("fewer parse results than messages")  # the batch is redone one by one
            ids = {result[0].message_id for _, result in chunk} - set(seen)
            with session.no_autoflush:
                seen.update((m.message_id, m) for m in
                            session.scalars(select(Message).where(Message.message_id.in_(ids))))
            probes = [probe_for(None, mail, form) for _, (mail, form, _p) in chunk]
            index.prefetch(probes)
            for (item, result), probe in zip(chunk, probes):
                stats.count(_store_parsed(session, item, result, self.rules, self.due_months, seen,
                                          _InBatch(index, writes, probe)))
        session.flush()  # the whole batch in a few statements; cases get their ids before relinking
        writes.write_places()

    def _one_by_one(self, session: Session, batch: list[RawMessage]) -> IngestStats:
        stats = IngestStats()
        for raw in batch:
            try:
                with session.begin_nested():
                    stats.count(self._single(session, raw))
            except Exception as exc:  # noqa: BLE001 - recorded, never lost
                log.error("message from %s/%s could not be processed: %s", raw.mailbox, raw.folder,
                          type(exc).__name__)
                with session.begin_nested():
                    stats.count(_store_unparsed(session, raw, exc))
        return stats

    def _single(self, session: Session, raw: RawMessage) -> Message | None:
        sha = save_raw(session, raw.data)
        known = session.scalars(select(Message).where(Message.raw_sha256 == sha).limit(1)).first()
        if known is not None:
            add_location(session, known, raw)
            return None
        result = next(parse_batch(self.parser, [(0, raw.data)]))
        seen: dict[str, Message] = {}
        existing = find_message(session, result[0].message_id)
        if existing is not None:
            seen[existing.message_id] = existing
        return _store_parsed(session, _Item(raw, sha), result, self.rules, self.due_months, seen)

    def _parse(self, datas: Sequence[bytes]) -> Iterator[Parsed]:
        """Stored bytes parsed again (relinking), in the parser pool like every parse."""
        return self.parser.parse(datas, len(datas))

    def _relink(self, session: Session, stats: IngestStats) -> None:
        """Mail stored before its deviation (out of order across folders and batches) gets another chance."""
        if stats.new_cases:
            with session.begin_nested():
                since = min(c.first_received for c in stats.new_cases) - timedelta(days=1)
                stats.relinked += relink_others(session, since, stats.new_cases, self.rules, self.due_months,
                                                self._parse)
            stats.new_cases = []

    def ingest(self, raws: Iterable[RawMessage], chunk: int = 200,
               progress: Callable[[int], None] | None = None) -> IngestStats:
        """Commit every `chunk` messages (tests and benches; `busavvik import` goes through StoreIntake)."""
        total = IngestStats()
        batch: list[RawMessage] = []
        for raw in raws:
            batch.append(raw)
            if len(batch) >= chunk:
                total.add(self._commit(batch, progress))
                batch = []
        if batch:
            total.add(self._commit(batch, progress))
        return total

    def _commit(self, batch: list[RawMessage], progress: Callable[[int], None] | None) -> IngestStats:
        with self.db.session(write=True) as session:
            stats = self.ingest_batch(session, batch)
        if progress:
            progress(len(batch))
        return stats
