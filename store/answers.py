"""Whose answer is this, and what an answer is: the one home of a deviation's receivers and answers.

An answer is a `CaseAnswer` row, nothing else: a mail linked as an answer (`record_answer`), or an answer a
receiver gave by another route (telephone, a meeting, a mail only to the reporter: `record_other`).  Each is
attributed to a receiver; a receiver's state follows from its answers (`settle`), except "not_expected", which
only a person sets (store/receiver_changes.py).  What the export calls the case's `response` is read from the
answers (`first_answer`), never stored apart.

The pure part (a message's side and kind, the receivers of a deviation, whose answer a message is, an answer's
content) takes addresses and form fields only; the migrations use it too, so stored cases are decided alike.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.localzone import STOCKHOLM
from config.rules import Rules
from parsers.answers import answer_text
from parsers.form_record import as_stored
from parsers.outcome import suggest_outcome
from parsers.types import FormData, FormLike, has_response
from store.jsontypes import Manager
from store.models import Case, CaseAnswer, CaseReceiver, Message, MessageKind

_WORDS = re.compile(r"\w+")
_STOP = {"och", "i", "på", "för", "av", "med", "se", "com", "org", "nu", "net", "info", "www"}
DOUBTFUL = "doubtful"
PROBLEM = "answer_receiver_unknown"
MANUAL = "manual"

# How an answer came: a mail linked to the case, or another route a person records (store code → Swedish label).
MAIL = "mail"
CHANNELS: dict[str, str] = {"phone": "telefon", "meeting": "möte", "mail_to_reporter": "mejl direkt till rapportören",
                            "other": "annat"}
CHANNEL_LABELS: dict[str, str] = {MAIL: "mejl till sekretariatet", **CHANNELS}


# ---- the pure part: sides, receivers, attribution, an answer's content ------------------------------------------

@dataclass(frozen=True)
class Attribution:
    email: str | None
    rule: str          # sender | manager_email | manager_unit | organisation | only_receiver | doubtful | none


def kind_for(*, auto_reply: bool, sender: str | None, reporters: Sequence[str], receivers: Sequence[str],
             secretariat: tuple[str, ...], has_response_form: bool) -> MessageKind:
    """Which side of a case a message comes from, and so its kind:
    answer (receiving side, human) | follow_up (reporting side) | auto_reply (never an answer)."""
    if auto_reply:
        return "auto_reply"
    who = (sender or "").lower()
    if who in {a.lower() for a in secretariat}:
        return "answer" if has_response_form else "follow_up"
    if who in reporters:
        return "follow_up"
    if who in receivers or has_response_form:
        return "answer"
    domain = who.rpartition("@")[2]
    reporter_domains = {r.rpartition("@")[2] for r in reporters}
    receiver_domains = {r.rpartition("@")[2] for r in receivers}
    if domain in reporter_domains and domain not in receiver_domains:
        return "follow_up"
    return "answer"


def _words(text: Any) -> set[str]:
    return {w for w in _WORDS.findall(str(text or "").casefold()) if len(w) > 1 and w not in _STOP}


def organisation(email: str | None) -> str:
    """The organisation of an address: its domain's last two labels (sll.se, stockholm.se)."""
    domain = (email or "").rpartition("@")[2].lower()
    return ".".join(domain.split(".")[-2:]) if domain else ""


def unit_for(email: str, units: Iterable[str], reporter_unit: str | None = None) -> str:
    """The unit of section 2 whose words best match the address (local part and domain), when one does
    clearly; else the address's domain."""
    local, _, domain = email.lower().partition("@")
    address = _words(local.replace(".", " ").replace("-", " ")) | _words(domain.replace(".", " "))
    candidates = [u for u in dict.fromkeys(str(u).strip() for u in units) if u and u != reporter_unit]
    scored = sorted(((len(_words(u) & address), u) for u in candidates), reverse=True)
    if scored and scored[0][0] and (len(scored) == 1 or scored[1][0] < scored[0][0]):
        return scored[0][1]
    return domain


def receivers_of(to: Iterable[str], secretariat: Iterable[str], reporters: Iterable[str]) -> list[str]:
    """The original To: minus the secretariat and the reporting side, lower-cased, in order."""
    skip = {a.lower() for a in (*secretariat, *reporters)}
    return [a for a in dict.fromkeys(a.strip().lower() for a in to) if a and a not in skip]


