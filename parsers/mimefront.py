"""The MIME front door: mail-parser (PyPI `mail-parser`) reads the parts of a message, behind the caps of
docs/RELIABILITY.md, into the project's own frozen types (parsers/types.py).

- Loading: the stdlib's compat32 tree, as `mailparser.MailParser.from_bytes` builds it, but only after the
  container count is checked (MAX_CONTAINER_PARTS): more, and only the headers are read (`too_complex`).
- Parts: `MailParser` is handed a view of the message whose walk yields only the parts we read (parsers/mime.py
  `partition`: no deeper than MAX_DEPTH, the message's own parts apart from those of forwarded messages). Its
  text/plain and text/html parts give the body, its attachments the files, its defects the problem
  `mail_malformed`.
- Headers: the view carries none. mail-parser reads every header whole (all addresses of To, every encoded
  word, every Received line); parsers/headers.py and parsers/addresses.py read them within their caps.
- Files mail-parser does not list (a Word file without a file name) are added from the tree; Word files inside
  winmail.dat, .msg and S/MIME are read here, the last two through this front door again.
"""
from __future__ import annotations

import binascii
import email
import email.parser
import logging
import re
from email import policy
from email.message import Message
from itertools import islice
from typing import Any

from mailparser import MailParser

from parsers import mime
from parsers.htmltext import html_to_text
from parsers.smime import is_pkcs7_mime, open_pkcs7
from parsers.types import Attachment, Problem

# A message with more multipart or message/* parts than this is not taken apart (its headers are read, problem
# too_complex): the stdlib parser's cost grows with the square of their nesting depth (~0.5 s at 500 levels; a
# multipart/digest nests two levels a part), and from ~600 it ends in RecursionError.  Real mail has a few.
MAX_CONTAINER_PARTS = 250
MAX_INNER_DEPTH = 3      # .msg and S/MIME inside .msg and S/MIME: read this many levels down
_CONTAINER = re.compile(rb"^content-type:[ \t]*(?:\r?\n[ \t]+)?\"?(?:multipart|message)/", re.IGNORECASE | re.MULTILINE)
_PART_ERRORS = (RecursionError, ValueError, TypeError, LookupError, AssertionError, AttributeError)
_NOT_PROBLEMS = {"CharsetDecodeDefect"}
Walked = tuple[str, tuple[Attachment, ...], tuple[Problem, ...]]


logging.getLogger("mailparser").setLevel(logging.ERROR)   # it warns of every part it leaves unread


class _TooComplex(Exception):
    """More multipart or message parts than MAX_CONTAINER_PARTS."""


def _load(raw: bytes) -> Message:
    if sum(1 for _ in islice(_CONTAINER.finditer(raw), MAX_CONTAINER_PARTS + 1)) > MAX_CONTAINER_PARTS:
        raise _TooComplex
    return email.message_from_bytes(raw, policy=policy.compat32)   # what MailParser.from_bytes does


def load_tree(raw: bytes) -> tuple[Message, list[Problem]]:
    """The message's tree; for one too complex to take apart, its headers only (problem too_complex)."""
    try:
        return _load(raw), []
    except (_TooComplex, RecursionError):
        too_complex = Problem("too_complex", f"more than {MAX_CONTAINER_PARTS} multipart or message parts, or "
                                             "nested too deep to read: only the headers were read")
        return email.parser.BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True), [too_complex]


def _view(msg: Message, parts: list[Message], own: bool) -> Message:
    """A header-less message whose walk yields `parts` (what MailParser reads of it: walk, epilogue, boundary).
    The message's own view keeps its epilogue: mail-parser reads parts from it when the start boundary is
    missing (StartBoundaryNotFoundDefect)."""
    view = Message()
    view["Content-Type"] = f'multipart/mixed; boundary="{msg.get_boundary() or "busavvik-view"}"'
    view.epilogue = msg.epilogue if own and isinstance(msg.epilogue, str) else ""
    view.walk = lambda: (part for part in parts)  # type: ignore[method-assign]
    return view


def _bytes(found: dict[str, Any]) -> bytes | None:
    """An attachment's file: mail-parser hands it over base64-encoded (binary) or as text."""
    payload = found.get("payload")
    if isinstance(payload, bytes):
        return payload
    if not isinstance(payload, str):
        return None
    if not found.get("binary"):
        return payload.encode("utf-8", "surrogateescape")
    try:
        return binascii.a2b_base64(payload.encode("ascii", "ignore"))
    except binascii.Error:
        return None


def _defects(parser: MailParser) -> list[Problem]:
    """mail-parser's defect categories as the problem `mail_malformed`: the stdlib's MIME defects and
    MimeHeaderDefect (Content-* headers not in UTF-8). Not CharsetDecodeDefect: a text read with replacement
    characters, or a binary part without a file name read as text, is nothing for the secretariat to mend."""
    kinds = sorted(set(parser.defects_categories) - _NOT_PROBLEMS)
    return [Problem("mail_malformed", ", ".join(kinds)[:200])] if kinds else []


