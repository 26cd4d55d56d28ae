"""What an ingest batch writes itself, apart from linking (store/link_batch_index.py reads the evidence):
ids given by the batch on SQLite, the places new messages were seen (`Location` rows, one statement) and the
cases' numbers per year.

SQLite cannot return the ids of a many-row INSERT in a known order, so SQLAlchemy would insert a batch row by
row; with ids given here it writes each table in one statement.  The ids follow the highest one (an INTEGER
PRIMARY KEY goes on from there), in the order the rows were added; a concurrent writer taking one makes the
batch fail and be redone message by message (pipeline/batch.py).
"""
from __future__ import annotations

from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from ingest.types import RawMessage
from store.models import Case, Location, Message

__all__ = ["BatchWrites"]


class BatchWrites:
    """`with BatchWrites(session) as writes:` around storing one batch."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._seq: dict[int, int] = {}
        self._places: list[tuple[Message, RawMessage]] = []   # new messages' places, not yet written
        self._sqlite = session.get_bind().dialect.name == "sqlite"
        with session.no_autoflush:
            self._ids = {kind: session.scalar(select(func.max(kind.id))) or 0 for kind in (Message, Case, Location)}

    def __enter__(self) -> BatchWrites:
        if self._sqlite:
            event.listen(self.session, "before_flush", self._assign_ids)
        return self

    def __exit__(self, *_exc: object) -> None:
        if event.contains(self.session, "before_flush", self._assign_ids):
            event.remove(self.session, "before_flush", self._assign_ids)

    def _assign_ids(self, session: Session, _context: object, _instances: object) -> None:
        """Ids for the rows added since the last flush (SQLite), in the order they were added."""
        for row in session.new:
            kind = type(row)
            if kind in self._ids and getattr(row, "id", None) is None:
                self._ids[kind] += 1
                row.id = self._ids[kind]

    # -- where new messages were seen, written in one statement --------------------------------------------
    def add_place(self, msg: Message, raw: RawMessage) -> None:
        """The place a message new in this batch was seen; written by `write_places` once it has its id.
        A Location row per message made through the ORM cost more than storing the message itself."""
        self._places.append((msg, raw))

    def write_places(self) -> None:
        """Insert the places held so far (after a flush, so that every message has its id)."""
        if not self._places:
            return
        self.session.flush()
        places, self._places = self._places, []
        rows = [{"message_pk": msg.id, "mailbox": raw.mailbox, "folder": raw.folder,
                 "uidvalidity": raw.uidvalidity, "uid": raw.uid, "seen_at": msg.first_seen} for msg, raw in places]
        if self._sqlite:  # the ids the ORM would have given (see _assign_ids), so the two never collide
            for row in rows:
                self._ids[Location] += 1
                row["id"] = self._ids[Location]
        self.session.connection().execute(insert(Location), rows)

    # -- the cases' numbers ---------------------------------------------------------------------------------
    def next_seq(self, year: int) -> int:
        """The next case number of `year` (BUS-year-NNNN), counted by the batch after the highest stored."""
        if year not in self._seq:
            with self.session.no_autoflush:
                self._seq[year] = self.session.scalar(select(func.max(Case.seq)).where(Case.year == year)) or 0
        self._seq[year] += 1
        return self._seq[year]