def _same_unit(a: str | None, b: str | None) -> bool:
    wa, wb = _words(a), _words(b)
    return bool(wa and wb) and (wa <= wb or wb <= wa)


def attribute(sender: str | None, form: FormLike, receivers: Sequence[tuple[str, str | None]],
              secretariat: Iterable[str] = ()) -> Attribution:
    """Whose answer this is: by sender address, else section 4's manager e-mail or unit, else the only
    receiver of the sender's organisation (or the case's only receiver).  Several candidates or none
    among several receivers: doubtful (a person decides)."""
    if not receivers:
        return Attribution(None, "none")
    emails = [e for e, _ in receivers]
    who = (sender or "").lower()
    if who in emails:
        return Attribution(who, "sender")
    f = as_stored(form)
    manager = str(f.get("response_manager_email") or "").strip().lower()
    if manager in emails:
        return Attribution(manager, "manager_email")
    by_unit = [e for e, unit in receivers if _same_unit(f.get("response_manager_unit"), unit)]
    if len(by_unit) == 1:
        return Attribution(by_unit[0], "manager_unit")
    sec = {a.lower() for a in secretariat}
    orgs = {organisation(a) for a in (who, manager) if a and a not in sec}
    same_org = [e for e in emails if organisation(e) in orgs]
    if len(same_org) == 1:
        return Attribution(same_org[0], "organisation")
    if len(emails) == 1:
        return Attribution(emails[0], "only_receiver")
    return Attribution(None, DOUBTFUL)


def answer_fields(form: FormLike, sender: str | None, sender_name: str | None, body: str,
                  received_day: str) -> dict[str, Any]:
    """An answer's content: section 4 when it is filled, else the mail body without the quoted original."""
    filled = has_response(form)
    stored = as_stored(form)
    f = stored if filled else {}
    return {
        "description": f.get("response_description") if filled else answer_text(body),
        "improvements": f.get("response_improvements") if filled else None,
        "received_date": stored.get("response_received_date") or received_day,
        "manager": {"name": f.get("response_manager_name") or sender_name or None,
                    "unit": f.get("response_manager_unit"),
                    "email": f.get("response_manager_email") or sender,
                    "phone": f.get("response_manager_phone")},
        "from_form": filled,
    }


def response_of(answer: CaseAnswer) -> dict[str, object]:
    """An answer as the export's `response` has always shown the case's first answer."""
    return {"message_id": answer.message.message_id_header if answer.message else None,
            "description": answer.description, "improvements": answer.improvements,
            "received_date": answer.received_date, "manager": answer.manager.as_dict()}


# ---- receivers ------------------------------------------------------------------------------------------------

def new_receivers(emails: Iterable[str], form: FormData | None) -> list[CaseReceiver]:
    units = form.units_involved if form else ()
    reporter_unit = form.reporter_unit if form else None
    return [CaseReceiver(email=e, unit=unit_for(e, units, reporter_unit), state="awaited")
            for e in dict.fromkeys(emails)]


def answered_at(a: CaseAnswer) -> datetime:
    """When an answer came: its mail's Date (else when first seen); for another route, noon of its day."""
    if a.message is not None:
        return a.message.date or a.message.first_seen
    try:
        day = date.fromisoformat(a.received_date or "")
    except ValueError:
        return a.recorded_at or datetime.min.replace(tzinfo=STOCKHOLM.zone)
    return STOCKHOLM.at(day, time(12))


def first_answer(case: Case) -> CaseAnswer | None:
    """The case's first mailed answer as recorded, or the first with a filled section 4 when one came."""
    mailed = [a for a in case.answer_rows if a.message is not None]
    return next((a for a in mailed if a.from_form), mailed[0] if mailed else None)


def settle(case: Case) -> None:
    """Each receiver's state and answer from the answers attributed to it: the first answer, or the first
    with a filled section 4 when there is one; the case has answered while it has any answer."""
    by_email: dict[str, list[CaseAnswer]] = {}
    for a in sorted(case.answer_rows, key=answered_at):
        if a.receiver_email:
            by_email.setdefault(a.receiver_email, []).append(a)
    for r in case.receiver_rows:
        answers = by_email.get(r.email, [])
        if answers:
            best = next((a for a in answers if a.from_form), answers[0])
            r.state, r.answer_message = "answered", best.message
        elif r.state == "answered":
            r.state, r.answer_message = "awaited", None
    case.responded = bool(case.answer_rows)


