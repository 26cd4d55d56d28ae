"""A fast loader for clean MIME mail that builds the same `email.message.Message` tree as the stdlib.

`email.message_from_bytes(raw, policy=compat32)` reads a message line by line in Python, which for base64
attachments is most of the time spent parsing a mail.  `load` splits multipart bodies on their boundary
lines with `str.find` (C speed) and reads only the header blocks line by line, following the stdlib feed
parser's rules exactly.  Whenever the input leaves the clean and simple path (anything that would make the
feed parser record a defect or take a rarely used branch), `load` gives up and the stdlib parses the whole
message, so malformed mail gets exactly the stdlib's tree, defects and exceptions.

Feed parser rules mirrored here (Python 3.11 `email.feedparser`):
- lines end at CRLF, CR or LF; a lone CR matters only in a header block or at a boundary line, and there
  the stdlib decides, so elsewhere lines end after LF only;
- a header block is the lines matching `headerRE`; one blank line after it is dropped;
- a boundary line is `--boundary`, optionally `--`, optional blanks, end of line; a boundary line of an
  enclosing multipart ends every part inside it, so each multipart body is cut into parts first;
- the line break before a boundary line belongs to the boundary: it is cut from the preamble, from the last
  leaf payload of the part before, or from that part's epilogue (an empty epilogue becomes None);
- everything after the closing boundary line is the epilogue;
- a message/* part (except message/delivery-status) holds one parsed message as a one-element list.
"""
from __future__ import annotations

import email
import re
from email import policy
from email.message import Message

MAX_DEPTH = 12
# email.feedparser.headerRE: a header, a continuation line, or an envelope ("From ") line.
_HEADER = re.compile(r"^(From |[\041-\071\073-\176]*:|[\t ])")
# After "--boundary": the rest of a boundary line (email.feedparser's boundaryre without the separator).
_BOUNDARY_TAIL = re.compile(r"(--)?[ \t]*(\r\n|\n|\r|\Z)")
# Boundaries we trust: printable ASCII, not ending in a blank (get_boundary strips trailing blanks anyway).
_SAFE_BOUNDARY = re.compile(r"[\x20-\x7e]{0,200}[\x21-\x7e]")
_PLAIN_ENCODINGS = ("7bit", "8bit", "binary")
_STDLIB_ONLY_TYPES = ("message/delivery-status", "multipart/digest")


class _Unsure(Exception):
    """The input leaves the simple path: the stdlib parser must decide."""


def stdlib_load(raw: bytes) -> Message:
    """The reference: the stdlib parser with the compat32 policy."""
    return email.message_from_bytes(raw, policy=policy.compat32)


def load(raw: bytes) -> Message:
    """The same tree as `stdlib_load(raw)`, built faster when the message is clean."""
    tree = fast_load(raw)
    return stdlib_load(raw) if tree is None else tree


def fast_load(raw: bytes) -> Message | None:
    """The tree of a clean message, or None where the stdlib parser must decide."""
    text = raw.decode("ascii", "surrogateescape")  # exactly what BytesParser.parsebytes does
    try:
        return _message(text, 0, len(text), 0, trim=False)
    except _Unsure:
        return None
    except Exception:  # noqa: BLE001 - odd headers can make Message methods raise: let the stdlib decide
        return None


def _message(text: str, start: int, end: int, depth: int, trim: bool) -> Message:
    """The message in text[start:end] (its end is the end of input or an enclosing boundary line).

    trim: the message is a part of a multipart, so the line break before the next boundary line is cut from
    its last text (the feed parser's `_last`): its payload, its epilogue, or that of the message it holds.
    """
    if depth > MAX_DEPTH:
        raise _Unsure
    msg = Message(policy=policy.compat32)
    body = _headers(msg, text, start, end)
    if msg.get_content_type() in _STDLIB_ONLY_TYPES:
        raise _Unsure  # header blocks without bodies / a different default type for the parts
    maintype = msg.get_content_maintype()
    if maintype == "message":
        msg.attach(_message(text, body, end, depth + 1, trim))
    elif maintype == "multipart":
        _multipart(msg, text, body, end, depth, trim)
    else:
        msg.set_payload(text[body:_cut_eol(text, body, end) if trim else end])
    return msg


