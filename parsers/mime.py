"""Walking a MIME tree: body text and attachments, knowing which sit inside a forwarded message."""
from __future__ import annotations

from email.message import Message

from parsers.headers import decoded, header_text
from parsers.htmltext import html_to_text
from parsers.smime import is_pkcs7_mime, open_pkcs7
from parsers.types import Attachment, Problem

MAX_DEPTH = 30
_WORD_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "application/vnd.ms-word.document.macroenabled.12", "application/msword")
_WORD_EXT = (".docx", ".docm", ".doc", ".dotx", ".dotm")


def _children(part: Message) -> list[Message]:
    """The parts inside a multipart, or the message inside a message/* part (rfc822 and every other type)."""
    if part.get_content_maintype() != "message" and not part.is_multipart():
        return []
    payload = part.get_payload()
    return [child for child in payload if isinstance(child, Message)] if isinstance(payload, list) else []


def _walk(msg: Message) -> tuple[list[tuple[Message, bool]], bool]:
    """(every part with whether it sits inside a forwarded message, in document order; whether parts lie deeper
    than MAX_DEPTH and were left out).  Iterative: a deep tree costs no Python recursion."""
    found: list[tuple[Message, bool]] = []
    too_deep = False
    stack: list[tuple[Message, bool, int]] = [(msg, False, 0)]
    while stack:
        part, forwarded, depth = stack.pop()
        found.append((part, forwarded))
        children = _children(part)
        if children and depth >= MAX_DEPTH:
            too_deep = True
            continue
        inside = forwarded or part.get_content_maintype() == "message"
        stack.extend((child, inside, depth + 1) for child in reversed(children))
    return found, too_deep


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except (TypeError, ValueError, LookupError, AssertionError):
        name = ""
    if not name:
        name = header_text(part, "Content-Description")
    if "=?" not in name:   # no RFC 2047 word: decoding would give the very same text back
        return name.strip()
    return decoded(name).strip()


def _is_word(ctype: str, filename: str) -> bool:
    return ctype in _WORD_TYPES or filename.lower().endswith(_WORD_EXT)


def _decoded(part: Message) -> bytes | None:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, LookupError, AssertionError):
        return None
    return data if isinstance(data, bytes) else None


def _text_of(part: Message, ctype: str) -> str:
    data = _decoded(part) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        text = data.decode(charset, errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    if ctype == "text/html":
        text = html_to_text(text)
    return text.replace("\x00", "")   # a binary part sent as text: NUL is no text, and PostgreSQL refuses it


def _is_tnef(ctype: str, filename: str) -> bool:
    return ctype in ("application/ms-tnef", "application/vnd.ms-tnef") or \
        filename.lower() == "winmail.dat"


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


def _is_outlook_item(ctype: str, filename: str) -> bool:
    return ctype == "application/vnd.ms-outlook" or filename.lower().endswith(".msg")


def outlook_attachments(data: bytes, depth: int) -> tuple[list[Attachment], list[Problem]]:
    """Word files inside a mail forwarded as an Outlook item (.msg): they count as forwarded."""
    from email import message_from_bytes, policy

    from parsers.outlook import OutlookError, msg_to_rfc822
    try:
        inner = message_from_bytes(msg_to_rfc822(data), policy=policy.compat32)
    except OutlookError:
        return [], [Problem("attachment_unreadable", "an attached Outlook item (.msg) could not be read")]
    found = [a for a in walk_parts(inner, depth + 1)[1]]
    return [Attachment(a.filename, a.content_type, a.data, True) for a in found], []


def smime_parts(data: bytes, forwarded: bool,
                depth: int) -> tuple[str, list[Attachment], list[Problem]]:
    """The text and Word files of S/MIME signed content; encrypted content gives `mail_encrypted`."""
    inner, problems = open_pkcs7(data)
    if inner is None:
        return "", [], list(problems)
    text, found, inner_problems = walk_parts(inner, depth + 1)
    return text, [Attachment(a.filename, a.content_type, a.data, a.forwarded or forwarded) for a in found], \
        list(inner_problems)


def walk_parts(msg: Message, depth: int = 0) -> tuple[str, tuple[Attachment, ...], tuple[Problem, ...]]:
    """(body text of the message itself, Word attachments, problems met while decoding)."""
    plain: list[str] = []
    html_text: list[str] = []
    attachments: list[Attachment] = []
    problems: list[Problem] = []
    parts, too_deep = _walk(msg)
    if too_deep:
        problems.append(Problem("too_complex", f"MIME parts nested deeper than {MAX_DEPTH} levels were not read"))
    for part, forwarded in parts:
        if part.is_multipart():
            continue
        ctype = part.get_content_type()  # parsed once per part: the header is read on every call
        maintype = ctype.split("/")[0]
        if maintype == "message":
            continue
        filename = _filename(part)
        disposition = (part.get_content_disposition() or "").lower()
        if _is_outlook_item(ctype, filename) and depth < 3:
            found, item_problems = outlook_attachments(_decoded(part) or b"", depth)
            attachments.extend(found)
            problems.extend(item_problems)
        elif is_pkcs7_mime(ctype, filename) and depth < 3:
            text, found, smime_problems = smime_parts(_decoded(part) or b"", forwarded, depth)
            plain.extend([text] if text and not forwarded else [])
            attachments.extend(found)
            problems.extend(smime_problems)
        elif _is_tnef(ctype, filename):
            found, tnef_problems = tnef_attachments(_decoded(part) or b"", forwarded)
            attachments.extend(found)
            problems.extend(tnef_problems)
        elif _is_word(ctype, filename):
            data = _decoded(part)
            if data is None:
                problems.append(Problem("attachment_unreadable", f"cannot decode {filename or 'attachment'}"))
                continue
            attachments.append(Attachment(filename, ctype, data, forwarded))
        elif not forwarded and disposition != "attachment" and maintype == "text":
            (plain if ctype == "text/plain" else html_text).append(_text_of(part, ctype))
    body = "\n".join(plain) if any(p.strip() for p in plain) else "\n".join(html_text)
    return body.strip(), tuple(attachments), tuple(problems)
