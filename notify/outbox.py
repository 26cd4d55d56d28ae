"""The reminder outbox: "never twice".

Life of a reminder row (`store.models.Reminder`, unique per (case, step)), each arrow its own committed
transaction, each a compare-and-set UPDATE so two processes can never both win:

    plan       (none)      -> pending     row created with our Message-ID and recipients, BEFORE any sending
               (none)      -> held        more recipients than reminders.max_recipients: never sent, for review
    claim      pending     -> sending     claimed_at = now, attempts + 1 (a row with MAX_ATTEMPTS -> failed)
    deliver    sending     -> delivering  committed right before the message body is handed to the server
               delivering  -> sent        the server answered 250 to the end of DATA
               sending/delivering -> pending   a 4xx or connection error before the body was handed over
               sending/delivering -> failed    a 5xx, or `MAX_ATTEMPTS` runs deferred
               delivering  -> unknown     the connection broke after the body was handed over
               sending     -> pending/failed   any other error while sending (the row never stays claimed)

`attempts` counts claims; no row is claimed once it has `MAX_ATTEMPTS`: it becomes ``failed``.

Crash recovery (`recover`, at the start of every run; a row is stale after `STALE_AFTER`):
  * stale ``sending``:    the body was never handed over, so the server does not have it -> ``pending`` (resent),
    or ``failed`` when it has had its `MAX_ATTEMPTS`.
  * stale ``delivering``: the server may or may not have it.  It is NEVER resent automatically.  If the
    secretariat's copy (the reminder is Cc'd to the secretariat mailboxes, which we ingest) is in the message
    table under our Message-ID, the row becomes ``sent``; otherwise ``unknown``, listed by `busavvik remind` and
    in the digest for a human, who resolves it with `busavvik remind-resolve CASE STEP --sent|--resend`.

The one remaining window: a crash (or lost connection) after the server accepted the body and before the
``sent`` commit.  It cannot cause a second copy; at worst a reminder waits in ``unknown`` for a human (or for
its Cc copy to be ingested).  A resend decided by a human reuses the same Message-ID, so mail clients that
deduplicate by Message-ID still show one copy.
"""
from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.rules import Rules
from config.settings import Settings
from notify import message, reminder_source
from notify.policy import CaseFacts, Decision, decide_all
from notify.recipients import over_cap, recipients
from notify.review import REVIEW_STATES, attention, resolve  # noqa: F401 -- part of this module's interface
from notify.smtp import SendResult, Transport
from parsers.headers import normalise_id
from store.caseview import CaseView, views
from store.db import Database
from store.jsontypes import Recipients
from store.models import Case, Message, Reminder

STALE_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 8
OPEN_STATES = ("pending", "sending", "delivering")
GAVE_UP = "gave up after {n} attempts"


@dataclass(frozen=True)
class Planned:
    case_id: str
    step: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    created: bool              # False in a dry run or when another run created the row first
    held: str = ""             # why it is held back for review instead of sent (Swedish), else ""


@dataclass(frozen=True)
class Delivery:
    case_id: str
    step: str
    status: str                # sent | pending | failed | unknown | aborted | error
    detail: str = ""
    attempts: int = 0


def responded(case: CaseView) -> bool:
    """No answer is awaited any more (every receiver answered or is not expected to, or a person said so)."""
    return not case.waiting


def facts(case: CaseView, reminders: list[Reminder]) -> CaseFacts:
    return CaseFacts(case.case_id, case.first_received, case.response_due, responded(case), case.status,
                     tuple((r.step, r.due_on) for r in reminders), tuple((r.step, r.status) for r in reminders))


def new_message_id(case_id: str, step: str, rules: Rules) -> str:
    return f"<reminder.{case_id}.{step}.{secrets.token_hex(8)}@{rules.message_id_domain}>"


def decisions(session: Session, day: date, settings: Settings) -> list[tuple[CaseView, Decision]]:
    """The policy's decision for every open case that is due by `day` (or its notice is)."""
    horizon = day + timedelta(days=max(0, settings.reminders.notice_days_before))
    cases = views(session, None, Case.status == "open", Case.response_due <= horizon,
                  order=(Case.response_due, Case.id))
    rows = session.scalars(select(Reminder).where(Reminder.case_pk.in_([c.pk for c in cases]))).all()
    by_case: dict[int, list[Reminder]] = {}
    for r in rows:
        by_case.setdefault(r.case_pk, []).append(r)
    found = decide_all([facts(c, by_case.get(c.pk, [])) for c in cases], day, settings.reminders,
                       settings.local)
    return list(zip(cases, found))


