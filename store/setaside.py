"""Messages the IMAP server would not deliver (ingest/imap_fetch.py): recorded with the batch whose cursor
passes them, asked for again once RETRY_HOURS have passed, and forgotten once delivered (or once the folder's
UIDVALIDITY changed: the folder is then read again from the start)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ingest.types import Batch
from store.models import SetAsideMail
from store.repo import now

RETRY_HOURS = 24


def record_set_aside(session: Session, mailbox: str, folder: str, batch: Batch) -> None:
    """In the batch's transaction: what it set aside, and what it asked for again and got."""
    uidvalidity = batch.cursor.uidvalidity
    place = (SetAsideMail.mailbox == mailbox, SetAsideMail.folder == folder)
    # UIDs of an earlier UIDVALIDITY mean nothing now: the folder is read again from the start
    session.execute(delete(SetAsideMail).where(*place, SetAsideMail.uidvalidity != uidvalidity))
    still = {item.uid for item in batch.set_aside}
    delivered = [uid for uid in batch.retried if uid not in still]
    if delivered:
        session.execute(delete(SetAsideMail).where(*place, SetAsideMail.uidvalidity == uidvalidity,
                                                   SetAsideMail.uid.in_(delivered)))
    if not batch.set_aside:
        return
    known = {row.uid: row for row in session.scalars(select(SetAsideMail).where(
        *place, SetAsideMail.uidvalidity == uidvalidity, SetAsideMail.uid.in_(still)))}
    stamp = now()
    for item in batch.set_aside:
        row = known.get(item.uid)
        if row is None:
            session.add(SetAsideMail(mailbox=mailbox, folder=folder, uidvalidity=uidvalidity, uid=item.uid,
                                     code=item.code, reason=item.reason, first_at=stamp, last_tried_at=stamp,
                                     attempts=1))
        else:
            row.code, row.reason, row.last_tried_at, row.attempts = item.code, item.reason, stamp, row.attempts + 1


def due_for_retry(session: Session, mailbox: str, folder: str, hours: float = RETRY_HOURS) -> list[tuple[int, int]]:
    """(uidvalidity, uid) of the folder's set-aside messages last asked for `hours` ago or earlier."""
    cutoff = now() - timedelta(hours=hours)
    rows = session.execute(select(SetAsideMail.uidvalidity, SetAsideMail.uid).where(
        SetAsideMail.mailbox == mailbox, SetAsideMail.folder == folder, SetAsideMail.last_tried_at <= cutoff))
    return [(int(valid), int(uid)) for valid, uid in rows]


def set_aside_counts(session: Session) -> dict[str, int]:
    """Set-aside messages per mailbox."""
    rows = session.execute(select(SetAsideMail.mailbox, func.count()).group_by(SetAsideMail.mailbox))
    return {mailbox: int(n) for mailbox, n in rows}


def set_aside_rows(session: Session) -> list[SetAsideMail]:
    return list(session.scalars(select(SetAsideMail).order_by(SetAsideMail.mailbox, SetAsideMail.folder,
                                                              SetAsideMail.uid)))
