"""Is a message busavvik's own mail (a reminder, the weekly digest, a copy of one, or a bounce of one)?

Such mail is kept as kind `own`: never an answer, never "needs review".  Our mail is recognised by its
Message-ID (`reminder.…@` / `digest.…@` on our domain, or anything on the old `busavvik.invalid`), by the
`X-Busavvik` header notify/ writes, or by `Auto-Submitted: auto-generated` from one of our addresses; a
bounce (a delivery report) by the same marks on the message it returns.  Pure functions, no I/O.
"""
from __future__ import annotations

from email.message import Message
from email.parser import HeaderParser
from itertools import islice

from config.rules import Rules
from parsers.addresses import addresses
from parsers.headers import header_text

OWN_HEADER = "X-Busavvik"          # "reminder" | "digest", written by notify/
LEGACY_DOMAIN = "busavvik.invalid"  # the old default of secretariat.own_message_id_domain
_OUR_PREFIXES = ("reminder.", "digest.")
_MAX_PARTS = 64
_DAEMONS = frozenset({"postmaster", "mailer-daemon", "mailerdaemon"})
_REPORT_PARTS = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")


def own_id(value: str, rules: Rules) -> bool:
    """A Message-ID we wrote: on the legacy domain, or with our prefix on our Message-ID domain."""
    local, at, domain = value.strip().strip("<>").lower().rpartition("@")
    if not at:
        return False
    if domain == LEGACY_DOMAIN:
        return True
    return domain == rules.message_id_domain.lower() and (local.startswith(_OUR_PREFIXES)
                                                          or local.endswith(".digest"))


def _from_us(msg: Message, rules: Rules) -> bool:
    ours = {a.lower() for a in (*rules.own_addresses, *rules.secretariat_addresses)}
    return any(a.email in ours for a in addresses(msg, "From"))


def _marked(msg: Message, rules: Rules) -> bool:
    if own_id(header_text(msg, "Message-ID"), rules):
        return True
    if not _from_us(msg, rules):
        return False
    return bool(header_text(msg, OWN_HEADER)) or \
        header_text(msg, "Auto-Submitted").lower().startswith("auto-generated")


def _returned(part: Message) -> Message | None:
    """The returned message (or its headers) inside a delivery report part."""
    kind = part.get_content_type()
    if kind == "message/rfc822":
        inner = part.get_payload()
        return inner[0] if isinstance(inner, list) and inner and isinstance(inner[0], Message) else None
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return None
    return HeaderParser().parsestr(payload[:65536].decode("utf-8", "replace"))


def _bounce_of_ours(msg: Message, rules: Rules) -> bool:
    refs = f"{header_text(msg, 'In-Reply-To')} {header_text(msg, 'References')}".split()
    if any(own_id(r, rules) for r in refs):
        return True
    for part in islice(msg.walk(), _MAX_PARTS):
        if part.get_content_type() in _REPORT_PARTS:
            returned = _returned(part)
            if returned is not None and _marked(returned, rules):
                return True
    return False


def _from_mailer_daemon(msg: Message) -> bool:
    """An Exchange NDR sent as plain text: from the postmaster / mailer-daemon / Exchange's system mailbox
    (a person's reply to a reminder also refers to it, so the sender decides)."""
    return any(a.email.partition("@")[0] in _DAEMONS or a.email.startswith("microsoftexchange")
               for a in addresses(msg, "From"))


def is_own_mail(msg: Message, rules: Rules) -> bool:
    try:
        if _marked(msg, rules):
            return True
        is_report = msg.get_content_type() == "multipart/report" or (msg.is_multipart() and any(
            p.get_content_type() == "message/delivery-status" for p in islice(msg.walk(), _MAX_PARTS)))
        return (is_report or _from_mailer_daemon(msg)) and _bounce_of_ours(msg, rules)
    except (LookupError, ValueError, TypeError, AttributeError, RecursionError):
        return False
