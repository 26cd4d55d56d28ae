"""Raw mail bytes → ParsedEmail.  Pure: no I/O, never raises on bad input (problems are recorded)."""
from __future__ import annotations

from datetime import datetime, timezone
from email.message import Message
from email.utils import parsedate_to_datetime

from config.rules import Rules
from parsers import fastmime
from parsers.autoreply import is_auto_reply
from parsers.dates import mail_date_year, plausible_year
from parsers.headers import (
    MAX_ADDRESS_CHARS,
    MAX_ID_CHARS,
    addresses,
    header_text,
    message_date,
    message_ids,
    overlong_addresses,
    own_message_id,
)
from parsers.mime import walk_parts
from parsers.subject import normalise_subject
from parsers.threadindex import conversation_guid
from parsers.types import ParsedEmail, Problem


def _load(raw: bytes) -> Message:
    """The stdlib's compat32 tree (fastmime builds the same tree faster for clean mail)."""
    return fastmime.load(raw)


def _header_problems(msg: Message, synthetic_id: bool) -> list[Problem]:
    """A Message-ID missing or too long to keep, an address too long to keep."""
    problems = []
    if synthetic_id and message_ids(header_text(msg, "Message-ID")):
        problems.append(Problem("mail_bad_message_id",
                                f"Message-ID longer than {MAX_ID_CHARS} characters; a synthetic id was given"))
    elif synthetic_id:
        problems.append(Problem("mail_no_message_id", "no Message-ID; a synthetic id was given"))
    if overlong_addresses(msg, "From", "Sender", "To", "Cc"):
        problems.append(Problem("mail_bad_address", f"an address over {MAX_ADDRESS_CHARS} characters was left out"))
    return problems


def _date(msg: Message, problems: list[Problem]) -> datetime | None:
    """The Date header.  One before 1990 or after next year is unknown: the arrival time stands in for it,
    the time our server wrote into the topmost Received header, else (None) the time it was stored."""
    value = message_date(msg)
    if value is None:
        return None
    year = mail_date_year(header_text(msg, "Date"), value)
    if plausible_year(year):
        return value
    problems.append(Problem("date_implausible", f"Date: year {year}; the arrival time is used"))
    return _arrival(msg)


def _arrival(msg: Message) -> datetime | None:
    """When the topmost Received header says the mail arrived (RFC 5322: the date after its last ';')."""
    received = str(msg.get("Received") or "")[-300:]
    if ";" not in received:
        return None
    stamp = received.rsplit(";", 1)[1].strip()
    try:
        value = parsedate_to_datetime(stamp)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if value.tzinfo is None or not plausible_year(mail_date_year(stamp, value)):
        return None
    return value.astimezone(timezone.utc)


def parse_email(raw: bytes, rules: Rules) -> ParsedEmail:
    msg = _load(raw)
    norm_id, shown_id, synthetic = own_message_id(msg, raw)
    problems = _header_problems(msg, synthetic)
    if msg.defects:
        kinds = sorted({type(d).__name__ for d in msg.defects})
        problems.append(Problem("mail_malformed", ", ".join(kinds)[:200]))
    subject = header_text(msg, "Subject")
    try:
        body, attachments, walk_problems = walk_parts(msg)
    except (RecursionError, ValueError, TypeError, LookupError, AssertionError) as exc:
        body, attachments, walk_problems = "", (), (Problem("mail_unparseable", type(exc).__name__),)
    problems.extend(walk_problems)
    senders = addresses(msg, "From") or addresses(msg, "Sender")
    when = _date(msg, problems)
    return ParsedEmail(
        message_id=norm_id,
        message_id_header=shown_id,
        synthetic_id=synthetic,
        in_reply_to=message_ids(header_text(msg, "In-Reply-To")),
        references=message_ids(header_text(msg, "References")),
        thread_index_guid=conversation_guid(header_text(msg, "Thread-Index")),
        thread_topic=header_text(msg, "Thread-Topic") or None,
        subject=subject,
        normalised_subject=normalise_subject(subject, rules.subject_prefixes),
        sender=senders[0] if senders else None,
        to=addresses(msg, "To"),
        cc=addresses(msg, "Cc"),
        date=when,
        body_text=body,
        auto_reply=is_auto_reply(msg, subject, rules.autoreply_subject_patterns),
        attachments=attachments,
        problems=tuple(problems),
    )
