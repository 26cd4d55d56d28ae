"""A bounce (a delivery report) of one of our own mails: which addresses failed, why, and which of our
messages came back.

Read from an RFC 3464 report (multipart/report with a message/delivery-status part: each recipient's
Final-Recipient, Action, Status and Diagnostic-Code; the returned message's Message-ID from its
message/rfc822 or text/rfc822-headers part), and, as a fallback, from an Exchange NDR body in Swedish or
English ("Delivery has failed to these recipients…", "Det gick inte att leverera till följande mottagare…").
The reason is kept short, on one line and with personnummer redacted.  Pure functions, no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from itertools import islice

from parsers.headers import header_text, normalise_id
from parsers.safetext import shown_line

MAX_REASON = 200
_MAX_PARTS = 64
_MAX_BODY = 65536
_RETURNED = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_STATUS = re.compile(r"\b([45]\.\d{1,3}\.\d{1,3})\b")
_MSGID = re.compile(r"^Message-ID:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)
# Exchange NDR bodies (Swedish / English): the words that say delivery failed
_NDR_WORDS = re.compile(r"(delivery has failed|could(?:n't| not) be delivered|wasn't delivered|undeliverable|"
                        r"gick inte att leverera|kunde inte levereras|levererades inte|inte levererat)",
                        re.IGNORECASE)


@dataclass(frozen=True)
class Failed:
    email: str          # lower-case
    status: str         # "5.1.1", "" when unknown
    reason: str         # short, one line, redacted


@dataclass(frozen=True)
class Bounce:
    original_id: str | None       # the returned message's Message-ID, normalised (no brackets, lower-case)
    failed: tuple[Failed, ...]


def short(text: str) -> str:
    line = shown_line(text)
    return line if len(line) <= MAX_REASON else line[:MAX_REASON - 1] + "…"


def _fields(block: str) -> dict[str, str]:
    """One per-recipient block of a delivery-status part as {lower-case field: value} (folded lines joined)."""
    parsed = HeaderParser().parsestr(block.strip() + "\n\n")
    return {k.lower(): " ".join(str(v).split()) for k, v in parsed.items()}


def _address(value: str) -> str:
    """"rfc822; chef@bup.sll.se" → chef@bup.sll.se."""
    found = _ADDRESS.search(value.rpartition(";")[2] if ";" in value else value)
    return found.group(0).lower().strip(".") if found else ""


def _payload_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload[:_MAX_BODY].decode(part.get_content_charset() or "utf-8", "replace")
    inner = part.get_payload()
    if isinstance(inner, list):     # message/delivery-status parsed by the stdlib as a list of header blocks
        return "\n\n".join(m.as_string() if isinstance(m, Message) else str(m) for m in inner)[:_MAX_BODY]
    return str(inner or "")[:_MAX_BODY]


def _from_status(text: str) -> list[Failed]:
    out: list[Failed] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        f = _fields(block)
        email = _address(f.get("final-recipient") or f.get("original-recipient") or "")
        action = f.get("action", "failed").lower()
        if not email or action not in ("failed", ""):
            continue
        status = (_STATUS.search(f.get("status", "")) or _STATUS.search(f.get("diagnostic-code", "")))
        code = status.group(1) if status else ""
        diagnostic = f.get("diagnostic-code", "")
        reason = diagnostic.partition(";")[2].strip() if ";" in diagnostic else diagnostic
        out.append(Failed(email, code, short(reason or (f"status {code}" if code else "kunde inte levereras"))))
    return out


def _original_id(part: Message) -> str | None:
    kind = part.get_content_type()
    if kind == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            value = header_text(inner[0], "Message-ID")
            return normalise_id(value) if value else None
        return None
    found = _MSGID.search(_payload_text(part))
    return normalise_id(found.group(1)) if found else None


def _from_ndr_body(text: str) -> list[Failed]:
    """An Exchange NDR's human text: the addresses named after the words saying delivery failed."""
    hit = _NDR_WORDS.search(text)
    if hit is None:
        return []
    tail = text[hit.start():hit.start() + 4000]
    code = _STATUS.search(tail)
    status = code.group(1) if code else ""
    reason_line = next((ln for ln in tail.splitlines() if status and status in ln), "") or hit.group(0)
    seen = dict.fromkeys(a.lower().strip(".") for a in _ADDRESS.findall(tail))
    return [Failed(a, status, short(reason_line)) for a in seen]


def read_bounce(msg: Message) -> Bounce | None:
    """The bounce in `msg`, or None when it is not a delivery report of failed recipients."""
    try:
        parts = list(islice(msg.walk(), _MAX_PARTS))
        failed: list[Failed] = []
        original: str | None = None
        body = ""
        for part in parts:
            kind = part.get_content_type()
            if kind == "message/delivery-status":
                failed.extend(_from_status(_payload_text(part)))
            elif kind in _RETURNED and original is None:
                original = _original_id(part)
            elif kind == "text/plain" and not body:
                body = _payload_text(part)
        if not failed and body:
            failed = _from_ndr_body(body)
        if original is None:
            refs = f"{header_text(msg, 'In-Reply-To')} {header_text(msg, 'References')}".split()
            original = normalise_id(refs[0]) if refs else None
        if not failed:
            return None
        return Bounce(original, tuple({f.email: f for f in failed}.values()))
    except (LookupError, ValueError, TypeError, AttributeError, RecursionError):
        return None