def plan(db: Database, day: date, now: datetime, settings: Settings, rules: Rules,
         dry_run: bool = False) -> list[Planned]:
    """Create a pending row for every step due on `day` (committed before anything is sent)."""
    out: list[Planned] = []
    with db.session() as session:
        for case, decision in decisions(session, day, settings):
            if decision.step is None:
                continue
            to, cc = recipients(case, decision.step, settings, rules)
            if not to:
                continue  # no receiver known: nothing to remind (shown by `skipped`)
            held = over_cap(to, cc, settings) or ""
            created = not dry_run and _create(session, case, decision, (to, cc), now, rules, held)
            out.append(Planned(case.case_id, decision.step, to, cc, created, held))
    return out


def skipped(db: Database, day: date, settings: Settings, rules: Rules) -> list[tuple[str, str]]:
    """(case id, reason) for due cases that get no reminder today (for the dry run and the digest)."""
    with db.session() as session:
        out = []
        for case, d in decisions(session, day, settings):
            if d.step and not recipients(case, d.step, settings, rules)[0]:
                out.append((case.case_id, "inga mottagare kända (To: saknar andra än sekretariatet)"))
            elif d.step is None and not responded(case):
                out.append((case.case_id, d.reason))
        return out


def _create(session: Session, case: CaseView, decision: Decision, to_cc: tuple[tuple[str, ...], tuple[str, ...]],
            now: datetime, rules: Rules, held: str = "") -> bool:
    """The row, committed before anything is sent; a held one keeps no recipients (there may be thousands)."""
    assert decision.step is not None and decision.due_on is not None
    to, cc = ((), ()) if held else to_cc
    row = Reminder(case_pk=case.pk, step=decision.step, status="held" if held else "pending",
                   due_on=decision.due_on, message_id=new_message_id(case.case_id, decision.step, rules),
                   recipients=Recipients(tuple(to), tuple(cc)),
                   created_at=now, attempts=0, last_error=held or None)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another run created this (case, step) first
        return False
    return True


def recover(db: Database, now: datetime) -> dict[str, int]:
    """Deal with rows a crashed run left behind (see the module docstring)."""
    counts = {"requeued": 0, "sent": 0, "unknown": 0}
    cutoff = now - STALE_AFTER
    with db.session() as session:
        stale = session.scalars(select(Reminder).where(Reminder.status.in_(("sending", "delivering")),
                                                       Reminder.claimed_at < cutoff)).all()
        for row in stale:
            if row.status == "sending" and row.attempts >= MAX_ATTEMPTS:
                new, note = "failed", GAVE_UP.format(n=row.attempts) + "; the last one was cut short"
            elif row.status == "sending":
                new, note = "pending", "requeued after a crash before the message body was sent"
            elif copy_arrived(session, row):
                new, note = "sent", "confirmed by the copy in the secretariat mailbox"
            else:
                new, note = "unknown", "crash while the server had the message body: check before resending"
            changed = session.execute(update(Reminder).where(
                Reminder.id == row.id, Reminder.status == row.status, Reminder.claimed_at == row.claimed_at)
                .values(status=new, last_error=note, sent_at=now if new == "sent" else None))
            if changed.rowcount:  # type: ignore[attr-defined]
                key = {"pending": "requeued"}.get(new, new)
                counts[key] = counts.get(key, 0) + 1
    return counts


def copy_arrived(session: Session, row: Reminder) -> bool:
    mid = normalise_id(row.message_id)
    return session.scalar(select(Message.id).where(Message.message_id == mid).limit(1)) is not None


def claim(db: Database, now: datetime, limit: int = 100,
          exclude: Collection[int] = ()) -> list[tuple[int, datetime]]:
    """Claim pending rows: (id, claimed_at) of the rows this run now owns. A pending row that has had its
    `MAX_ATTEMPTS` is not claimed: it becomes failed."""
    with db.session() as session:
        session.execute(update(Reminder).where(Reminder.status == "pending", Reminder.attempts >= MAX_ATTEMPTS)
                        .values(status="failed", last_error=GAVE_UP.format(n=MAX_ATTEMPTS) + ": "
                                + func.coalesce(Reminder.last_error, "")))
    with db.session() as session:
        q = select(Reminder.id).where(Reminder.status == "pending").order_by(Reminder.id).limit(limit)
        if exclude:
            q = q.where(Reminder.id.not_in(list(exclude)))
        ids = session.scalars(q).all()
    owned = []
    for rid in ids:
        with db.session() as session:
            done = session.execute(update(Reminder).where(Reminder.id == rid, Reminder.status == "pending")
                                   .values(status="sending", claimed_at=now, attempts=Reminder.attempts + 1))
            if done.rowcount:  # type: ignore[attr-defined]
                owned.append((rid, now))
    return owned


