"""What is stored for a message whose parse ran out of its budget (pipeline/budget.py): its Message-ID, sender and
subject from a bounded look at the header (never the parsers that ran out), the problem, no form. The raw bytes
are kept as always, so `busavvik reparse` may try again.  Pure: no process, no signal, no /proc.
"""
from __future__ import annotations

import email.header
import email.utils
import hashlib
import re
from typing import Any

from parsers.types import Address, FormData, ParsedEmail, Problem

Parsed = tuple[ParsedEmail, FormData | None, tuple[Problem, ...]]
Outcome = tuple[str, Any]        # ("ok", Parsed) | ("parse_timeout" | "too_complex", detail) | ("error", exc)
HEAD_BYTES = 65_536              # how much of a message over budget is looked at for its header
_FIELD = re.compile(rb"^(message-id|from|subject)[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.I | re.M)
_ID = re.compile(r"<([^<>\s]{1,500})>")

__all__ = ["HEAD_BYTES", "Outcome", "Parsed", "over_budget"]


def _text(value: bytes, limit: int) -> str:
    text = " ".join(value[:limit * 4].decode("utf-8", "replace").split())[:limit]
    try:
        return str(email.header.make_header(email.header.decode_header(text)))[:limit]
    except Exception:  # noqa: BLE001 - shown as it stands
        return text


def _header(raw: bytes) -> dict[str, bytes]:
    head = raw[:HEAD_BYTES]
    end = re.search(rb"\r?\n\r?\n", head)
    found: dict[str, bytes] = {}
    for match in _FIELD.finditer(head[:end.start()] if end else head):
        found.setdefault(match.group(1).decode().lower(), match.group(2))
    return found


def over_budget(raw: bytes, code: str, detail: str) -> Parsed:
    """What is stored for a message whose parse ran out of budget: a bounded look at its header only."""
    fields = _header(raw)
    found = _ID.search(_text(fields.get("message-id", b""), 1000))
    if found:
        message_id, synthetic = found.group(1).lower(), False
    else:
        message_id, synthetic = f"{hashlib.sha256(raw).hexdigest()[:40]}@synthetic.busavvik.invalid", True
    name, addr = email.utils.parseaddr(_text(fields.get("from", b""), 500))
    sender = Address(name, addr.lower()) if "@" in addr and len(addr) <= 254 else None
    mail = ParsedEmail(
        message_id=message_id, message_id_header=f"<{found.group(1) if found else message_id}>",
        synthetic_id=synthetic, in_reply_to=(), references=(), thread_index_guid=None, thread_topic=None,
        subject=_text(fields.get("subject", b""), 300), normalised_subject="", sender=sender, to=(), cc=(),
        date=None, body_text="", auto_reply=False, attachments=(), problems=(Problem(code, detail),))
    return mail, None, ()
