"""Broken and hostile attachments for the form parser (tests/support/formbuilder.py): see BROKEN_KINDS."""
from __future__ import annotations

import functools
import io
import struct
import zlib
from xml.sax.saxutils import escape

from tests.support.formbuilder_package import _MAIN_TYPE, _content_types, _p, _run, document_xml, package
from tests.support.formbuilder_writer import SAMPLE_VALUES, _Writer, build_form

BROKEN_KINDS = ("truncated", "encrypted", "macro", "legacy_doc", "zip_bomb", "not_a_form", "xxe")


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _ole(stream_names: tuple[str, ...]) -> bytes:
    """A plausible compound file: OLE header, then a directory sector naming the streams (UTF-16LE)."""
    header = _OLE_MAGIC + b"\0" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00\x06\x00" + b"\0" * 10
    header = header.ljust(512, b"\xff")
    entries = b""
    for name in ("Root Entry", *stream_names):
        encoded = name.encode("utf-16-le") + b"\0\0"
        entries += (encoded.ljust(64, b"\0") + len(encoded).to_bytes(2, "little")).ljust(128, b"\0")
    return header + entries.ljust(512 * 4, b"\0") + b"\x42" * 2048


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data)


def _zeros_deflated(megabytes: int) -> tuple[bytes, int, int]:
    """`megabytes` MB of zeros as raw deflate, cheaply: after a full flush the compressor starts afresh,
    so every 1 MB chunk compresses to the same bytes; only the CRC is computed over all of it."""
    chunk = b"\0" * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = compressor.compress(chunk) + compressor.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    return first * (megabytes - 1) + last, crc, megabytes << 20


def _raw_zip(members: list[tuple[str, tuple[bytes, int, int]]]) -> bytes:
    """A zip written by hand from raw deflate streams (zipfile cannot take precompressed data)."""
    out, directory = io.BytesIO(), io.BytesIO()
    for name, (data, crc, size) in members:
        encoded, offset = name.encode(), out.tell()
        fields = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0, crc, len(data), size)
        out.write(b"PK\x03\x04" + fields + struct.pack("<HH", len(encoded), 0) + encoded + data)
        directory.write(b"PK\x01\x02" + struct.pack("<H", 20) + fields
                        + struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start, listing = out.tell(), directory.getvalue()
    out.write(listing + b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(members), len(members),
                                                     len(listing), start, 0))
    return out.getvalue()


def _zip_bomb() -> bytes:
    """A docx whose media member inflates to 200 MB of zeros (about 200 kB compressed)."""
    return _raw_zip([
        ("[Content_Types].xml", _deflated(_content_types(_MAIN_TYPE).encode())),
        ("word/document.xml", _deflated(document_xml(_p(_run("Hej"))))),
        ("word/media/image1.png", _zeros_deflated(200)),
    ])


_XXE_PROLOG = '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


def _xxe() -> bytes:
    text = _Writer(SAMPLE_VALUES, "controls", "fulldate", True, {}).body()
    body = text.replace(escape("Uteblivet deltagande vid SIP-möte"), "Uteblivet &xxe; deltagande", 1)
    body = body.replace(escape("Eva Exempel"), "&xxe;", 1)
    return package(document_xml(body, prolog=_XXE_PROLOG))


@functools.lru_cache(maxsize=None)
def build_broken(kind: str) -> bytes:
    """A broken or hostile attachment: see BROKEN_KINDS."""
    if kind == "truncated":
        whole = build_form(SAMPLE_VALUES)
        return whole[: len(whole) // 2]
    if kind == "encrypted":
        return _ole(("EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"))
    if kind == "legacy_doc":
        return _ole(("WordDocument", "1Table", "\x05SummaryInformation"))
    if kind == "macro":
        return package(document_xml(_Writer(SAMPLE_VALUES, "controls", "fulldate", True, {}).body()), macro=True)
    if kind == "zip_bomb":
        return _zip_bomb()
    if kind == "not_a_form":
        body = "".join(_p(_run(text)) for text in (
            "Mötesanteckningar", "Närvarande: Eva, Olle", "Enhet: Skolan", "Nästa möte: 15 mars 2021"))
        return package(document_xml(body))
    if kind == "xxe":
        return _xxe()
    raise ValueError(f"unknown kind {kind!r}; known: {BROKEN_KINDS}")


@functools.lru_cache(maxsize=4)
def build_inflated(xml_mb: int) -> bytes:
    """The filled-in form followed by `xml_mb` MB of short paragraphs: a word/document.xml that deflates
    about 130:1, under the ratio and total-size guards (a small attachment that is huge when read)."""
    head = _Writer(SAMPLE_VALUES, "controls", "fulldate", True, {}).body()
    para = _p(_run("Rad {n} i bilagan."))
    count = (xml_mb << 20) // len(para.format(n=100000))
    filler = "".join(para.format(n=n // 11) for n in range(count))
    return package(document_xml(head + filler))