def _move(db: Database, rid: int, claimed: datetime, src: tuple[str, ...], **values: object) -> bool:
    with db.session() as session:
        done = session.execute(update(Reminder).where(
            Reminder.id == rid, Reminder.status.in_(src), Reminder.claimed_at == claimed).values(**values))
        return bool(done.rowcount)  # type: ignore[attr-defined]


def mark_sent(db: Database, rid: int, claimed: datetime, now: datetime, detail: str) -> bool:
    return _move(db, rid, claimed, ("delivering",), status="sent", sent_at=now, last_error=detail or None)


def _settle(db: Database, rid: int, claimed: datetime, result: SendResult, now: datetime,
            attempts: int) -> str:
    """Record a send result; returns the row's new status."""
    if result.status == "accepted":
        mark_sent(db, rid, claimed, now, result.detail)
        return "sent"
    if result.status == "aborted":
        return "aborted"
    new = {"deferred": "pending", "rejected": "failed", "unknown": "unknown"}[result.status]
    detail = f"{result.code or ''} {result.detail}".strip()
    return _release(db, rid, claimed, new, detail, attempts)


def _release(db: Database, rid: int, claimed: datetime, new: str, detail: str, attempts: int) -> str:
    """Out of sending/delivering to `new` (pending becomes failed at the attempt limit); the new status."""
    if new == "pending" and attempts >= MAX_ATTEMPTS:
        new, detail = "failed", f"{GAVE_UP.format(n=attempts)}: {detail}"
    _move(db, rid, claimed, ("sending", "delivering"), status=new, last_error=detail[:1000])
    return new


def _after_error(db: Database, rid: int, claimed: datetime, exc: Exception) -> tuple[str, int]:
    """An unexpected error while sending a claimed row: it never stays claimed. Before the body was handed
    over (`sending`) it is tried again, up to the attempt limit; after (`delivering`) it is unknown."""
    detail = f"{type(exc).__name__}: {exc}"[:300]
    with db.session() as session:
        row = session.get_one(Reminder, rid)
        status, attempts = row.status, row.attempts
    if status not in ("sending", "delivering"):
        return status, attempts
    return _release(db, rid, claimed, "unknown" if status == "delivering" else "pending", detail, attempts), attempts


def deliver(db: Database, transport: Transport, rid: int, claimed: datetime, now: datetime,
            settings: Settings, rules: Rules) -> Delivery:
    """Send one claimed row and record the outcome."""
    with db.session() as session:
        row = session.get_one(Reminder, rid)
        mail = reminder_source.mail_for(session, row, now, settings, rules)
        attempts = row.attempts
    data = message.to_bytes(message.build(mail, now, settings.reminders.templates_dir))

    def before() -> bool:  # committed right before the body goes to the server
        return _move(db, rid, claimed, ("sending", "delivering"), status="delivering")

    result = transport.send(data, settings.smtp.from_address, mail.envelope_recipients(), before,
                            required=[a.lower() for a in mail.to])
    status = _settle(db, rid, claimed, result, now, attempts)
    return Delivery(mail.case_id, mail.step, status, result.detail, attempts)


def send_pending(db: Database, transport: Transport, now: datetime, settings: Settings,
                 rules: Rules) -> list[Delivery]:
    """Claim and send every pending row, 100 at a time, each row at most once per run; one failure never
    stops the others."""
    out: list[Delivery] = []
    tried: set[int] = set()
    while True:
        batch = claim(db, now, exclude=tried)
        if not batch:
            return out
        for rid, claimed in batch:
            tried.add(rid)
            try:
                out.append(deliver(db, transport, rid, claimed, now, settings, rules))
            except Exception as exc:  # noqa: BLE001 -- recorded on the row, the loop goes on
                status, attempts = _after_error(db, rid, claimed, exc)
                out.append(Delivery(_case_of(db, rid), "?", status, f"{type(exc).__name__}: {exc}"[:300], attempts))


def _case_of(db: Database, rid: int) -> str:
    with db.session() as session:
        return str(session.scalar(select(Case.case_id).join(Reminder, Reminder.case_pk == Case.id)
                                  .where(Reminder.id == rid)) or rid)
