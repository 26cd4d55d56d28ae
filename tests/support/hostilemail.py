"""Hostile mail built by hand: inputs that once cost time growing with the square of their size, addresses hidden
in encoded display names, and multipart trees nested far too deep.  Used by the tests and by bench/fuzz.py."""
from __future__ import annotations

import base64

from tests.support.mailbuilder import DOCX_TYPE, SECRETARIAT

_HEAD = ("From: rapportor@bup.sll.se\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\n"
         "Message-ID: <{mid}@hostile.example.se>\r\nMIME-Version: 1.0\r\n")


def _mail(mid: str, headers: str = "", *, subject: str = "BUS-avvikelse", to: str = "",
          content_type: str = "text/plain; charset=utf-8", body: str = "Hej, se bifogad blankett.\r\n") -> bytes:
    to = to or f"chef@socialtjanst.stockholm.se, {SECRETARIAT[0]}"
    return (_HEAD.format(mid=mid) + f"To: {to}\r\nSubject: {subject}\r\n{headers}"
            f"Content-Type: {content_type}\r\n\r\n{body}").encode()


def _fill(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


def html_style_flood(size: int) -> bytes:
    """An HTML part of `size` bytes repeating `<style` with no `>` (the old tag regex rescanned to the end)."""
    return _mail(f"style-{size}", content_type="text/html; charset=utf-8",
                 body="<html><body><p>Hej</p>" + _fill("<style", size) + "\r\n")


def html_tag_flood(size: int) -> bytes:
    """An HTML part of `size` bytes repeating `<a` with no `>`."""
    return _mail(f"atag-{size}", content_type="text/html; charset=utf-8",
                 body="<html><body><p>Hej</p>" + _fill("<a", size) + "\r\n")


def reply_prefix_subject(size: int) -> bytes:
    """A Subject of `size` bytes of `Re: ` prefixes before the real subject, on one line."""
    return _mail(f"prefix-{size}", subject=_fill("Re: ", size) + "BUS-avvikelse vid hamtning")


def _folded(items: list[str], sep: str) -> str:
    """items joined by sep, folded into lines of about 76 characters as a mail program would."""
    lines, line = [], ""
    for item in items:
        if line and len(line) + len(sep) + len(item) > 76:
            lines.append(line + sep.rstrip())
            line = item
        else:
            line = f"{line}{sep}{item}" if line else item
    return "\r\n ".join([*lines, line])


def many_references(count: int) -> bytes:
    """References holding `count` distinct ids (In-Reply-To the last of them)."""
    ids = [f"<ref{n}.thread@example.se>" for n in range(count)]
    return _mail(f"refs-{count}", f"In-Reply-To: {ids[-1]}\r\nReferences: {_folded(ids, ' ')}\r\n",
                 subject="SV: BUS-avvikelse")


def many_recipients(count: int) -> bytes:
    """To: holding `count` distinct addresses."""
    return _mail(f"rcpt-{count}", to=_folded([f"Mottagare {n} <mottagare{n}@kommun.example.se>"
                                               for n in range(count)], ", "))


def encoded_words(count: int) -> bytes:
    """A Subject of `count` RFC 2047 encoded words (the stdlib decoder's cost grows with their square)."""
    words = _folded([f"=?utf-8?q?=C3=A5{n}?=" for n in range(count)], " ")
    return _mail(f"words-{count}", subject=words)


def encoded_name(name: str, encoding: str = "b") -> str:
    """`name` as one RFC 2047 encoded word (B or Q), the way a crafted display name hides text."""
    raw = name.encode()
    if encoding == "b":
        return f"=?utf-8?b?{base64.b64encode(raw).decode()}?="
    return "=?utf-8?q?" + "".join(chr(b) if chr(b).isalnum() else f"={b:02X}" for b in raw) + "?="


def recipients_mail(to: str, mid: str = "inject") -> bytes:
    """A deviation mail whose To: header is `to`, exactly as written."""
    return _mail(mid, to=to)


def nested_multipart(depth: int, attachment: bytes | None = None) -> bytes:
    """A message whose multipart/mixed parts nest `depth` deep, with a text part and (optionally) a Word form
    at the deepest level."""
    inner = "Content-Type: text/plain; charset=utf-8\r\n\r\nDjupt inne.\r\n"
    if attachment is not None:
        data = base64.encodebytes(attachment).decode().replace("\n", "\r\n")
        inner = ("Content-Type: multipart/mixed; boundary=\"leaf\"\r\n\r\n--leaf\r\n" + inner + "--leaf\r\n"
                 f"Content-Type: {DOCX_TYPE}\r\nContent-Transfer-Encoding: base64\r\n"
                 "Content-Disposition: attachment; filename=\"Avvikelseblankett.docx\"\r\n\r\n"
                 f"{data}--leaf--\r\n")
    head, tail = [], []
    for level in range(depth):
        head.append(f"Content-Type: multipart/mixed; boundary=\"n{level}\"\r\n\r\n--n{level}\r\n")
        tail.append(f"--n{level}--\r\n")
    body = "".join(head) + inner + "".join(reversed(tail))
    head_block, _, rest = body.partition("\r\n\r\n")
    return _mail(f"nested-{depth}", content_type=head_block.removeprefix("Content-Type: "), body=rest)
