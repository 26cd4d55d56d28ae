"""The MIME tree's shape and its special files: which parts are the message's own and which sit inside a
forwarded message (to MAX_DEPTH levels), which files are Word files, Outlook wrappers (winmail.dat, .msg) or
S/MIME.  Reading the parts themselves (bodies, attachments, defects) is mail-parser's, in parsers/mimefront.py.
"""
from __future__ import annotations

from email.message import Message

from parsers.headers import decoded, header_text
from parsers.smime import is_pkcs7_mime
from parsers.types import Attachment, Problem

MAX_DEPTH = 30
_WORD_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "application/vnd.ms-word.document.macroenabled.12", "application/msword")
_WORD_EXT = (".docx", ".docm", ".doc", ".dotx", ".dotm")
_TNEF_TYPES = ("application/ms-tnef", "application/vnd.ms-tnef")


def _children(part: Message) -> list[Message]:
    """The parts inside a multipart, or the message inside a message/* part (rfc822 and every other type)."""
    if part.get_content_maintype() != "message" and not part.is_multipart():
        return []
    payload = part.get_payload()
    return [child for child in payload if isinstance(child, Message)] if isinstance(payload, list) else []


def partition(msg: Message) -> tuple[list[Message], list[Message], bool]:
    """(the message's own parts, the parts inside forwarded messages, both in document order and without the
    message/* containers; whether parts lie deeper than MAX_DEPTH and were left out).  Iterative: a deep tree
    costs no Python recursion."""
    own: list[Message] = []
    forwarded: list[Message] = []
    too_deep = False
    stack: list[tuple[Message, bool, int]] = [(msg, False, 0)]
    while stack:
        part, inside, depth = stack.pop()
        is_message = part.get_content_maintype() == "message"
        if not is_message:
            (forwarded if inside else own).append(part)
        children = _children(part)
        if children and depth >= MAX_DEPTH:
            too_deep = True
            continue
        stack.extend((child, inside or is_message, depth + 1) for child in reversed(children))
    return own, forwarded, too_deep


def _filename(part: Message) -> str:
    """The part's file name, else its Content-Description (for the files mail-parser does not name)."""
    try:
        name = part.get_filename() or ""
    except (TypeError, ValueError, LookupError, AssertionError):
        name = ""
    if not name:
        name = header_text(part, "Content-Description")
    if "=?" not in name:   # no RFC 2047 word: decoding would give the very same text back
        return name.strip()
    return decoded(name).strip()


def is_word(ctype: str, filename: str) -> bool:
    return ctype in _WORD_TYPES or filename.lower().endswith(_WORD_EXT)


def is_tnef(ctype: str, filename: str) -> bool:
    return ctype in _TNEF_TYPES or filename.lower() == "winmail.dat"


def is_outlook_item(ctype: str, filename: str) -> bool:
    return ctype == "application/vnd.ms-outlook" or filename.lower().endswith(".msg")


def is_wanted(ctype: str, filename: str) -> bool:
    """A file the parsers read: a Word file, or a wrapper that may hold one or the mail's content."""
    return is_word(ctype, filename) or is_tnef(ctype, filename) or is_outlook_item(ctype, filename) or \
        is_pkcs7_mime(ctype, filename)


def unnamed_files(parts: list[Message]) -> list[tuple[Message, str]]:
    """Leaf parts wanted by their Content-Type or Content-Description that mail-parser does not list as
    attachments (it lists parts with a file name, a Content-ID, RTF, or `Content-Disposition: attachment`)."""
    found = []
    for part in parts:
        if part.is_multipart() or part.get_content_subtype() == "rtf" or part.get("content-id") or \
                (part.get_content_disposition() or "").lower() == "attachment":
            continue
        try:
            if part.get_filename():
                continue
        except (TypeError, ValueError, LookupError, AssertionError):
            pass
        name = _filename(part)
        if is_wanted(part.get_content_type(), name):
            found.append((part, name))
    return found


def tnef_attachments(data: bytes, forwarded: bool) -> tuple[list[Attachment], list[Problem]]:
    """Word files inside an Outlook winmail.dat (TNEF) wrapper."""
    from tnefparse import TNEF
    try:
        tnef = TNEF(data, do_checksum=False)
        found = []
        for att in tnef.attachments:
            name = (att.long_filename() or att.name or "").strip("\x00 ")
            if name.lower().endswith(_WORD_EXT):
                found.append(Attachment(name, "application/octet-stream", bytes(att.data), forwarded))
        return found, []
    except Exception:  # noqa: BLE001 - tnefparse raises many kinds on bad input
        return [], [Problem("attachment_unreadable", "winmail.dat (TNEF) could not be read")]


def open_outlook_item(data: bytes) -> Message | None:
    """The mail inside an Outlook item (.msg) as a MIME tree; None when it cannot be read."""
    from email import message_from_bytes, policy

    from parsers.outlook import OutlookError, msg_to_rfc822
    try:
        return message_from_bytes(msg_to_rfc822(data), policy=policy.compat32)
    except OutlookError:
        return None
