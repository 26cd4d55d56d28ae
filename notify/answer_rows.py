"""Digest rows about receivers and answers: who is still awaited, and answers whose outcome nobody confirmed."""
from __future__ import annotations

from datetime import date

from config.localzone import STOCKHOLM, LocalTime
from notify.rows import Row, clean
from store.caseview import CaseView


def awaited_cell(case: CaseView) -> str:
    """The receivers still awaited, and "1 av 2 mottagare har svarat" when some have answered."""
    names = ", ".join(case.still_awaited)
    note = case.progress_text
    return clean(f"{names} ({note})" if note and names else names or note)


def needs_outcome_rows(cases: list[CaseView], as_of: date, zone: LocalTime = STOCKHOLM) -> list[Row]:
    """Answers of the year so far whose outcome is only suggested or missing (oldest first)."""
    out = []
    for case in cases:
        for a in case.answers:
            day = zone.day(a.received)
            if a.outcome_source == "set" or day.year != as_of.year or day > as_of:
                continue
            hint = f"förslag: {a.outcome}" if a.outcome else "inget förslag"
            out.append(Row(case.case_id, day.isoformat(),
                           (clean(a.receiver_email or "okänd mottagare"), hint, clean(a.message_id))))
    return sorted(out, key=lambda r: (r.when, r.case_id))
