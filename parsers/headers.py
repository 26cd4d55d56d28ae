"""Header decoding that never raises: broken encodings and odd Message-IDs become text or nothing; and the small
facts read from headers: Outlook's conversation GUID (Thread-Index), whether a mail is automatic, the normalised
subject (once parsers/threadindex.py, autoreply.py and subject.py)."""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import datetime, timezone
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import Message
from email.utils import parsedate_to_datetime
from functools import lru_cache

_ID = re.compile(r"<([^<>\s]+)>")
# Real Message-IDs are far shorter; a longer one cannot be a key in the store (a PostgreSQL btree entry holds
# ~2.7 kB, and bytes that are not ASCII take up to three characters each), so it is replaced, as a missing one.
MAX_ID_CHARS = 500
# Of References and In-Reply-To, the first IDS_KEPT_FIRST and the last IDS_KEPT_LAST distinct ids are read: the
# first is the thread's root, the last are the nearest parents; the middle of a very long list adds nothing.
IDS_KEPT_FIRST = 10
IDS_KEPT_LAST = 90
# RFC 2047 words are decoded in the first MAX_DECODED_CHARS characters of a header only (≈ 600 encoded words;
# the stdlib decoder's cost grows with the square of their number); the rest is kept as sent.
MAX_DECODED_CHARS = 10_000
# Of a Subject or Thread-Topic, the first MAX_TEXT_CHARS characters (as sent) are read: real ones are far shorter.
MAX_TEXT_CHARS = 10_000


def header_text(msg: Message, name: str, limit: int | None = None) -> str:
    """A header's decoded text ('' when absent or undecodable); RFC 2047 words decoded, whitespace folded;
    only the first `limit` characters of the value as sent, when given."""
    raw = msg.get(name)
    if raw is None:
        return ""
    raw = str(raw)[:limit]
    text = raw if raw.isascii() and "=?" not in raw else decoded(raw)   # nothing to decode: as decoded() gives it
    return " ".join(text.split()).replace("\x00", "")   # NUL: no text, and PostgreSQL refuses it


def text_capped(msg: Message, name: str) -> bool:
    """Whether `header_text(msg, name, MAX_TEXT_CHARS)` leaves part of this header unread."""
    return len(str(msg.get(name, ""))) > MAX_TEXT_CHARS


def decoded(raw: str) -> str:
    """RFC 2047 words decoded (within the first MAX_DECODED_CHARS characters); the value as it is when they
    cannot be."""
    head, tail = _decodable(raw)
    try:
        return str(make_header(decode_header(head))) + tail
    except (UnicodeError, LookupError, ValueError, TypeError, AssertionError, MessageError):  # CharsetError
        return raw


def _decodable(raw: str) -> tuple[str, str]:
    """(the part of a value whose RFC 2047 words are decoded, the rest), cut between two words if it can be."""
    if len(raw) <= MAX_DECODED_CHARS:
        return raw, ""
    cut = raw.rfind(" ", 0, MAX_DECODED_CHARS)
    cut = cut if cut > 0 else MAX_DECODED_CHARS
    return raw[:cut], raw[cut:]


def normalise_id(value: str) -> str:
    """Message-ID without angle brackets, lower-cased (Exchange ids keep their '=' and '@' as they are)."""
    return value.strip().strip("<>").strip().lower()


def read_ids(value: str) -> tuple[tuple[str, ...], int]:
    """(the ids of an In-Reply-To/References value, in order, normalised, distinct: the first IDS_KEPT_FIRST and
    the last IDS_KEPT_LAST; how many in between were left out)."""
    found = _ID.findall((value or "").lower())    # normalised as found: lower-case, no brackets, no blanks
    if not found:
        found = [norm for tok in (value or "").split() if "@" in tok and (norm := normalise_id(tok))]
    distinct = list(dict.fromkeys(found))
    if len(distinct) <= IDS_KEPT_FIRST + IDS_KEPT_LAST:
        return tuple(distinct), 0
    left_out = len(distinct) - IDS_KEPT_FIRST - IDS_KEPT_LAST
    return (*distinct[:IDS_KEPT_FIRST], *distinct[-IDS_KEPT_LAST:]), left_out


def message_ids(value: str) -> tuple[str, ...]:
    """The ids in an In-Reply-To/References value (see `read_ids`)."""
    return read_ids(value)[0]


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


# ---- facts read from headers -----------------------------------------------------------------------------------------
def conversation_guid(header: str | None) -> str | None:
    """Outlook's Thread-Index header: the conversation GUID is bytes 6–22 of the decoded value."""
    if not header:
        return None
    text = "".join(header.split())
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=False)
    except (binascii.Error, ValueError):
        return None
    if len(raw) < 22:
        return None
    return raw[6:22].hex()


def is_auto_reply(msg: Message, subject: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    """Is a message automatic (out-of-office, bounce, bulk)?  Such a message is never an answer."""
    auto_submitted = header_text(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if msg.get("X-Autoreply") is not None or msg.get("X-Autorespond") is not None:
        return True
    if header_text(msg, "X-Auto-Response-Suppress") and auto_submitted:
        return True
    if header_text(msg, "Precedence").lower() in ("auto_reply", "bulk", "junk"):
        return True
    if msg.get_content_type() == "multipart/report":
        return True
    return any(p.search(subject or "") for p in patterns)


# Matched at a position (Pattern.match(text, pos)), never by cutting the text: prefix after prefix is read in
# one pass, so a Subject of a million `Re: ` costs a million small steps, not a million copies of the rest.
_TAG = re.compile(r"\s*[\[(][^\])]{0,40}[\])]\s*")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=32)
def _prefix_re(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    # "Re:", "RE :", "Re[2]:", "SV:", "Automatiskt svar:" ...
    return re.compile(rf"\s*(?:{alternatives})\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*", re.IGNORECASE)


def normalise_subject(subject: str, prefixes: tuple[str, ...]) -> str:
    """Lower-cased subject without prefixes (Re/SV/VB/Fwd/…) and tags like [Extern], whitespace collapsed."""
    text = _SPACE.sub(" ", subject or "").strip()
    prefix = _prefix_re(prefixes)
    pos = 0
    while True:
        start = pos
        for pattern in (prefix, _TAG):     # a prefix, then a tag: as each round of the old sub() did
            found = pattern.match(text, pos)
            if found:
                pos = found.end()
        if pos == start:
            break
    return text[pos:].strip().casefold()
