"""`busavvik retention verify`: nothing past its time remains, and the bytes are gone from the database file.

The database keeps what was overwritten until its pages are rewritten: VACUUM (SQLite, after a full WAL checkpoint)
and VACUUM FULL of the tables culling touches (PostgreSQL) rewrite them. On SQLite the file itself can then be
searched for a culled phrase (`--search`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.localzone import STOCKHOLM, LocalTime
from config.settings import RetentionSettings
from store.culling import CULLED_SUBJECT, FREE_TEXT_FIELDS
from store.db import Database
from store.models import Case, Location, Message, RawBlob
from store.retention import Item, plan

VACUUM_TABLES = ("raw_blob", "message", "bus_case", "case_answer", "case_receiver", "reminder", "correction",
                 "case_search")


@dataclass
class Verified:
    due: int = 0                                            # due for an owner and not culled by it
    not_gone: list[str] = field(default_factory=list)       # released by every owner, but still there

    @property
    def ok(self) -> bool:
        return not self.due and not self.not_gone


def is_gone(session: Session, item: Item) -> bool:
    pk = int(item.key.split(":", 1)[1])
    if item.key.startswith("message:"):
        message = session.get_one(Message, pk)
        data = session.scalar(select(func.length(RawBlob.data)).where(RawBlob.sha256 == message.raw_sha256))
        shared = session.scalar(select(func.count()).where(Message.raw_sha256 == message.raw_sha256)) or 0
        text_gone = item.cls == "raw_mail" or (message.subject == CULLED_SUBJECT and not message.body_excerpt)
        return (not data or shared > 1) and text_gone
    case = session.get_one(Case, pk)
    if item.cls == "free_text":
        return not any(getattr(case.form, k) for k in FREE_TEXT_FIELDS) and not any(
            a.description or a.improvements for a in case.answer_rows)
    form = case.form
    return not any((form.reporter_email, form.reporter_phone, form.reporter_manager_email,
                    form.response_manager_email, *(r.email for r in case.receiver_rows if "@" in r.email)))


def verify(session: Session, settings: RetentionSettings, as_of: date, zone: LocalTime = STOCKHOLM) -> Verified:
    result = plan(session, settings, as_of, zone=zone)
    checked = Verified(due=len(result.due))
    for item in result.items:
        if result.released_by_all(item) and not is_gone(session, item):
            checked.not_gone.append(f"{item.cls} {item.key}")
    return checked


def vacuum(db: Database) -> str:
    """Rewrite the database's pages so that overwritten bytes leave the file; the statement run, as stated."""
    if db.sqlite:
        with db.engine.connect() as conn:
            # the full-text index (store/search.py) keeps a rewritten row's old words in its segments until they
            # are merged: merge them first, so culled words leave the file too
            if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'case_search'").first():
                conn.exec_driver_sql("INSERT INTO case_search(case_search) VALUES('optimize')")
                conn.commit()
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return "SQLite: VACUUM (och WAL-checkpoint TRUNCATE) körd"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in VACUUM_TABLES:
            conn.exec_driver_sql(f"VACUUM FULL {table}")
    return f"PostgreSQL: VACUUM FULL körd på {', '.join(VACUUM_TABLES)}"


def database_file(db: Database) -> Path | None:
    name = db.engine.url.database if db.sqlite else None
    return Path(name) if name and name != ":memory:" else None


def search_file(path: Path, phrase: str) -> int:
    """How often `phrase` (UTF-8) stands in the database file and its WAL."""
    needle = phrase.encode("utf-8")
    found = 0
    for part in (path, path.with_name(path.name + "-wal")):
        if part.exists():
            found += part.read_bytes().count(needle)
    return found


def mailbox_backlog(session: Session, settings: RetentionSettings, as_of: date) -> list[tuple[str, int, int]]:
    """(mailbox, messages it still holds older than its raw-mail period, the period): from what the store saw of
    the mailbox (its locations). busavvik never deletes there: the owner culls in Exchange."""
    out = []
    for rule in settings.rules:
        days = rule.days("raw_mail")
        if days is None:
            continue
        limit = as_of - timedelta(days=days)
        query = select(Message.date, Message.first_seen).join(Location).where(Location.mailbox == rule.mailbox)
        old = sum(1 for when, seen in session.execute(query) if (when or seen).date() < limit)
        out.append((rule.mailbox, old, days))
    return out
