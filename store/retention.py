"""What is due for culling (gallring) on a day, per owner, class and year: the plan that `apply` carries out.

An owner is a mailbox (`[retention.MAILBOX]`, config/retention.py). A message belongs to every mailbox it was seen
in (its `Location` rows), a case to every mailbox one of its messages was seen in. The items of each class:

- raw_mail:   the raw bytes of a mail linked to a case (key message:ID)
- own_mail:   busavvik's own mail seen in a box (kind `own`), bytes and text
- other_mail: mail not about a deviation (unlinked), bytes and text
- free_text:  a case's free text (form, answers, excerpts, subjects)   (key case:ID)
- contacts:   a case's names, addresses and phone numbers → role and unit
- access_log: who read what (issue 21's table; see ACCESS_LOG_HOOK)

An item is due for an owner when the owner's period for its class has run from the owner's event (received,
case closed, or the year's report adopted) by the day asked about. Nothing bound to a case is due before the
year's report is adopted, nor while the case is under legal hold. An item goes only once every owner holding
it has culled it (store/culling.py); each owner's culling is accounted in its own record.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.localzone import STOCKHOLM, LocalTime
from config.settings import RETENTION_CLASSES, RetentionRule, RetentionSettings
from store.holds import held_cases
from store.models import Case, Correction, CulledItem, Location, Message

CASE_CLASSES = ("free_text", "contacts")
MESSAGE_CLASSES = ("raw_mail", "own_mail", "other_mail")
# ACCESS_LOG_HOOK: the access log (issue 21's `access_log` table, not in this branch) serves both owners: its rows
# are culled by `apply` (store/culling.py `cull_access_log`, found by name when the table exists) once they are
# older than the longest of the owners' access_log_days; an owner without that period keeps them all. They are
# not items of the plan (no owner of their own); `plan` does not count them.


@dataclass(frozen=True)
class Item:
    cls: str
    key: str                     # message:ID | case:ID
    year: int                    # the report year of its case, else the year it was received
    received: date
    owners: tuple[str, ...]      # the mailboxes holding it
    case_pk: int | None
    closed: date | None = None   # the day its case was closed (None: open)


@dataclass(frozen=True)
class Due:
    owner: str
    item: Item
    day: date                    # the event the period is counted from


@dataclass
class Plan:
    as_of: date
    due: list[Due] = field(default_factory=list)              # due for an owner, not culled by it yet
    held: list[Item] = field(default_factory=list)            # would be due, but its case is under hold
    done: set[tuple[str, str, str]] = field(default_factory=set)   # (owner, class, key) culled already
    items: list[Item] = field(default_factory=list)

    def counts(self) -> dict[tuple[str, str, int], int]:
        """(owner, class, year) → items due."""
        out: dict[tuple[str, str, int], int] = defaultdict(int)
        for d in self.due:
            out[d.owner, d.item.cls, d.item.year] += 1
        order = {c: i for i, c in enumerate(RETENTION_CLASSES)}
        return dict(sorted(out.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 99), kv[0][2])))

    def released_by_all(self, item: Item) -> bool:
        """Has every owner of `item` culled it?"""
        return bool(item.owners) and all((o, item.cls, item.key) in self.done for o in item.owners)


def _owners(session: Session) -> tuple[dict[int, tuple[str, ...]], dict[int, tuple[str, ...]]]:
    """message pk → its mailboxes, case pk → the mailboxes of its messages."""
    by_message: dict[int, set[str]] = defaultdict(set)
    by_case: dict[int, set[str]] = defaultdict(set)
    for message_pk, case_pk, mailbox in session.execute(
            select(Location.message_pk, Message.case_pk, Location.mailbox).join(Message)):
        by_message[message_pk].add(mailbox)
        if case_pk is not None:
            by_case[case_pk].add(mailbox)
    return ({k: tuple(sorted(v)) for k, v in by_message.items()}, {k: tuple(sorted(v)) for k, v in by_case.items()})


def _closed_days(session: Session, zone: LocalTime = STOCKHOLM) -> dict[int, date]:
    """case pk → the day it was last closed, for the cases closed now."""
    closed = set(session.scalars(select(Case.id).where(Case.status == "closed")))
    days: dict[int, date] = {}
    query = select(Correction.case_pk, Correction.at).where(
        Correction.field == "status", Correction.new_value == "closed").order_by(Correction.at)
    for case_pk, at in session.execute(query):
        if case_pk in closed:
            days[case_pk] = zone.day(at)
    return days


def message_class(kind: str, case_pk: int | None) -> str:
    if kind == "own":
        return "own_mail"
    return "raw_mail" if case_pk is not None else "other_mail"


def gather(session: Session, zone: LocalTime = STOCKHOLM) -> list[Item]:
    """Every item of every class, with its owners and days."""
    by_message, by_case = _owners(session)
    closed = _closed_days(session, zone)
    cases = {pk: (year, zone.day(first)) for pk, year, first in session.execute(
        select(Case.id, Case.year, Case.first_received))}
    items = [Item(cls, f"case:{pk}", year, first, by_case.get(pk, ()), pk, closed.get(pk))
             for pk, (year, first) in cases.items() for cls in CASE_CLASSES]
    for pk, kind, case_pk, when, seen in session.execute(
            select(Message.id, Message.kind, Message.case_pk, Message.date, Message.first_seen)):
        received = zone.day(when or seen)
        year = cases[case_pk][0] if case_pk in cases else received.year
        items.append(Item(message_class(kind, case_pk), f"message:{pk}", year, received, by_message.get(pk, ()),
                          case_pk, closed.get(case_pk) if case_pk is not None else None))
    return items


def event_day(rule: RetentionRule, item: Item, settings: RetentionSettings) -> date | None:
    """The day `rule`'s periods run from for `item` (None: the event has not happened)."""
    if rule.counted_from == "received":
        return item.received
    if rule.counted_from == "case_closed":
        return item.closed if item.case_pk is not None else item.received
    return settings.adopted(item.year)


def due_day(rule: RetentionRule, item: Item, settings: RetentionSettings) -> tuple[date, date] | None:
    """(event day, the day the item may go) for this owner, or None when it is kept."""
    days = rule.days(item.cls)
    start = event_day(rule, item, settings)
    if days is None or start is None:
        return None
    goes = start + timedelta(days=days)
    if item.case_pk is not None:           # never before the year's report is adopted
        adopted = settings.adopted(item.year)
        if adopted is None:
            return None
        goes = max(goes, adopted)
    return start, goes


def culled_already(session: Session) -> set[tuple[str, str, str]]:
    return {(m, c, i) for m, c, i in session.execute(select(CulledItem.mailbox, CulledItem.cls, CulledItem.item))}


def plan(session: Session, settings: RetentionSettings, as_of: date, owners: tuple[str, ...] | None = None,
         zone: LocalTime = STOCKHOLM) -> Plan:
    """What is due on `as_of` (for `owners`, else every owner with a rule); changes nothing."""
    result = Plan(as_of, done=culled_already(session), items=gather(session, zone))
    held = held_cases(session)
    rules = [r for r in settings.rules if owners is None or r.mailbox in owners]
    for item in result.items:
        for rule in rules:
            if rule.mailbox not in item.owners or (rule.mailbox, item.cls, item.key) in result.done:
                continue
            days = due_day(rule, item, settings)
            if days is None or days[1] > as_of:
                continue
            if item.case_pk in held:
                result.held.append(item)
            else:
                result.due.append(Due(rule.mailbox, item, days[0]))
    return result


def classes_of(rule: RetentionRule) -> list[str]:
    return [c for c in RETENTION_CLASSES if rule.days(c) is not None]