def _text(parser: MailParser) -> str:
    """The body: the text/plain parts, else the text of the text/html parts."""
    plain = [t for t in parser.text_plain if isinstance(t, str)]
    if any(t.strip() for t in plain):
        body = "\n".join(plain)
    else:
        body = "\n".join(html_to_text(t) for t in parser.text_html if isinstance(t, str))
    return body.replace("\x00", "")   # a binary part sent as text: NUL is no text, and PostgreSQL refuses it


def _files(parser: MailParser, parts: list[Message]) -> list[tuple[str, str, bytes | None]]:
    """(file name, content type, bytes or None when undecodable) of the wanted files, mail-parser's first."""
    files = []
    for found in parser.attachments:
        name = str(found.get("filename") or "").strip()
        ctype = str(found.get("mail_content_type") or "").lower()
        if mime.is_wanted(ctype, name):
            files.append((name, ctype, _bytes(found)))
    for part, name in mime.unnamed_files(parts):
        data = part.get_payload(decode=True)
        files.append((name, part.get_content_type(), data if isinstance(data, bytes) else None))
    return files


def _inner(inner: Message | None, problems: tuple[Problem, ...] | list[Problem], forwarded: bool,
           depth: int) -> Walked:
    """What a mail inside a file (.msg, S/MIME) holds; its files count as forwarded when it is forwarded."""
    if inner is None:
        return "", (), tuple(problems)
    text, found, inner_problems = walk_parts(inner, depth + 1)
    return text, tuple(Attachment(a.filename, a.content_type, a.data, a.forwarded or forwarded) for a in found), \
        (*problems, *inner_problems)


def _file(name: str, ctype: str, data: bytes | None, forwarded: bool, depth: int) -> Walked:
    """One wanted file: a Word file as it is, the Word files inside a wrapper, an S/MIME mail's content."""
    if mime.is_outlook_item(ctype, name) and depth < MAX_INNER_DEPTH:
        item = mime.open_outlook_item(data or b"")
        unreadable = [] if item else [Problem("attachment_unreadable",
                                              "an attached Outlook item (.msg) could not be read")]
        _, found, problems = _inner(item, unreadable, True, depth)
        return "", found, problems
    if is_pkcs7_mime(ctype, name) and depth < MAX_INNER_DEPTH:
        inner, problems = open_pkcs7(data or b"")
        text, found, inner_problems = _inner(inner, problems, forwarded, depth)
        return ("" if forwarded else text), found, inner_problems
    if mime.is_tnef(ctype, name):
        tnef_found, tnef_problems = mime.tnef_attachments(data or b"", forwarded)
        return "", tuple(tnef_found), tuple(tnef_problems)
    if not mime.is_word(ctype, name):
        return "", (), ()
    if data is None:
        return "", (), (Problem("attachment_unreadable", f"cannot decode {name or 'attachment'}"),)
    return "", (Attachment(name, ctype, data, forwarded),), ()


def _read(parts: list[Message], msg: Message, forwarded: bool, depth: int) -> tuple[list[str], Walked]:
    """(texts of S/MIME content, (body, files, problems)) of one group of parts, read by mail-parser."""
    if not parts:
        return [], ("", (), ())
    parser = MailParser(_view(msg, parts, not forwarded))
    texts: list[str] = []
    attachments: list[Attachment] = []
    problems: list[Problem] = [] if forwarded else _defects(parser)
    for name, ctype, data in _files(parser, parts):
        text, found, file_problems = _file(name, ctype, data, forwarded, depth)
        texts.extend([text] if text else [])
        attachments.extend(found)
        problems.extend(file_problems)
    return texts, ("" if forwarded else _text(parser), tuple(attachments), tuple(problems))


def walk_parts(msg: Message, depth: int = 0) -> Walked:
    """(body text of the message itself, Word attachments, problems met while reading its parts)."""
    own, forwarded, too_deep = mime.partition(msg)
    problems: list[Problem] = []
    if too_deep:
        problems.append(Problem("too_complex", f"MIME parts nested deeper than {mime.MAX_DEPTH} levels were not read"))
    try:
        texts, (body, mine, own_problems) = _read(own, msg, False, depth)
        _, (_, theirs, their_problems) = _read(forwarded, msg, True, depth)
    except _PART_ERRORS as exc:
        return "", (), (*problems, Problem("mail_unparseable", type(exc).__name__))
    body = body if body.strip() else "\n".join(texts)
    return body.strip(), (*mine, *theirs), (*problems, *own_problems, *their_problems)
