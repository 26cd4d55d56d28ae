"""The linking rules' look-ups as queries, one message at a time (an `EvidenceSource`, store/link_rules.py).

Each query flushes the session first, so it sees every row written so far; during an ingest batch
store/link_batch_index.py answers the same look-ups without that cost.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.link_rules import SUBJECT_WINDOW, CaseRef
from store.models import Case, Message, Reminder


class QueryEvidence:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_references(self, refs: tuple[str, ...]) -> tuple[CaseRef, ...]:
        s = self.session
        rows = s.execute(select(Message.case_pk, Message.message_id)
                         .where(Message.message_id.in_(refs), Message.case_pk.is_not(None))).all()
        own = [(pk, mid.strip("<>").lower()) for pk, mid in s.execute(
            select(Reminder.case_pk, Reminder.message_id)
            .where(func.lower(Reminder.message_id).in_([f"<{ref}>" for ref in refs]))).all()]
        order = {ref: i for i, ref in enumerate(refs)}
        found = sorted([*rows, *own], key=lambda r: order.get(r[1], -1))  # nearest ancestor last
        return tuple(r[0] for r in found if r[0] is not None)

    def by_thread(self, guid: str, message_pk: int | None) -> tuple[CaseRef, ...]:
        q = (select(Message.case_pk).where(Message.thread_index_guid == guid, Message.case_pk.is_not(None),
                                           Message.id != (message_pk or -1))
             .order_by(Message.id))
        return tuple(pk for pk in self.session.scalars(q) if pk is not None)

    def by_fingerprint(self, keys: tuple[str, ...]) -> Sequence[Case]:
        return list(self.session.scalars(select(Case).where(Case.fingerprint.in_(keys)).order_by(Case.id)))

    def by_text_fingerprint(self, keys: tuple[str, ...]) -> tuple[CaseRef, ...]:
        return tuple(self.session.scalars(select(Case.id).where(Case.text_fingerprint.in_(keys))
                                          .order_by(Case.id)))

    def received_around(self, date: datetime | None) -> Sequence[Case]:
        q = select(Case).order_by(Case.first_received)
        if date is not None:
            q = q.where(Case.first_received <= date + timedelta(days=1),
                        Case.first_received >= date - SUBJECT_WINDOW)
        return list(self.session.scalars(q))

    def by_case_id(self, ids: tuple[str, ...]) -> tuple[CaseRef, ...]:
        return tuple(self.session.scalars(select(Case.id).where(Case.case_id.in_(ids)).order_by(Case.id)))

    def by_subject(self, normalised_subject: str) -> Sequence[Case]:
        return self.session.scalars(select(Case).where(Case.normalised_subject == normalised_subject)
                                    .order_by(Case.first_received)).all()
