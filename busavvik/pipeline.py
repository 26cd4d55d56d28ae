"""The pipeline: raw bytes → stored, parsed, linked message.  Reads as the list of its stages."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.rules import Rules
from ingest.types import RawMessage
from parsers.mail import parse_email
from parsers.mailform import best_form
from store.db import Database
from store.linking import link_message, relink_others
from store.models import Message
from store.records import form_to_dict
from store.repo import add_location, find_message, new_message, now, save_raw

log = logging.getLogger("busavvik.pipeline")


@dataclass
class IngestStats:
    new: int = 0
    duplicates: int = 0
    with_problems: int = 0
    deviations: int = 0
    answers: int = 0
    relinked: int = 0
    problem_codes: dict[str, int] = field(default_factory=dict)

    def count(self, msg: Message | None) -> None:
        if msg is None:
            self.duplicates += 1
            return
        self.new += 1
        self.deviations += msg.kind == "deviation"
        self.answers += msg.kind == "answer"
        if msg.problems:
            self.with_problems += 1
        for problem in msg.problems or []:
            self.problem_codes[problem["code"]] = self.problem_codes.get(problem["code"], 0) + 1

    def add(self, other: IngestStats) -> None:
        for name in ("new", "duplicates", "with_problems", "deviations", "answers", "relinked"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for code, n in other.problem_codes.items():
            self.problem_codes[code] = self.problem_codes.get(code, 0) + n


def process_message(session: Session, raw: RawMessage, rules: Rules, due_months: int) -> Message | None:
    """Store, parse and link one message inside the caller's transaction; None for a duplicate."""
    sha = save_raw(session, raw.data)
    known = session.scalars(select(Message).where(Message.raw_sha256 == sha).limit(1)).first()
    if known is not None:  # the very same bytes: no need to parse them again
        add_location(session, known, raw)
        return None
    parsed = parse_email(raw.data, rules)
    existing = find_message(session, parsed.message_id)
    if existing is not None:
        add_location(session, existing, raw)
        return None
    form, problems = best_form(parsed, rules)
    form_dict = form_to_dict(form) if form else None
    msg = new_message(parsed, sha, form_dict, [*parsed.problems, *problems])
    session.add(msg)
    session.flush()
    add_location(session, msg, raw)
    link_message(session, msg, parsed, form_dict, rules, due_months)
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
    def __init__(self, db: Database, rules: Rules, due_months: int = 2) -> None:
        self.db, self.rules, self.due_months = db, rules, due_months

    def ingest_batch(self, session: Session, raws: Iterable[RawMessage]) -> IngestStats:
        """Process a batch in the caller's transaction; one message failing never stops the batch."""
        stats = IngestStats()
        earliest_new_case: datetime | None = None
        for raw in raws:
            try:
                with session.begin_nested():
                    msg = process_message(session, raw, self.rules, self.due_months)
            except Exception as exc:  # noqa: BLE001 - recorded, never lost
                log.error("message from %s/%s could not be processed: %s", raw.mailbox, raw.folder,
                          type(exc).__name__)
                with session.begin_nested():
                    msg = _store_unparsed(session, raw, exc)
            stats.count(msg)
            if msg is not None and msg.kind == "deviation" and msg.case is not None:
                received = msg.case.first_received
                earliest_new_case = min(earliest_new_case or received, received)
        if earliest_new_case is not None:
            with session.begin_nested():
                stats.relinked += relink_others(session, earliest_new_case - timedelta(days=1), self.rules,
                                                self.due_months)
        return stats

    def ingest(self, raws: Iterable[RawMessage], chunk: int = 100,
               progress: Callable[[int], None] | None = None) -> IngestStats:
        """Commit every `chunk` messages; for file imports."""
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
        with self.db.session() as session:
            stats = self.ingest_batch(session, batch)
        if progress:
            progress(len(batch))
        return stats
