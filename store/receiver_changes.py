"""A person's decisions on receivers and answers, each recorded as a `Correction` (who, when):
a receiver not expected to answer (and back), an answer attributed by hand, an answer's outcome (one, or every
suggested one of a selection of cases at once), an answer given by another route (and its undoing)."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from config.rules import Rules
from parsers.dates import parse_date, plausible_year
from parsers.outcome import check_label
from store.answers import CHANNEL_LABELS, CHANNELS, MANUAL, mark_problem, record_other, settle
from store.corrections import CorrectionError, find_case, find_message
from store.message_rows import now
from store.models import Case, CaseAnswer, CaseReceiver, Correction


def _receiver(case: Case, email: str) -> CaseReceiver:
    wanted = email.strip().lower()
    found = next((r for r in case.receiver_rows if r.email == wanted), None)
    if found is None:
        known = ", ".join(r.email for r in case.receiver_rows) or "inga"
        raise CorrectionError(f"{case.case_id} har ingen mottagare {email!r}; mottagare: {known}")
    return found


def set_expected(session: Session, case_id: str, email: str, expected: bool, who: str) -> tuple[str, str]:
    """Mark a receiver not expected to answer (sent for information), or expected again; (old, new) state."""
    case = find_case(session, case_id)
    row = _receiver(case, email)
    old = row.state
    if not expected and old == "answered":
        raise CorrectionError(f"{row.email} har redan svarat på {case.case_id}")
    row.state = "not_expected" if not expected else ("answered" if row.answer_message else "awaited")
    if row.state != old:
        row.changed_by, row.changed_at = who, now()
        session.add(Correction(case_pk=case.id, field="receiver", old_value=f"{row.email}: {old}",
                               new_value=f"{row.email}: {row.state}", who=who, at=row.changed_at))
    return old, row.state


def _answer(case: Case, message_id: str | None, session: Session, answer_pk: int | None = None) -> CaseAnswer:
    if answer_pk is not None:
        by_pk = next((a for a in case.answer_rows if a.id == answer_pk), None)
        if by_pk is None:
            raise CorrectionError(f"svaret finns inte i {case.case_id}")
        return by_pk
    if message_id is None:
        if len(case.answer_rows) == 1:
            return case.answer_rows[0]
        listed = ", ".join(a.message.message_id_header if a.message else f"{CHANNEL_LABELS.get(a.channel, a.channel)} "
                           f"{a.receiver_email or ''} {a.received_date or ''}".strip() for a in case.answer_rows)
        raise CorrectionError(f"{case.case_id} har {len(case.answer_rows)} svar: ange vilket med --answer "
                              f"({listed or 'inga svar ännu'})")
    msg = find_message(session, message_id)
    found = next((a for a in case.answer_rows if a.message is msg), None)
    if found is None:
        raise CorrectionError(f"{message_id} är inte ett svar på {case.case_id}")
    return found


def set_outcome(session: Session, case_id: str, label: str, message_id: str | None, who: str,
                rules: Rules, answer_pk: int | None = None) -> tuple[str | None, str]:
    """Confirm or change an answer's outcome (one of the rules' labels); (old, new)."""
    try:
        value = check_label(label, rules)
    except ValueError as exc:
        raise CorrectionError(str(exc)) from None
    case = find_case(session, case_id)
    row = _answer(case, message_id, session, answer_pk)
    old = row.outcome
    row.outcome, row.outcome_source, row.outcome_by, row.outcome_at = value, "set", who, now()
    session.add(Correction(case_pk=case.id, message_pk=row.message_pk, field="outcome",
                           old_value=old, new_value=value, who=who, at=row.outcome_at))
    return old, value


def attribute_by_hand(session: Session, case_id: str, email: str, message_id: str, who: str) -> str | None:
    """Attribute an answer to a receiver (the review of a doubtful attribution); the previous receiver."""
    case = find_case(session, case_id)
    receiver = _receiver(case, email)
    row = _answer(case, message_id, session)
    old = row.receiver_email
    row.receiver_email, row.attributed_by = receiver.email, MANUAL
    settle(case)
    if row.message is not None:
        mark_problem(row.message, False, [])
    session.add(Correction(case_pk=case.id, message_pk=row.message_pk, field="answer_receiver",
                           old_value=old, new_value=receiver.email, who=who, at=now()))
    return old


def channel_code(text: str) -> str:
    """A route as a person names it ("telefon", "möte", "mejl direkt till rapportören", "annat"; or the code)."""
    wanted = " ".join(text.split()).casefold()
    for code, label in CHANNELS.items():
        if wanted in (code, label) or (wanted and label.startswith(wanted)):
            return code
    if wanted in ("mejl", "mail", "e-post", "epost"):
        return "mail_to_reporter"
    allowed = ", ".join(CHANNELS.values())
    raise CorrectionError(f"okänt sätt att svara {text!r}; tillåtna: {allowed}")


def answer_day(text: str) -> date:
    """The day of an answer as people write it ("19 augusti 2026", "2026-08-19", "19/8 2026")."""
    day = parse_date(text)
    if day is None or not plausible_year(day.year):
        raise CorrectionError(f"datumet {text.strip()!r} gick inte att läsa; skriv t.ex. 2026-08-19 eller "
                              f"19 augusti 2026")
    return day


def answer_by_other_route(session: Session, case_id: str, email: str, day: date, channel: str, note: str,
                          who: str, rules: Rules) -> CaseAnswer:
    """A receiver answered by telephone, at a meeting, in a mail only to the reporter or otherwise: it counts
    as answered on `day` (within two months when `day` is by the due date)."""
    case = find_case(session, case_id)
    receiver = _receiver(case, email)
    code = channel_code(channel)
    if len(note) > 2000:
        raise CorrectionError("anteckningen är för lång (högst 2000 tecken)")
    row = record_other(case, receiver, day, code, note.strip(), who, now(), rules)
    session.flush()
    session.add(Correction(case_pk=case.id, field="answer_other_route", old_value=None,
                           new_value=f"{receiver.email}: {CHANNELS[code]} {day.isoformat()}"
                                     + (f" – {note.strip()}" if note.strip() else ""), who=who, at=now()))
    return row


def undo_other_route(session: Session, case_id: str, email: str, who: str, answer_pk: int | None = None) -> str:
    """Ångra: the receiver's latest answer by another route goes (the receiver is awaited again unless another
    answer settles it); what it was."""
    case = find_case(session, case_id)
    receiver = _receiver(case, email)
    theirs = [a for a in case.answer_rows if a.message is None and a.receiver_email == receiver.email
              and (answer_pk is None or a.id == answer_pk)]
    if not theirs:
        raise CorrectionError(f"{receiver.email} har inget svar registrerat på annat sätt i {case.case_id}")
    row = max(theirs, key=lambda a: a.id)
    what = f"{receiver.email}: {CHANNELS.get(row.channel, row.channel)} {row.received_date or ''}".strip()
    case.answer_rows.remove(row)
    session.delete(row)
    session.flush()
    settle(case)
    session.add(Correction(case_pk=case.id, field="answer_other_route", old_value=what, new_value=None, who=who,
                           at=now()))
    return what


def confirm_suggested(session: Session, case_ids: list[str], who: str) -> int:
    """"Bekräfta föreslagna": every answer of these cases whose outcome a rule suggested becomes a confirmed
    one (each recorded like a person's `set_outcome`); how many were confirmed."""
    count = 0
    for case_id in dict.fromkeys(c.strip().upper() for c in case_ids if c.strip()):
        case = find_case(session, case_id)
        for row in case.answer_rows:
            if row.outcome_source == "suggested" and row.outcome:
                row.outcome_source, row.outcome_by, row.outcome_at = "set", who, now()
                session.add(Correction(case_pk=case.id, message_pk=row.message_pk, field="outcome",
                                       old_value=row.outcome, new_value=row.outcome, who=who, at=row.outcome_at))
                count += 1
    return count
