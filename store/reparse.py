"""Re-running parsing, classification and linking over stored raw mail with the current rules.

Changes are applied to the session's objects and returned as a list (field, old → new); the caller
commits, or rolls back for a dry run.  Human corrections (case overrides, hand-made links) are kept.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.rules import Rules, load_rules
from parsers.classify import classify
from parsers.mailform import parse_mail_and_form
from parsers.types import FormData, ParsedEmail, Problem
from store.cases import apply_answer, classification_dict
from store.linking import _form_data, link_message
from store.models import Case, Message, RawBlob
from store.records import fingerprint, form_to_dict, text_fingerprint
from store.repo import message_flags, problem_dicts

Parsed = tuple[ParsedEmail, FormData | None, tuple[Problem, ...]]


@dataclass(frozen=True)
class Change:
    target: str        # case id or Message-ID
    field: str
    old: Any
    new: Any


_RULES: Rules | None = None


def _init(rules_path: str | None) -> None:
    global _RULES
    _RULES = load_rules(rules_path)


def _parse(raw: bytes) -> Parsed:
    assert _RULES is not None
    return parse_mail_and_form(raw, _RULES)


def parse_all(raws: list[bytes], rules_path: str | None, workers: int) -> Iterator[Parsed]:
    """Parse in worker processes (parsing is pure and CPU-bound); in-process for small jobs."""
    if workers <= 1 or len(raws) < 200:
        _init(rules_path)
        yield from map(_parse, raws)
        return
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(rules_path,)) as pool:
        yield from pool.map(_parse, raws, chunksize=64)


def _set(changes: list[Change], obj: Any, target: str, field: str, new: Any) -> None:
    old = getattr(obj, field)
    if old != new:
        changes.append(Change(target, field, old, new))
        setattr(obj, field, new)


def _update_message(msg: Message, parsed: ParsedEmail, form: FormData | None, problems: tuple[Problem, ...],
                    changes: list[Change]) -> dict[str, Any] | None:
    form_dict = form_to_dict(form) if form else None
    target = msg.message_id_header
    _set(changes, msg, target, "form", form_dict)
    _set(changes, msg, target, "problems", problem_dicts((*parsed.problems, *problems)))
    _set(changes, msg, target, "flags", message_flags(parsed, form_dict))
    _set(changes, msg, target, "auto_reply", parsed.auto_reply)
    _set(changes, msg, target, "normalised_subject", parsed.normalised_subject[:2000])
    return form_dict


def _update_case(case: Case, form_dict: dict[str, Any], parsed: ParsedEmail, rules: Rules,
                 changes: list[Change], msg_flags: list[str]) -> None:
    for key, new in form_dict.items():
        old = (case.form or {}).get(key)
        if old != new:
            changes.append(Change(case.case_id, key, old, new))
    case.form = form_dict
    case.fingerprint, case.text_fingerprint = fingerprint(form_dict), text_fingerprint(form_dict)
    new_class = classification_dict(classify(_form_data(form_dict), parsed.sender, (*parsed.to, *parsed.cc), rules))
    for key, new in new_class.items():
        if (case.classification or {}).get(key) != new:
            changes.append(Change(case.case_id, key, (case.classification or {}).get(key), new))
    case.classification = new_class
    flags = sorted(set(case.flags or []) | set(msg_flags))
    _set(changes, case, case.case_id, "flags", flags)


def _refresh_response(case: Case, msg: Message, form_dict: dict[str, Any] | None, parsed: ParsedEmail,
                      changes: list[Change]) -> None:
    """Re-read the response when this message is the one that gave it."""
    old = case.response
    if not old or old.get("message_id") != msg.message_id_header:
        return
    case.response = None
    apply_answer(case, msg, form_dict, parsed)
    if case.response != old:
        changes.append(Change(case.case_id, "response", old, case.response))


def _messages(session: Session, since: date | None) -> list[Message]:
    q = select(Message).order_by(Message.date.is_(None), Message.date, Message.id)
    if since is not None:
        start = datetime.combine(since, time(), tzinfo=timezone.utc)
        q = q.where(or_(Message.date >= start, Message.date.is_(None)))
    return list(session.scalars(q))


def reparse(session: Session, rules: Rules, *, since: date | None = None, due_months: int = 2,
            workers: int | None = None, progress: Callable[[int], None] | None = None) -> list[Change]:
    msgs = _messages(session, since)
    raws = [session.get(RawBlob, m.raw_sha256).data for m in msgs]  # type: ignore[union-attr]
    changes: list[Change] = []
    rules_path = None if rules.source == "defaults" else rules.source
    results = parse_all(raws, rules_path, workers if workers is not None else min(2, os.cpu_count() or 1))
    for msg, (parsed, form, problems) in zip(msgs, results):
        form_dict = _update_message(msg, parsed, form, problems, changes)
        sources = session.scalars(select(Case).where(Case.source_message_id == msg.id)).all()
        for case in sources:
            if form_dict:
                _update_case(case, form_dict, parsed, rules, changes, list(msg.flags or []))
        if msg.kind == "answer" and msg.case is not None:
            _refresh_response(msg.case, msg, form_dict, parsed, changes)
        if msg.case_pk is None and not msg.linked_by_human:
            session.flush()
            link_message(session, msg, parsed, form_dict, rules, due_months)
            if msg.case_pk is not None:
                changes.append(Change(msg.message_id_header, "link", None, f"{msg.kind} ({msg.link_rule})"))
        if progress:
            progress(1)
    return changes
