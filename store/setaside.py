"""Messages the IMAP server would not deliver (ingest/imap_fetch.py): recorded with the batch whose cursor
passes them, asked for again after 1 hour, then 2, 4, 8 and 16 hours, then every MAX_RETRY_HOURS, and
forgotten once delivered (or once the folder's UIDVALIDITY changed: the folder is then read again).
Maildir files that cannot be read (ingest/maildir.py) are kept here too, with UIDVALIDITY 0, and read
again at every poll."""
from __future__ import annotations

from datetime import timedelta
from email.parser import HeaderParser
from email.policy import compat32

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ingest.types import Batch
from parsers.headers import header_text
from store.message_rows import now
from store.models import SetAsideMail

MAX_RETRY_HOURS = 24


def record_set_aside(session: Session, mailbox: str, folder: str, batch: Batch) -> None:
    """In the batch's transaction: what it set aside, and what it asked for again and got."""
    if batch.cursor is None:          # a file import: nothing is set aside or asked for again
        return
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
                                     code=item.code, reason=item.reason, summary=summary(item.headers),
                                     first_at=stamp, last_tried_at=stamp, attempts=1))
        else:
            row.code, row.reason, row.last_tried_at, row.attempts = item.code, item.reason, stamp, row.attempts + 1
            row.summary = summary(item.headers) or row.summary


def summary(headers: bytes) -> str:
    """"From · Subject · Date" of a set-aside message's header fields ("" when there are none)."""
    if not headers.strip():
        return ""
    msg = HeaderParser(policy=compat32).parsestr(headers.decode("utf-8", "replace"))   # 8-bit: mostly UTF-8
    parts = [header_text(msg, name) for name in ("From", "Subject", "Date")]
    return " · ".join(p for p in parts if p)[:1000]


def retry_after(attempts: int) -> timedelta:
    """How long after its last attempt a set-aside message is asked for again."""
    return timedelta(hours=min(2 ** (max(attempts, 1) - 1), MAX_RETRY_HOURS))


def due_for_retry(session: Session, mailbox: str, folder: str, every: bool = False) -> list[tuple[int, int]]:
    """(uidvalidity, uid) of the folder's set-aside messages due to be asked for again (`every`: all)."""
    moment = now()
    rows = session.execute(select(SetAsideMail.uidvalidity, SetAsideMail.uid, SetAsideMail.attempts,
                                  SetAsideMail.last_tried_at).where(SetAsideMail.mailbox == mailbox,
                                                                    SetAsideMail.folder == folder))
    return [(int(valid), int(uid)) for valid, uid, attempts, last in rows
            if every or last + retry_after(attempts) <= moment]


def set_aside_counts(session: Session) -> dict[str, int]:
    """Set-aside messages per mailbox."""
    rows = session.execute(select(SetAsideMail.mailbox, func.count()).group_by(SetAsideMail.mailbox))
    return {mailbox: int(n) for mailbox, n in rows}


def set_aside_rows(session: Session) -> list[SetAsideMail]:
    return list(session.scalars(select(SetAsideMail).order_by(SetAsideMail.mailbox, SetAsideMail.folder,
                                                              SetAsideMail.uid)))
