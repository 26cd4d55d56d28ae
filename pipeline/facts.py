"""What later stages read from the store instead of parsing a mail again, filled in for mail stored before it
was kept (migration 0017): each case's Word document (store/form_files.py), found by parsing the stored bytes
once more in the parser pool, within the budget, like every parse.  Run before polling and before reminders;
a store with nothing missing costs one query."""
from __future__ import annotations

from sqlalchemy import select

from config.rules import Rules
from pipeline.pool import ParseBudget, ParserPool
from store import form_files
from store.db import Database
from store.models import RawBlob

__all__ = ["fill_form_files", "fill_in"]


def fill_form_files(db: Database, pool: ParserPool, chunk: int = 200) -> int:
    """Keep the Word document of every case whose source message was stored before it was kept; how many."""
    done = 0
    while True:
        with db.session(write=True) as session:
            msgs = form_files.unknown_sources(session, chunk)
            if not msgs:
                return done
            shas = {m.raw_sha256 for m in msgs}
            blobs = dict(session.execute(select(RawBlob.sha256, RawBlob.data).where(RawBlob.sha256.in_(shas)))
                         .tuples().all())
            with_bytes = [m for m in msgs if blobs.get(m.raw_sha256)]
            for msg in msgs:
                if msg not in with_bytes:
                    form_files.keep(session, msg, None)
            results = pool.parse([bytes(blobs[m.raw_sha256]) for m in with_bytes], len(with_bytes))
            for msg, (parsed, _form, _problems) in zip(with_bytes, results):
                form_files.keep(session, msg, parsed.form_file)
            done += len(msgs)


def fill_in(db: Database, rules: Rules, budget: ParseBudget | None = None) -> int:
    """`fill_form_files` with a parser pool of its own (the `remind` command); no process starts when nothing
    is missing."""
    pool = ParserPool(rules, budget=budget)
    try:
        return fill_form_files(db, pool)
    finally:
        pool.close()
