"""Addresses read from the raw header, as sent: RFC 2047 words are decoded in display names only, afterwards.

Decoding first (as before) let a display name such as `=?utf-8?b?…?=` that decodes to `Chef <x>, evil@x.test`
or `Chef\r\nBcc: evil@x.test` add addresses nobody could see in the header, and reminders went to them.  Now an
address is kept only when it stands as an addr-spec in the header as sent: found there literally, shaped as a
plain `local@domain` (no quoted local part, no domain literal, no encoded word), at most MAX_ADDRESS_CHARS long.
At most MAX_ADDRESSES of a header are read (the first ones), so a To: with 50,000 addresses costs little.
"""
from __future__ import annotations

import re
from email.message import Message
from email.utils import getaddresses
from functools import lru_cache
from typing import NamedTuple

from parsers.headers import decoded
from parsers.types import Address

# How many addresses of one header (To, Cc, From, Sender) are read; the rest are left out (problem
# mail_header_capped).  A BUS mail has a handful; reminders have their own, lower cap on recipients.
MAX_ADDRESSES = 100
# An e-mail address is at most 254 characters (RFC 5321's path limit); a longer one is left out, as the store
# could not hold it as a sender on PostgreSQL either.
MAX_ADDRESS_CHARS = 254
_CACHED_CHARS = 2_000            # only short header values are remembered (they come back in message after message)
_NON_ASCII = "\u00a0-\ud7ff\ue000-\ufffc"   # letters of internationalised addresses; no surrogate, no U+FFFD
_ATEXT = rf"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~{_NON_ASCII}-]"
_LABEL = rf"[A-Za-z0-9{_NON_ASCII}](?:[A-Za-z0-9{_NON_ASCII}-]*[A-Za-z0-9{_NON_ASCII}])?"
_ADDR_SPEC = rf"{_ATEXT}+(?:\.{_ATEXT}+)*@{_LABEL}(?:\.{_LABEL})*"
# Candidates for "stands in the header": runs without blanks or the characters that delimit an address.
_STANDING = re.compile(r"[^\s<>,;:\"()\[\]\\]+")
# One token of an address list: a quoted string, a comment, an angle address (each possibly unterminated), a run
# of other text, or a comma between items.  Every alternative is linear, and together they cover every character.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|\((?:[^()\\]|\\.)*\)?|<[^<>]*>?|[^",(<]+|,', re.DOTALL)
_MORE = re.compile(r"[^\s,]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@lru_cache(maxsize=1)
def _addr_spec() -> re.Pattern[str]:
    """Compiled on first use: its large character classes take ~30 ms to compile, which a command that reads
    no mail (e.g. `rules check`) should not pay at start-up."""
    return re.compile(_ADDR_SPEC)


class AddressField(NamedTuple):
    addresses: tuple[Address, ...]
    overlong: bool         # an address longer than MAX_ADDRESS_CHARS was left out
    capped: bool           # the header held more than MAX_ADDRESSES items: the rest were not read


def read_addresses(raw: str) -> AddressField:
    """The addresses of one raw header value (as the message holds it, RFC 2047 words undecoded)."""
    return _cached(raw) if len(raw) <= _CACHED_CHARS else _read(raw)


@lru_cache(maxsize=4096)
def _cached(raw: str) -> AddressField:
    return _read(raw)


def _read(raw: str) -> AddressField:
    text = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")   # 8-bit bytes as sent: UTF-8
    head, capped = _first_items(text, MAX_ADDRESSES)
    try:
        pairs = getaddresses([head])
    except (ValueError, TypeError, IndexError):
        pairs = []
    standing = {m.lower() for m in _STANDING.findall(head) if "@" in m}
    out: dict[str, Address] = {}
    overlong = False
    for name, addr in pairs:
        email = addr.strip().lower()
        if "@" not in email or email in out:
            continue
        if len(email) > MAX_ADDRESS_CHARS:
            overlong = True
        elif email in standing and _addr_spec().fullmatch(email):
            out[email] = Address(display_name(name), email)
    return AddressField(tuple(out.values())[:MAX_ADDRESSES], overlong, capped)


def _first_items(text: str, limit: int) -> tuple[str, bool]:
    """`text` up to its `limit`-th top-level comma (commas in quotes, comments and <…> do not count), and
    whether a further item follows; the cost is that of the part read."""
    commas = 0
    for token in _TOKEN.finditer(text):
        if token.group() == ",":
            commas += 1
            if commas >= limit:
                return text[:token.start()], _MORE.search(text, token.end()) is not None
    return text, False


def display_name(name: str) -> str:
    """A display name with its RFC 2047 words decoded (after the address was read), as one line of text."""
    text = decoded(name) if "=?" in name else name
    return " ".join(_CONTROL.sub(" ", text).split())


def addresses(msg: Message, *names: str) -> tuple[Address, ...]:
    """The addresses of these headers (the first of each name), distinct, in order."""
    out: dict[str, Address] = {}
    for name in names:
        for address in _field(msg, name).addresses:
            out.setdefault(address.email, address)
    return tuple(out.values())


def address_problems(msg: Message, *names: str) -> tuple[bool, list[str]]:
    """(an overlong address was left out; the names of the headers whose addresses were capped)."""
    fields = [(name, _field(msg, name)) for name in names]
    return any(f.overlong for _, f in fields), [name for name, f in fields if f.capped]


def _field(msg: Message, name: str) -> AddressField:
    """The first `name` header's addresses, read from its value as sent (`Message.get` would turn 8-bit bytes
    into U+FFFD; the raw value keeps them, and they are read as UTF-8)."""
    wanted = name.lower()
    raw = next((value for key, value in msg.raw_items() if key.lower() == wanted), None)
    return read_addresses(str(raw)) if raw is not None else AddressField((), False, False)
