"""What the web pages show besides cases: the review queue, the overview's counts and the operations page.
Frozen dataclasses; every mail-derived text redacted (store/views.text)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from store.bounces import BouncedRow, bounced
from store.caseview import responded_sql
from store.models import Case, Cursor, DigestRun, MailboxStatus, Message, Reminder, SetAsideMail
from store.review import review_sql
from store.views import text
from store.views_receivers import outcomes_to_confirm

REVIEW_PAGE = 50                    # mails on one page of /granska
REMINDER_ATTENTION = ("unknown", "failed", "held", "sending")   # a person must look (notify/review.py)


@dataclass(frozen=True)
class ReviewItem:
    pk: int
    message_id: str
    date: datetime | None
    sender: str
    subject: str
    kind: str
    case_id: str                        # "" when unlinked
    problems: tuple[str, ...]
    candidates: tuple[str, ...]         # case ids it most likely belongs to (none for a new report)
    new_report: bool = False            # the mail is itself a deviation (store/views_review.is_new_report)


def _thread_ids(msg: Message) -> list[str]:
    return [i for i in [*(msg.in_reply_to or []), *(msg.references or [])] if isinstance(i, str)][-20:]


def _candidates(session: Session, msgs: list[Message]) -> dict[int, tuple[str, ...]]:
    """Cheap guesses, three queries for the whole list: the cases whose thread a message names (In-Reply-To,
    References), then the newest cases with its normalised subject."""
    ids = {i for m in msgs for i in _thread_ids(m)}
    subjects = {m.normalised_subject for m in msgs if m.normalised_subject}
    by_id: dict[str, str] = {}
    for chunk in _chunks(sorted(ids)):
        by_id.update(session.execute(select(Message.message_id, Case.case_id).join(Case, Message.case_pk == Case.id)
                                     .where(Message.message_id.in_(chunk))).tuples().all())
    by_subject: dict[str, list[str]] = {}
    for chunk in _chunks(sorted(subjects)):
        rows = session.execute(select(Case.normalised_subject, Case.case_id).where(Case.normalised_subject.in_(chunk))
                               .order_by(Case.first_received.desc())).tuples()
        for subject, case_id in rows:
            by_subject.setdefault(subject, []).append(case_id)
    return {m.id: tuple(dict.fromkeys([*(by_id[i] for i in _thread_ids(m) if i in by_id),
                                       *by_subject.get(m.normalised_subject, [])[:3]]))[:3] for m in msgs}


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i:i + size] for i in range(0, len(values), size)]


@dataclass(frozen=True)
class ReviewPage:
    items: tuple[ReviewItem, ...]
    total: int                          # every mail for review, on all pages
    page: int
    pages: int
    bounced: tuple[BouncedRow, ...] = ()    # Studsade påminnelser (store/bounces.py), above the mail


def review_order() -> tuple[Any, ...]:
    return Message.date.desc().nulls_last(), Message.id.desc()


def review_page(session: Session, page: int = 1, size: int = REVIEW_PAGE) -> ReviewPage:
    """Unlinked mail (kind "other") and mail with problems that no person has settled (store.review.review_sql,
    in SQL), newest first: one page of `size`, and how many there are."""
    total = int(session.scalar(select(func.count()).select_from(Message).where(review_sql())) or 0)
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    query = (select(Message, Case.case_id).outerjoin(Case, Case.id == Message.case_pk).where(review_sql())
             .order_by(*review_order()).offset((page - 1) * size).limit(size))
    rows = list(session.execute(query).tuples())
    from store.views_review import new_reports

    new = new_reports(session, [m for m, cid in rows if cid is None])
    guesses = _candidates(session, [m for m, cid in rows if cid is None and m.id not in new])
    items = tuple(ReviewItem(pk=msg.id, message_id=msg.message_id, date=msg.date or msg.first_seen,
                             sender=text(msg.sender), subject=text(msg.subject), kind=msg.kind, case_id=case_id or "",
                             problems=tuple(sorted({str(p.get("code")) for p in msg.problems or []})),
                             candidates=guesses.get(msg.id, ()), new_report=msg.id in new)
                  for msg, case_id in rows)
    return ReviewPage(items=items, total=total, page=page, pages=pages, bounced=tuple(bounced(session)))


@dataclass(frozen=True)
class Overview:
    new_this_week: int
    overdue: int
    needs_review: int
    year: int
    year_total: int
    year_answered: int
    set_aside: int
    reminders_attention: int
    mailboxes_failing: int
    outcomes_to_confirm: int = 0
    follow_up: int = 0                  # awaited receivers of the overdue cases: the rows of /att-folja-upp
    bounced: int = 0                    # receivers whose reminder bounced: Granska's "Studsade påminnelser"


def overview(session: Session, today: date, week_start: datetime) -> Overview:
    def count(*where: ColumnElement[bool]) -> int:
        return int(session.scalar(select(func.count()).select_from(Case).where(*where)) or 0)

    from store.followup import followups, overdue_count

    overdue = overdue_count(session, today)         # as the case list's "försenat" filter and /att-folja-upp
    review = int(session.scalar(select(func.count()).select_from(Message).where(review_sql())) or 0)  # as /granska
    return Overview(
        new_this_week=count(Case.first_received >= week_start), overdue=overdue, needs_review=review,
        year=today.year, year_total=count(Case.year == today.year),
        year_answered=count(Case.year == today.year, responded_sql()),
        set_aside=int(session.scalar(select(func.count()).select_from(SetAsideMail)) or 0),
        reminders_attention=int(session.scalar(select(func.count()).select_from(Reminder)
                                               .where(Reminder.status.in_(REMINDER_ATTENTION))) or 0),
        mailboxes_failing=int(session.scalar(select(func.count()).select_from(MailboxStatus)
                                             .where(MailboxStatus.error_count > 0)) or 0),
        outcomes_to_confirm=outcomes_to_confirm(session), follow_up=len(followups(session, today)),
        bounced=len(bounced(session)))


@dataclass(frozen=True)
class Operations:
    mailboxes: tuple[tuple[str, datetime | None, datetime | None, int, str], ...]  # name, poll, success, errors, why
    cursors: tuple[tuple[str, str, int, int, datetime], ...]        # mailbox, folder, uidvalidity, last uid, at
    set_aside: tuple[tuple[str, str, int, str, int, str], ...]      # mailbox, folder, uid, code, attempts, summary
    reminders: tuple[tuple[str, int], ...]                          # status, count
    failed_reminders: tuple[tuple[str, str, str, str], ...]         # case id, step, status, error
    digests: tuple[tuple[datetime, str, int, str], ...]             # scheduled for, status, attempts, error


def operations(session: Session, now: datetime) -> Operations:
    boxes = session.scalars(select(MailboxStatus).order_by(MailboxStatus.mailbox))
    cursors = session.scalars(select(Cursor).order_by(Cursor.mailbox, Cursor.folder))
    aside = session.scalars(select(SetAsideMail).order_by(SetAsideMail.mailbox, SetAsideMail.uid))
    counts = session.execute(select(Reminder.status, func.count()).group_by(Reminder.status).order_by(Reminder.status))
    failed = session.execute(select(Case.case_id, Reminder.step, Reminder.status, Reminder.last_error)
                             .join(Case, Case.id == Reminder.case_pk)
                             .where(Reminder.status.in_(REMINDER_ATTENTION)).order_by(Case.case_id))
    digests = session.scalars(select(DigestRun).where(DigestRun.scheduled_for >= now - timedelta(days=60))
                              .order_by(DigestRun.scheduled_for.desc()))
    return Operations(
        mailboxes=tuple((text(b.mailbox), b.last_poll_at, b.last_success_at, b.error_count, text(b.last_error))
                        for b in boxes),
        cursors=tuple((text(c.mailbox), text(c.folder), c.uidvalidity, c.last_uid, c.updated_at) for c in cursors),
        set_aside=tuple((text(a.mailbox), text(a.folder), a.uid, a.code, a.attempts, text(a.summary)) for a in aside),
        reminders=tuple((str(s), int(n)) for s, n in counts),
        failed_reminders=tuple((cid, step, status, text(err)) for cid, step, status, err in failed),
        digests=tuple((d.scheduled_for, d.status, d.attempts, text(d.last_error)) for d in digests))
