"""Re-running parsing, classification and linking over stored raw mail with the current rules.

Changes are applied to the session's objects and returned as a list (field, old → new); the caller
commits, or rolls back for a dry run.  The parse itself runs in the parser pool (pipeline/reparse.py): here
only what a new parse changes in the store.  Human corrections (case overrides, hand-made links) are kept.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.localzone import STOCKHOLM, LocalTime
from config.rules import Rules
from parsers.classify import classify
from parsers.form_record import classification_to_dict, form_to_dict
from parsers.over_budget import Parsed
from parsers.types import FormData, ParsedEmail, Problem
from store import form_files
from store.answers import PROBLEM as ATTRIBUTION_PROBLEM
from store.answers import first_answer, record_answer, response_of
from store.culling import culled_message_pks
from store.link_message import link_message
from store.message_rows import message_flags, problem_dicts
from store.models import Case, Message, RawBlob


@dataclass(frozen=True)
class Change:
    target: str        # case id or Message-ID
    field: str
    old: Any
    new: Any


def _set(changes: list[Change], obj: Any, target: str, field: str, new: Any) -> None:
    old = getattr(obj, field)
    if old != new:
        changes.append(Change(target, field, old, new))
        setattr(obj, field, new)


def _update_message(msg: Message, parsed: ParsedEmail, form: FormData | None, problems: tuple[Problem, ...],
                    changes: list[Change]) -> None:
    target = msg.message_id_header
    old, new = (form_to_dict(f) if f else None for f in (msg.form, form))
    if old != new:              # the change lists the stored values
        changes.append(Change(target, "form", old, new))
    msg.form = form
    kept = [p for p in msg.problems or [] if p.get("code") == ATTRIBUTION_PROBLEM]  # linking's own, redone below
    _set(changes, msg, target, "problems", problem_dicts((*parsed.problems, *problems)) + kept)
    _set(changes, msg, target, "flags", message_flags(parsed))
    _set(changes, msg, target, "auto_reply", parsed.auto_reply)
    _set(changes, msg, target, "normalised_subject", parsed.normalised_subject[:2000])


def _changed(changes: list[Change], target: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    """A change for each key whose stored value differs (as the store keeps them: the output lists them)."""
    changes.extend(Change(target, key, old.get(key), value) for key, value in new.items() if old.get(key) != value)


def _update_case(case: Case, form: FormData, parsed: ParsedEmail, rules: Rules, changes: list[Change],
                 msg_flags: list[str]) -> None:
    _changed(changes, case.case_id, form_to_dict(case.form), form_to_dict(form))
    case.form = form
    case.fingerprint, case.text_fingerprint = form.fingerprint, form.text_fingerprint
    new_class = classify(form, parsed.sender, (*parsed.to, *parsed.cc), rules)
    _changed(changes, case.case_id, classification_to_dict(case.classification), classification_to_dict(new_class))
    case.classification = new_class
    flags = sorted(set(case.flags or []) | set(msg_flags))
    _set(changes, case, case.case_id, "flags", flags)


def _record_answer(session: Session, case: Case, msg: Message, form: FormData | None, parsed: ParsedEmail,
                   rules: Rules, changes: list[Change]) -> None:
    """Record the answer again; a change of the case's response (its first answer) is listed."""
    before = first_answer(case)
    old = response_of(before) if before is not None and before.message is msg else None
    record_answer(session, case, msg, form, parsed.body_text, rules)
    after = first_answer(case)
    new = response_of(after) if after is not None and after.message is msg else None
    if old is not None and new != old:
        changes.append(Change(case.case_id, "response", old, new))


def _messages(session: Session, since: date | None, zone: LocalTime = STOCKHOLM) -> list[Message]:
    q = select(Message).order_by(Message.date.is_(None), Message.date, Message.id)
    if since is not None:
        start = zone.at(since, time())      # the day as the secretariat means it
        q = q.where(or_(Message.date >= start, Message.date.is_(None)))
    culled = culled_message_pks(session)                                  # culled or purged: never parsed again
    return [m for m in session.scalars(q) if m.id not in culled]


def raw_bytes(session: Session, msgs: list[Message], chunk: int = 500) -> Iterator[bytes]:
    """The stored bytes of each message, loaded a chunk at a time (bounded memory, few queries)."""
    for i in range(0, len(msgs), chunk):
        part = msgs[i:i + chunk]
        shas = {m.raw_sha256 for m in part}
        rows = session.execute(select(RawBlob.sha256, RawBlob.data).where(RawBlob.sha256.in_(shas))).all()
        data: dict[str, bytes] = {sha: blob for sha, blob in rows}
        for m in part:
            yield data.get(m.raw_sha256, b"")


def to_reparse(session: Session, since: date | None,
               zone: LocalTime = STOCKHOLM) -> tuple[list[Message], dict[int, list[Case]]]:
    """The messages to parse again (by date, undated last) and the cases each one opened."""
    sources: dict[int, list[Case]] = {}
    for case in session.scalars(select(Case).where(Case.source_message_id.is_not(None))):
        sources.setdefault(case.source_message_id or 0, []).append(case)
    return _messages(session, since, zone), sources


def apply_reparse(session: Session, msgs: list[Message], results: Iterator[Parsed], sources: dict[int, list[Case]],
                  rules: Rules, due_months: int, progress: Callable[[int], None] | None = None) -> list[Change]:
    """Each message's new parse (`results`, in the order of `msgs`, from the parser pool) applied to the store."""
    changes: list[Change] = []
    _apply_all(session, msgs, results, sources, rules, due_months, changes, progress)
    return changes


def _apply_all(session: Session, msgs: list[Message], results: Iterator[Parsed], sources: dict[int, list[Case]],
               rules: Rules, due_months: int, changes: list[Change], progress: Callable[[int], None] | None) -> None:
    with session.no_autoflush:
        for msg, (parsed, form, problems) in zip(msgs, results):
            _reparse_one(session, msg, parsed, form, problems, sources.get(msg.id, []), rules, due_months,
                         changes)
            if progress:
                progress(1)


def _reparse_one(session: Session, msg: Message, parsed: ParsedEmail, form: FormData | None,
                 problems: tuple[Problem, ...], sources: list[Case], rules: Rules, due_months: int,
                 changes: list[Change]) -> None:
    _update_message(msg, parsed, form, problems, changes)
    for case in sources:
        if form is not None:
            _update_case(case, form, parsed, rules, changes, list(msg.flags or []))
    if sources and (form is not None or msg.form_filename is None):
        form_files.keep(session, msg, parsed.form_file)     # the Word document its reminders attach
    if msg.kind == "answer" and msg.case is not None:
        _record_answer(session, msg.case, msg, form, parsed, rules, changes)
    if msg.case_pk is None and not msg.linked_by_human:
        session.flush()
        link_message(session, msg, parsed, form, rules, due_months)
        if msg.case is not None:
            changes.append(Change(msg.message_id_header, "link", None, f"{msg.kind} ({msg.link_rule})"))