def _identity(msg: Message, form: FormData | None, case: Case, rules: Rules) -> str | None:
    """The answering side's address, for a case whose To: named no receiver."""
    email = str(form.response_manager_email or "").strip().lower() if form and form.has_response else ""
    for candidate in (email, (msg.sender or "").lower()):
        if candidate and not rules.is_secretariat(candidate) and candidate not in (case.reporters or []):
            return candidate
    return None


def _attribution(case: Case, msg: Message, form: FormData | None, rules: Rules,
                 row: CaseAnswer | None) -> Attribution:
    if row is not None and row.attributed_by == MANUAL:
        return Attribution(row.receiver_email, MANUAL)
    who = attribute(msg.sender, form, [(r.email, r.unit) for r in case.receiver_rows], rules.secretariat_addresses)
    if who.rule == "none":
        email = _identity(msg, form, case, rules)
        if email is not None:
            case.receiver_rows.append(new_receivers([email], case.form)[0])
            return Attribution(email, "added")
    return who


def _suggest(row: CaseAnswer, rules: Rules) -> None:
    if row.outcome_source == "set":
        return
    found = suggest_outcome(row.description, row.improvements, rules)
    row.outcome, row.outcome_rule = found if found else (None, None)
    row.outcome_source = "suggested" if found else None


def mark_problem(msg: Message, doubtful: bool, candidates: list[str]) -> None:
    others = [p for p in msg.problems or [] if p.get("code") != PROBLEM]
    if doubtful:
        others.append({"code": PROBLEM, "detail": "svaret kunde inte knytas till en mottagare: "
                                                  + ", ".join(candidates)})
    if others != list(msg.problems or []):
        msg.problems = others


def forget_answer(session: Session, case: Case, msg: Message) -> CaseAnswer | None:
    """Undo what `msg` did as an answer of `case` (it was unlinked or linked elsewhere): its answer row goes,
    its receiver is awaited again unless another answer settles it.  The answer that went, if any."""
    old = next((a for a in case.answer_rows if a.message is msg), None)
    if old is None:
        return None
    case.answer_rows.remove(old)
    if old in session:
        session.delete(old)
    session.flush()
    settle(case)
    mark_problem(msg, False, [])
    return old


def _detach_elsewhere(session: Session, case: Case, msg: Message) -> None:
    """A message linked again to another case (by hand) is no longer the other case's answer."""
    if msg.id is None:
        return
    old = session.scalars(select(CaseAnswer).where(CaseAnswer.message_pk == msg.id)).first()
    if old is not None and old.case is not case:
        forget_answer(session, old.case, msg)


def record_answer(session: Session, case: Case, msg: Message, form: FormData | None, body: str,
                  rules: Rules) -> CaseAnswer:
    """Record `msg` as an answer of `case` (again, on re-parse: a person's attribution and outcome stay)."""
    with session.no_autoflush:
        row = next((a for a in case.answer_rows if a.message is msg), None)
        if row is None:
            _detach_elsewhere(session, case, msg)
            row = CaseAnswer(message=msg, attributed_by="none", manager=Manager(), channel=MAIL)
            case.answer_rows.append(row)
        fields = answer_fields(form, msg.sender, msg.sender_name, body,
                               rules.local.day(msg.date or msg.first_seen).isoformat())
        for key, value in fields.items():
            setattr(row, key, Manager.from_dict(value) if key == "manager" else value)
        who = _attribution(case, msg, form, rules, row)
        row.receiver_email, row.attributed_by = who.email, who.rule
        _suggest(row, rules)
        settle(case)
        mark_problem(msg, who.rule == DOUBTFUL, [r.email for r in case.receiver_rows])
    return row


def record_other(case: Case, receiver: CaseReceiver, day: date, channel: str, note: str, who: str,
                 at: datetime, rules: Rules) -> CaseAnswer:
    """An answer a receiver gave by another route (`CHANNELS`), recorded by a person: it counts as answered,
    dated `day` (within two months when `day` is by the due date); the note is its text (an outcome is
    suggested from it like a mailed answer's)."""
    row = CaseAnswer(message=None, receiver_email=receiver.email, attributed_by=MANUAL, channel=channel,
                     description=note or None, improvements=None, received_date=day.isoformat(), manager=Manager(),
                     from_form=False, recorded_by=who, recorded_at=at)
    case.answer_rows.append(row)
    _suggest(row, rules)
    settle(case)
    return row
