"""S/MIME parts: signed mail read through to its content, encrypted mail recognised (and kept unread).

`open_pkcs7(data)` takes the decoded body of an application/pkcs7-mime part (or an Outlook item's smime.p7m
attachment) and gives the signed content as a MIME tree, or the problem `mail_encrypted` for enveloped data.
Clear-signed mail (multipart/signed) needs nothing here: its first part is the content, walked as it is.
The CMS structures (RFC 5652) are read with a small BER reader; signatures are not verified.
"""
from __future__ import annotations

from email import message_from_bytes, policy
from email.message import Message
from typing import NamedTuple

from parsers.types import Problem

PKCS7_TYPES = ("application/pkcs7-mime", "application/x-pkcs7-mime")
_OID = 0x06
_SEQUENCE = 0x30
_OCTETS, _OCTETS_CONSTRUCTED = 0x04, 0x24
_EXPLICIT_0 = 0xA0
SIGNED_DATA = bytes.fromhex("2a864886f70d010702")              # 1.2.840.113549.1.7.2
ENVELOPED_DATA = bytes.fromhex("2a864886f70d010703")           # 1.2.840.113549.1.7.3
AUTH_ENVELOPED_DATA = bytes.fromhex("2a864886f70d0109100117")  # 1.2.840.113549.1.9.16.1.23
MAX_NESTING = 40
ENCRYPTED = Problem("mail_encrypted", "S/MIME-encrypted mail; its content cannot be read")


class _Tlv(NamedTuple):
    tag: int
    start: int          # first byte of the value
    end: int            # just past the value
    next: int           # just past the element (end-of-contents octets included)


def is_pkcs7_mime(ctype: str, filename: str) -> bool:
    return ctype in PKCS7_TYPES or filename.lower().endswith(".p7m")


def _tlv(data: bytes, pos: int, depth: int = 0) -> _Tlv:
    """One BER element at `pos`; ValueError when it runs past the data or nests too deep."""
    if depth > MAX_NESTING or pos + 2 > len(data):
        raise ValueError("truncated or too deeply nested")
    tag, pos = data[pos], pos + 1
    if tag & 0x1F == 0x1F:                       # a multi-byte tag number
        while pos < len(data) and data[pos] & 0x80:
            pos += 1
        pos += 1
    first, pos = data[pos], pos + 1
    if first == 0x80:                            # indefinite length: children up to 00 00
        child = pos
        while data[child:child + 2] != b"\0\0":
            child = _tlv(data, child, depth + 1).next
        return _Tlv(tag, pos, child, child + 2)
    length = first
    if first & 0x80:
        count = first & 0x7F
        if count > 8:
            raise ValueError("length too long")
        length, pos = int.from_bytes(data[pos:pos + count], "big"), pos + count
    if pos + length > len(data):
        raise ValueError("truncated")
    return _Tlv(tag, pos, pos + length, pos + length)


def _children(data: bytes, parent: _Tlv) -> list[_Tlv]:
    out, pos = [], parent.start
    while pos < parent.end:
        child = _tlv(data, pos)
        out.append(child)
        pos = child.next
    return out


def _octets(data: bytes, item: _Tlv, depth: int = 0) -> bytes:
    if item.tag == _OCTETS:
        return data[item.start:item.end]
    if item.tag != _OCTETS_CONSTRUCTED or depth > MAX_NESTING:
        raise ValueError("not an OCTET STRING")
    return b"".join(_octets(data, child, depth + 1) for child in _children(data, item))


def _content_info(data: bytes) -> tuple[bytes, _Tlv]:
    """(content type OID, the [0] content) of a CMS ContentInfo."""
    outer = _tlv(data, 0)
    parts = _children(data, outer) if outer.tag == _SEQUENCE else []
    if len(parts) < 2 or parts[0].tag != _OID or parts[1].tag != _EXPLICIT_0:
        raise ValueError("not a CMS ContentInfo")
    return data[parts[0].start:parts[0].end], parts[1]


def signed_content(data: bytes, content: _Tlv) -> bytes:
    """The encapsulated content of SignedData (version, digestAlgorithms, encapContentInfo, …)."""
    signed = _children(data, content)[0]
    encap = _children(data, signed)[2]
    parts = _children(data, encap)
    if len(parts) < 2 or parts[1].tag != _EXPLICIT_0:
        raise ValueError("detached signature: no content")
    return _octets(data, _children(data, parts[1])[0])


def open_pkcs7(data: bytes) -> tuple[Message | None, tuple[Problem, ...]]:
    """The signed content as a MIME tree, or why there is none (encrypted, unreadable)."""
    if not data.startswith(b"\x30"):             # an Outlook smime.p7m holding the MIME of a signed mail
        if b":" in data[:200]:
            return message_from_bytes(data, policy=policy.compat32), ()
        return None, (Problem("attachment_unreadable", "S/MIME part is neither CMS nor MIME"),)
    try:
        kind, content = _content_info(data)
        if kind in (ENVELOPED_DATA, AUTH_ENVELOPED_DATA):
            return None, (ENCRYPTED,)
        if kind != SIGNED_DATA:
            return None, (Problem("attachment_unreadable", "S/MIME part of an unknown kind"),)
        inner = signed_content(data, content)
    except (ValueError, IndexError):
        return None, (Problem("attachment_unreadable", "S/MIME part could not be read"),)
    return message_from_bytes(inner, policy=policy.compat32), ()
