"""Raw mail bytes → ParsedEmail.  Pure: no I/O, never raises on bad input (problems are recorded)."""
from __future__ import annotations

from datetime import datetime, timezone
from email.message import Message
from email.utils import parsedate_to_datetime

from config.rules import Rules
from parsers.addresses import MAX_ADDRESS_CHARS, MAX_ADDRESSES, address_problems, addresses
from parsers.bounce import read_bounce
from parsers.dates import mail_date_year, plausible_year
from parsers.headers import (
    IDS_KEPT_FIRST,
    IDS_KEPT_LAST,
    MAX_ID_CHARS,
    MAX_TEXT_CHARS,
    conversation_guid,
    header_text,
    is_auto_reply,
    message_date,
    message_ids,
    normalise_subject,
    own_message_id,
    read_ids,
    text_capped,
)
from parsers.mimefront import load_tree, walk_parts
from parsers.ownmail import is_own_mail
from parsers.types import ParsedEmail, Problem


def _header_problems(msg: Message, synthetic_id: bool, ids_left_out: int) -> list[Problem]:
    """A Message-ID missing or too long to keep, an address too long to keep, headers read only in part."""
    problems = []
    if synthetic_id and message_ids(header_text(msg, "Message-ID")):
        problems.append(Problem("mail_bad_message_id",
                                f"Message-ID longer than {MAX_ID_CHARS} characters; a synthetic id was given"))
    elif synthetic_id:
        problems.append(Problem("mail_no_message_id", "no Message-ID; a synthetic id was given"))
    overlong, capped = address_problems(msg, "From", "Sender", "To", "Cc")
    if overlong:
        problems.append(Problem("mail_bad_address", f"an address over {MAX_ADDRESS_CHARS} characters was left out"))
    if capped:
        problems.append(Problem("mail_header_capped", f"{', '.join(capped)}: only the first {MAX_ADDRESSES} "
                                                      "addresses were read"))
    if ids_left_out:
        problems.append(Problem("mail_header_capped", f"References/In-Reply-To: {ids_left_out} ids between the "
                                                      f"first {IDS_KEPT_FIRST} and last {IDS_KEPT_LAST} left out"))
    capped_text = [name for name in ("Subject", "Thread-Topic") if text_capped(msg, name)]
    if capped_text:
        problems.append(Problem("mail_header_capped", f"{', '.join(capped_text)}: only the first "
                                                      f"{MAX_TEXT_CHARS} characters were read"))
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
    msg, problems = load_tree(raw)
    norm_id, shown_id, synthetic = own_message_id(msg, raw)
    in_reply_to, skipped_replies = read_ids(header_text(msg, "In-Reply-To"))
    references, skipped_refs = read_ids(header_text(msg, "References"))
    problems.extend(_header_problems(msg, synthetic, max(skipped_replies, skipped_refs)))
    subject = header_text(msg, "Subject", MAX_TEXT_CHARS)
    body, attachments, walk_problems = walk_parts(msg)
    problems.extend(walk_problems)
    senders = addresses(msg, "From") or addresses(msg, "Sender")
    when = _date(msg, problems)
    return ParsedEmail(
        message_id=norm_id,
        message_id_header=shown_id,
        synthetic_id=synthetic,
        in_reply_to=in_reply_to,
        references=references,
        thread_index_guid=conversation_guid(header_text(msg, "Thread-Index")),
        thread_topic=header_text(msg, "Thread-Topic", MAX_TEXT_CHARS) or None,
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
        own=(own := is_own_mail(msg, rules)),
        bounce=read_bounce(msg) if own else None,
    )
