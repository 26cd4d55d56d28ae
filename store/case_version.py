"""A case's version as a page shows it, and the refusal of a save made from a stale page.

The version is the number of the case's last Correction (0 before any): every change a person makes to a case
is recorded as one.  A form carries the version its page showed; a save is refused when someone else changed
*the same thing* (the field, the receiver, the answer's outcome, the message's link) after that, so six people
saving six different fields at once all keep their value, and nobody overwrites a change they never saw.
The check runs after store/corrections.find_case has locked the case's row, in the transaction of the save."""
from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from store.corrections import CorrectionError
from store.models import Correction


class StaleError(CorrectionError):
    """Someone else changed the same thing after the page was shown; the message (Swedish) names who."""


def version_of(session: Session, case_pk: int) -> int:
    return int(session.scalar(select(func.max(Correction.id)).where(Correction.case_pk == case_pk)) or 0)


def parse_version(text: str) -> int | None:
    """The version a form sent: ASCII digits only (None when the form sent none, or something else)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def refuse_if_changed(session: Session, case_pk: int, shown: int | None, field: str,
                      message_pk: int | None = None, receiver: str | None = None) -> None:
    """Raise StaleError when a Correction of `field` (for that message, or that receiver) came after `shown`."""
    if shown is None:
        return
    query = select(Correction.who).where(Correction.case_pk == case_pk, Correction.id > shown,
                                         Correction.field == field)
    if message_pk is not None:
        query = query.where(Correction.message_pk == message_pk)
    if receiver is not None:
        prefix = receiver.strip().lower() + ":"
        query = query.where(or_(Correction.old_value.startswith(prefix, autoescape=True),
                                Correction.new_value.startswith(prefix, autoescape=True)))
    who = session.scalars(query.order_by(Correction.id.desc()).limit(1)).first()
    if who is not None:
        raise StaleError(f"{who} har ändrat detta sedan du öppnade sidan. Ladda om sidan, se ändringen och "
                         "försök igen.")
