"""Linking a batch without a query per message: an `EvidenceSource` (store/link_rules.py) answered from
memory, looked up once per chunk, plus the batch so far.

store/link_queries.py answers the rules with up to six queries per message, each flushing the session
first.  During an ingest batch, `BatchIndex` answers the same look-ups from two sources that together hold
the same rows those queries would see:
- what the store held before the batch, fetched with one query per rule for a chunk of messages
  (`prefetch`), without flushing;
- what this batch added so far: messages linked and cases opened, recorded as they happen.
The order within a look-up is the order of the queries (by row id, that is by insertion), so `decide`
picks the same case.  The rare fuzzy look-up (a retyped form, `received_around`) still queries.
This is the read side only: what the batch writes itself (ids, places, case numbers) is store/batch_writes.py.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.link_queries import QueryEvidence
from store.link_rules import CaseRef, Probe, case_ids
from store.models import Case, Message, Reminder


def _by_id(cases: Iterable[Case]) -> tuple[Case, ...]:
    """Stored cases by id, then the batch's cases not yet flushed in the order they were opened."""
    return tuple(sorted(cases, key=lambda c: (c.id is None, c.id or 0)))


class BatchIndex:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._queries = QueryEvidence(session)
        self.by_message: dict[str, Case] = {}              # Message-ID → case (stored and batch)
        self.by_reminder: dict[str, Case] = {}             # our reminder's Message-ID → case
        self.by_guid: dict[str, list[Case]] = defaultdict(list)
        self.by_fp: dict[str, list[Case]] = defaultdict(list)
        self.by_text_fp: dict[str, list[Case]] = defaultdict(list)
        self.case_of_id: dict[str, Case] = {}
        self.cases_of_subject: dict[str, list[Case]] = defaultdict(list)
        self._asked: set[tuple[str, str]] = set()          # (kind, key) already looked up in the store
        with session.no_autoflush:  # rows above these ids are the batch's own, recorded as they are linked
            self.max_message = session.scalar(select(func.max(Message.id))) or 0
            self.max_case = session.scalar(select(func.max(Case.id))) or 0

    def __enter__(self) -> BatchIndex:
        return self

    def __exit__(self, *_exc: object) -> None:
        pass

    # -- the store before the batch, one query per rule for a chunk --------------------------------------
    def _new(self, kind: str, keys: Iterable[str]) -> list[str]:
        fresh = [k for k in dict.fromkeys(keys) if k and (kind, k) not in self._asked]
        self._asked.update((kind, k) for k in fresh)
        return fresh

    def prefetch(self, probes: Sequence[Probe]) -> None:
        with self.session.no_autoflush:
            self._prefetch_messages(probes)
            self._prefetch_cases(probes)

    def _prefetch_messages(self, probes: Sequence[Probe]) -> None:
        s, refs = self.session, self._new("ref", (r for p in probes for r in p.refs))
        if refs:
            q = (select(Message.message_id, Case).join(Case, Message.case_pk == Case.id)
                 .where(Message.message_id.in_(refs), Message.id <= self.max_message))
            self.by_message.update(s.execute(q).tuples().all())
            q2 = select(func.lower(Reminder.message_id), Case).join(Case, Reminder.case_pk == Case.id)
            rows = s.execute(q2.where(func.lower(Reminder.message_id).in_([f"<{r}>" for r in refs]))).tuples()
            self.by_reminder.update((mid.strip("<>"), case) for mid, case in rows)
        guids = self._new("guid", (p.thread_guid or "" for p in probes))
        if guids:
            q3 = (select(Message.thread_index_guid, Case).join(Case, Message.case_pk == Case.id)
                  .where(Message.thread_index_guid.in_(guids), Message.id <= self.max_message)
                  .order_by(Message.id))
            for guid, case in s.execute(q3).tuples():
                self.by_guid[guid or ""].append(case)

    def _prefetch_cases(self, probes: Sequence[Probe]) -> None:
        s = self.session
        for kind, column, index in (("fp", Case.fingerprint, self.by_fp),
                                    ("tfp", Case.text_fingerprint, self.by_text_fp)):
            keys = self._new(kind, (k for p in probes for k in
                                    (p.fingerprints if kind == "fp" else p.text_fingerprints)))
            if keys:
                q = select(Case).where(column.in_(keys), Case.id <= self.max_case).order_by(Case.id)
                for case in s.scalars(q):
                    index[case.fingerprint if kind == "fp" else case.text_fingerprint].append(case)
        ids = self._new("case_id", (c for p in probes if not p.new_report for c in case_ids(p.subject)))
        if ids:
            q1 = select(Case).where(Case.case_id.in_(ids), Case.id <= self.max_case)
            self.case_of_id.update((c.case_id, c) for c in s.scalars(q1))
        subjects = self._new("subject", (p.normalised_subject for p in probes if not p.new_report and p.sender))
        if subjects:
            q2 = (select(Case).where(Case.normalised_subject.in_(subjects), Case.id <= self.max_case)
                  .order_by(Case.first_received))
            for case in s.scalars(q2):
                self.cases_of_subject[case.normalised_subject].append(case)

    # -- what the batch adds ------------------------------------------------------------------------------
    def record(self, probe: Probe, message_id: str, case: Case | None, opened: bool) -> None:
        """After linking a message: it (and the case it opened) can now be found by later messages."""
        if case is None:
            return
        self.by_message[message_id] = case
        if probe.thread_guid:
            self.by_guid[probe.thread_guid].append(case)
        if opened:
            self.by_fp[case.fingerprint].append(case)
            self.by_text_fp[case.text_fingerprint].append(case)
            self.case_of_id[case.case_id] = case
            self.cases_of_subject[case.normalised_subject].append(case)

    # -- the look-ups of the rules (store/link_rules.py EvidenceSource), in the order of store/link_queries.py
    def by_references(self, refs: tuple[str, ...]) -> tuple[CaseRef, ...]:
        out = []  # nearest ancestor last, as in store/link_queries.py
        for ref in refs:
            out += [c for c in (self.by_message.get(ref), self.by_reminder.get(ref)) if c is not None]
        return tuple(out)

    def by_thread(self, guid: str, message_pk: int | None) -> tuple[CaseRef, ...]:
        return tuple(self.by_guid.get(guid, ()))

    def by_fingerprint(self, keys: tuple[str, ...]) -> Sequence[Case]:
        return _by_id(c for k in keys for c in self.by_fp.get(k, ()))

    def by_text_fingerprint(self, keys: tuple[str, ...]) -> tuple[CaseRef, ...]:
        return _by_id(c for k in keys for c in self.by_text_fp.get(k, ()))

    def received_around(self, date: datetime | None) -> Sequence[Case]:
        """The rare fuzzy rule (a retyped form) still queries."""
        return self._queries.received_around(date)

    def by_case_id(self, ids: tuple[str, ...]) -> tuple[CaseRef, ...]:
        return _by_id(c for c in (self.case_of_id.get(i) for i in ids) if c is not None)

    def by_subject(self, normalised_subject: str) -> Sequence[Case]:
        return sorted(self.cases_of_subject.get(normalised_subject, ()), key=lambda c: c.first_received)
