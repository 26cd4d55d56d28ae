"""Reparse: the pipeline in update mode.  Stored raw bytes are parsed again in the parser pool, within the
budget, and each new parse meets the store where ingest's does (store/reparse.py applies it)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.orm import Session

from config.rules import Rules
from pipeline.pool import ParseBudget, ParserPool
from store.reparse import Change, apply_reparse, raw_bytes, to_reparse

__all__ = ["Change", "reparse"]


def reparse(session: Session, rules: Rules, *, since: date | None = None, due_months: int = 2,
            workers: int | None = None, progress: Callable[[int], None] | None = None,
            budget: ParseBudget | None = None) -> list[Change]:
    msgs, sources = to_reparse(session, since, rules.local)        # 1. what to parse again
    pool = ParserPool(rules, workers, min_parallel=200, budget=budget)
    try:
        results = pool.parse(raw_bytes(session, msgs), len(msgs))   # 2. parsed in the pool, in order
        return apply_reparse(session, msgs, results, sources, rules, due_months, progress)  # 3. applied
    finally:
        pool.close()
