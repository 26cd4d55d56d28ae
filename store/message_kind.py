"""Which side of a case a message comes from, and so its kind.  Pure functions."""
from __future__ import annotations

from typing import Any

from store.models import MessageKind


def kind_for(*, auto_reply: bool, sender: str | None, reporters: list[Any], receivers: list[Any],
             secretariat: tuple[str, ...], has_response_form: bool) -> MessageKind:
    """answer (receiving side, human) | follow_up (reporting side) | auto_reply (never an answer)."""
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
