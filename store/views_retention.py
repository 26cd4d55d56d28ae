"""What the pages show of keeping and culling: the owners' rules, the cases under hold, the last culling records."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import RETENTION_CLASSES, RetentionSettings
from parsers.safetext import shown
from store.holds import active_hold
from store.models import Case, CaseHold, CullingRecord

CLASS_NAMES = {"raw_mail": "rå e-post", "free_text": "fritext", "contacts": "kontaktuppgifter",
               "own_mail": "egen e-post", "other_mail": "övrig e-post", "access_log": "åtkomstlogg",
               "pnr_purge": "personnummer rensade"}
EVENTS = {"received": "mottaget", "case_closed": "ärendet stängt", "report_adopted": "årsrapporten fastställd"}


@dataclass(frozen=True)
class RetentionState:
    rules: tuple[tuple[str, str, str, str], ...]                       # mailbox, decision, counted from, periods
    holds: tuple[tuple[str, str, str, datetime], ...]                  # case id, reason, by, since
    records: tuple[tuple[int, datetime, str, str, str, str, str], ...]  # id, at, kind, owner, decision, who, counts


def _periods(settings: RetentionSettings, mailbox: str) -> str:
    rule = settings.rule(mailbox)
    assert rule is not None
    parts = [f"{CLASS_NAMES[c]} {rule.days(c)} d" for c in RETENTION_CLASSES if rule.days(c) is not None]
    return ", ".join(parts) or "allt behålls"


def retention_state(session: Session, settings: RetentionSettings, last: int = 10) -> RetentionState:
    holds = session.execute(select(Case.case_id, CaseHold.reason, CaseHold.held_by, CaseHold.held_at)
                            .join(Case, Case.id == CaseHold.case_pk).where(CaseHold.released_at.is_(None))
                            .order_by(CaseHold.held_at))
    records = session.scalars(select(CullingRecord).order_by(CullingRecord.id.desc()).limit(last))
    return RetentionState(
        rules=tuple((r.mailbox, shown(r.decision), EVENTS.get(r.counted_from, r.counted_from),
                     _periods(settings, r.mailbox)) for r in settings.rules),
        holds=tuple((cid, shown(reason), shown(by), at) for cid, reason, by, at in holds),
        records=tuple((r.id, r.at, r.kind, r.mailbox, shown(r.decision), shown(r.who),
                       ", ".join(f"{CLASS_NAMES.get(k, k)}: {n}" for k, n in sorted(r.counts.items())))
                      for r in records))


def hold_of(session: Session, case_id: str) -> tuple[str, str] | None:
    """(reason, by) of the case's hold, or None."""
    case = session.scalars(select(Case).where(Case.case_id == case_id.strip().upper())).first()
    hold = active_hold(session, case.id) if case is not None else None
    return (shown(hold.reason), shown(hold.held_by)) if hold is not None else None
