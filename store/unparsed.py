"""Messages stored without their parse because it ran out of its budget (pipeline/budget.py).

They are stored like any other message (raw bytes kept, cursor past them), so no poll asks for them again;
`busavvik reparse` tries them again. `busavvik status` and the weekly digest name them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session, selectinload

from store.models import Message

BUDGET_CODES = ("parse_timeout", "too_complex")


@dataclass(frozen=True)
class Unparsed:
    message_id: str
    code: str
    first_seen: datetime
    subject: str
    sender: str | None
    places: tuple[tuple[str, str, int], ...]       # (mailbox, folder, uid)


def unparsed_messages(session: Session) -> list[Unparsed]:
    """Every message whose parse ran out of its budget, the latest first."""
    text = cast(Message.problems, String)
    q = (select(Message).where(or_(*(text.like(f"%{code}%") for code in BUDGET_CODES)))
         .options(selectinload(Message.locations)).order_by(Message.first_seen.desc(), Message.id.desc()))
    out = []
    for msg in session.scalars(q):
        code = next((p.get("code") for p in msg.problems or [] if p.get("code") in BUDGET_CODES), None)
        if code is None:
            continue
        places = tuple(sorted((loc.mailbox, loc.folder, loc.uid or 0) for loc in msg.locations))
        out.append(Unparsed(msg.message_id_header, code, msg.first_seen, msg.subject or "", msg.sender, places))
    return out


def counts_by_mailbox(found: list[Unparsed]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in found:
        for mailbox in {place[0] for place in item.places}:
            counts[mailbox] = counts.get(mailbox, 0) + 1
    return counts
