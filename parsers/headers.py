"""Header decoding that never raises: broken encodings and odd Message-IDs become text or nothing."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache

from parsers.types import Address

_ID = re.compile(r"<([^<>\s]+)>")
# Real Message-IDs are far shorter; a longer one cannot be a key in the store (a PostgreSQL btree entry holds
# ~2.7 kB, and bytes that are not ASCII take up to three characters each), so it is replaced, as a missing one.
MAX_ID_CHARS = 500
# An e-mail address is at most 254 characters (RFC 5321's path limit); a longer one is left out, as the store
# could not hold it as a sender on PostgreSQL either.
MAX_ADDRESS_CHARS = 254
_SPACE = re.compile(r"\s+")


def header_text(msg: Message, name: str) -> str:
    """A header's decoded text ('' when absent or undecodable); RFC 2047 words decoded, whitespace folded."""
    raw = msg.get(name)
    if raw is None:
        return ""
    raw = str(raw)
    text = raw if raw.isascii() and "=?" not in raw else decoded(raw)   # nothing to decode: as decoded() gives it
    return _SPACE.sub(" ", text).strip().replace("\x00", "")   # NUL: no text, and PostgreSQL refuses it


def decoded(raw: str) -> str:
    """RFC 2047 words decoded; the value as it is when they cannot be."""
    try:
        return str(make_header(decode_header(raw)))
    except (UnicodeError, LookupError, ValueError, TypeError, AssertionError, MessageError):  # CharsetError
        return raw


def normalise_id(value: str) -> str:
    """Message-ID without angle brackets, lower-cased (Exchange ids keep their '=' and '@' as they are)."""
    return value.strip().strip("<>").strip().lower()


def message_ids(value: str) -> tuple[str, ...]:
    """All ids in an In-Reply-To/References value, in order, normalised."""
    found = _ID.findall(value or "")
    if not found:
        found = [tok for tok in (value or "").split() if "@" in tok]
    out: list[str] = []
    for item in found:
        norm = normalise_id(item)
        if norm and norm not in out:
            out.append(norm)
    return tuple(out)


def own_message_id(msg: Message, raw: bytes) -> tuple[str, str, bool]:
    """(normalised id, header form with brackets, synthetic?) — a stable synthetic id from the bytes."""
    ids = message_ids(header_text(msg, "Message-ID"))
    if ids and len(ids[0]) <= MAX_ID_CHARS:
        original = _ID.search(header_text(msg, "Message-ID"))
        shown = f"<{original.group(1)}>" if original else f"<{ids[0]}>"
        return ids[0], shown, False
    digest = hashlib.sha256(raw).hexdigest()[:40]
    synthetic = f"{digest}@synthetic.busavvik.invalid"
    return synthetic, f"<{synthetic}>", True


def addresses(msg: Message, *names: str) -> tuple[Address, ...]:
    pairs = _address_pairs(tuple(v for v in (header_text(msg, n) for n in names) if v))
    out: list[Address] = []
    for name, email in pairs:
        email = email.strip().lower()
        if "@" in email and len(email) <= MAX_ADDRESS_CHARS and all(a.email != email for a in out):
            out.append(Address(name.strip(), email))
    return tuple(out)


def overlong_addresses(msg: Message, *names: str) -> bool:
    """Whether these headers hold an address that `addresses` leaves out for its length."""
    values = (header_text(msg, n) for n in names)   # one header a key: the ones `addresses` parsed already
    return any("@" in email and len(email.strip()) > MAX_ADDRESS_CHARS      # short headers hold no long address
               for value in values if len(value) > MAX_ADDRESS_CHARS for _, email in _address_pairs((value,)))


@lru_cache(maxsize=4096)
def _address_pairs(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """getaddresses, remembered: the same To and Cc lines come back in message after message."""
    try:
        return tuple(getaddresses(list(values)))
    except (ValueError, TypeError, IndexError):
        return ()


def message_date(msg: Message) -> datetime | None:
    text = header_text(msg, "Date")
    if not text:
        return None
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None