def _headers(msg: Message, text: str, start: int, end: int) -> int:
    """Read the header block at text[start:end] into msg; the offset where the body starts."""
    lines: list[str] = []
    pos = start
    while pos < end:
        stop = text.find("\n", pos, end) + 1 or end
        line = text[pos:stop]
        cr = line.find("\r")
        if cr >= 0 and (cr != len(line) - 2 or line[-1] != "\n"):
            raise _Unsure  # a lone CR: the stdlib sees more lines here
        if not _HEADER.match(line):
            if line not in ("\n", "\r\n"):
                raise _Unsure  # MissingHeaderBodySeparatorDefect
            pos = stop  # the blank line between headers and body is dropped
            break
        lines.append(line)
        pos = stop
    _set_headers(msg, lines)
    return pos


def _set_headers(msg: Message, lines: list[str]) -> None:
    """FeedParser._parse_headers for well-formed lines."""
    value: list[str] = []
    for line in lines:
        if line[0] in " \t":
            if not value:
                raise _Unsure  # FirstHeaderLineIsContinuationDefect
            value.append(line)
            continue
        if value:
            msg.set_raw(*policy.compat32.header_source_parse(value))
        if line.startswith("From ") or line.find(":") <= 0:
            raise _Unsure  # an envelope line (unix-from or misplaced), or a header without a name
        value = [line]
    if value:
        msg.set_raw(*policy.compat32.header_source_parse(value))


def _multipart(msg: Message, text: str, start: int, end: int, depth: int, trim: bool) -> None:
    """The parts, preamble and epilogue of a multipart whose body is text[start:end]."""
    boundary = msg.get_boundary()
    if boundary is None or not _SAFE_BOUNDARY.fullmatch(boundary):
        raise _Unsure  # NoBoundaryInMultipartDefect, or a boundary we would rather not reason about
    if str(msg.get("content-transfer-encoding", "8bit")).lower() not in _PLAIN_ENCODINGS:
        raise _Unsure  # InvalidMultipartContentTransferEncodingDefect
    marks = _boundary_lines(text, start, end, "--" + boundary)
    if len(marks) < 2 or marks[0][2] or not marks[-1][2]:
        raise _Unsure  # StartBoundaryNotFoundDefect / CloseBoundaryNotFoundDefect
    first = marks[0][0]
    if first > start:
        msg.preamble = text[start:_cut_eol(text, start, first)]
    for (_, part_start, _), (part_end, _, _) in zip(marks, marks[1:]):
        if part_start == part_end:
            raise _Unsure  # adjacent boundary lines: the feed parser skips them
        msg.attach(_message(text, part_start, part_end, depth + 1, trim=True))
    after = marks[-1][1]
    if not trim:
        msg.epilogue = text[after:end]
    elif after < end:  # an empty epilogue before a boundary becomes None
        msg.epilogue = text[after:_cut_eol(text, after, end)]


def _boundary_lines(text: str, start: int, end: int, separator: str) -> list[tuple[int, int, bool]]:
    """(line start, line end, closing?) of each boundary line in text[start:end], up to the first closing one."""
    marks: list[tuple[int, int, bool]] = []
    pos = start
    while (found := text.find(separator, pos, end)) >= 0:
        pos = found + 1
        if found > start and text[found - 1] != "\n":
            if text[found - 1] == "\r":
                raise _Unsure  # a line start after a lone CR
            continue  # not at the start of a line
        tail = _BOUNDARY_TAIL.match(text, found + len(separator), end)
        if tail is None:
            continue
        if tail.group(2) == "\r":
            raise _Unsure  # a boundary line ending in a lone CR
        closing = tail.group(1) is not None
        marks.append((found, tail.end(), closing))
        if closing:
            break
        pos = tail.end()
    return marks


def _cut_eol(text: str, start: int, end: int) -> int:
    """end, less one final line break of text[start:end] (which ends after LF, or at the end of input)."""
    if end - start >= 2 and text.startswith("\r\n", end - 2):
        return end - 2
    return end - 1 if end > start and text[end - 1] == "\n" else end
