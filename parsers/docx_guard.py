"""Opening a .docx safely, the one place for it: checks made before any XML is parsed (container type, size
limits, macros), which zip member is the main document part, and the one XML parser of a .docx's parts.

Only the zip central directory's declared sizes are consulted; nothing is decompressed to find out
how large it is, and the bytes read of the main document part are capped.  Pure: bytes in, record out.

The main document part: Word writes `word/document.xml`; Word Online and other tools may name it otherwise
(`word/document2.xml`).  The package relationship of type officeDocument in `_rels/.rels` names it, else the
main part's override in `[Content_Types].xml`; the two small parts are read through the caller's capped reader.

`parse_part` is the one XML parser of a .docx's parts (here and in parsers/form.py): lxml configured as
python-docx's oxml parser is (blank text dropped, entities not resolved), plus no network and libxml2's tree limits (no
huge_tree), without python-docx's element classes: the walk (parsers/form_walk.py) reads only what lxml's
elements have, and importing python-docx cost ~30 ms at every start of `busavvik rules check`.
(Once parsers/docx_main.py as well.)
"""
from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from config.rules import FormRules
from parsers.types import Problem

OLE_MAGIC = b"\xd0\xcf\x11\xe0"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
DOCUMENT_PART = "word/document.xml"
CONTENT_TYPES_PART = "[Content_Types].xml"
MAX_CONTENT_TYPES_BYTES = 1_000_000
# Members smaller than this are not judged by their compression ratio: a few kB of repetitive XML
# compresses far better than 200:1 and is harmless.
RATIO_FLOOR_BYTES = 1_000_000


# ---- the main document part and the XML parser -----------------------------------------------------------------------
DEFAULT_MAIN = "word/document.xml"
RELS_PART = "_rels/.rels"
TYPES_PART = "[content_types].xml"
_OFFICE_DOCUMENT = "/officeDocument"
_MAIN_TYPES = ("wordprocessingml.document.main+xml", "wordprocessingml.template.main+xml",
               "macroenabled.main+xml", "macroenabledtemplate.main+xml")
_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True, huge_tree=False)


def parse_part(xml: bytes) -> etree._Element:
    """A part's root element; raises etree.XMLSyntaxError (or ValueError) when it is not well-formed XML."""
    return etree.fromstring(xml, _PARSER)


def _elements(xml: bytes | None) -> list[etree._Element]:
    if not xml:
        return []
    try:
        return list(parse_part(xml))
    except (etree.XMLSyntaxError, ValueError):
        return []


def _member(target: str) -> str:
    return posixpath.normpath(target.strip().lstrip("/")).lower()


def main_part(names: set[str], read: Callable[[str], bytes | None]) -> str:
    """The lower-cased member name of the main document part (`names` are the zip's, lower case)."""
    if DEFAULT_MAIN in names:
        return DEFAULT_MAIN
    for rel in _elements(read(RELS_PART) if RELS_PART in names else None):
        if str(rel.get("Type", "")).endswith(_OFFICE_DOCUMENT) and rel.get("TargetMode") != "External":
            member = _member(str(rel.get("Target", "")))
            if member in names:
                return member
    for item in _elements(read(TYPES_PART) if TYPES_PART in names else None):
        if str(item.get("ContentType", "")).lower().endswith(_MAIN_TYPES):
            member = _member(str(item.get("PartName", "")))
            if member in names:
                return member
    return DEFAULT_MAIN


# ---- the checks ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenedDocx:
    """The main document part's bytes (None when it cannot be read) and the problems met on the way."""
    document_xml: bytes | None
    problems: tuple[Problem, ...] = ()


def _not_a_zip(data: bytes) -> OpenedDocx:
    if data.startswith(OLE_MAGIC):
        if ENCRYPTED_PACKAGE in data:
            return OpenedDocx(None, (Problem("attachment_encrypted", "password-protected Word file"),))
        return OpenedDocx(None, (Problem("attachment_legacy_doc", "old Word format (.doc), not .docx"),))
    return OpenedDocx(None, (Problem("attachment_unreadable", "not a zip container (truncated or corrupt)"),))


def size_problem(infos: list[zipfile.ZipInfo], rules: FormRules) -> Problem | None:
    """attachment_too_large when the central directory declares too many or too large members."""
    if len(infos) > rules.max_zip_members:
        return Problem("attachment_too_large", f"{len(infos)} zip members (limit {rules.max_zip_members})")
    total = sum(info.file_size for info in infos)
    if total > rules.max_uncompressed_bytes:
        return Problem("attachment_too_large",
                       f"{total} bytes uncompressed (limit {rules.max_uncompressed_bytes})")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_FLOOR_BYTES and ratio > rules.max_compression_ratio:
            return Problem("attachment_too_large",
                           f"member compressed {ratio:.0f}:1 (limit {rules.max_compression_ratio}:1)")
    return None


def _read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes | None:
    """At most `cap` bytes of a member; None when it holds more."""
    with zf.open(info) as stream:
        data = stream.read(cap + 1)
    return None if len(data) > cap else data


def is_macro_enabled(zf: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo], filename: str) -> bool:
    if filename.lower().endswith((".docm", ".dotm")):
        return True
    if any(name.endswith("vbaproject.bin") for name in names):
        return True
    info = names.get(CONTENT_TYPES_PART.lower())
    if info is None:
        return False
    types = _read_capped(zf, info, MAX_CONTENT_TYPES_BYTES)
    return types is None or b"macroenabled" in types.lower()


def _open_zip(data: bytes, rules: FormRules, filename: str) -> OpenedDocx:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return _not_a_zip(data)
    with zf:
        infos = zf.infolist()
        too_large = size_problem(infos, rules)
        if too_large is not None:
            return OpenedDocx(None, (too_large,))
        names = {info.filename.lower(): info for info in infos}
        problems: list[Problem] = []
        if is_macro_enabled(zf, names, filename):
            problems.append(Problem("attachment_macro_enabled", "macro-enabled Word file; macros not run"))
        info = names.get(main_part(set(names), lambda name: _read_capped(zf, names[name], MAX_CONTENT_TYPES_BYTES)))
        if info is None:
            problems.append(Problem("attachment_unreadable", f"no {DOCUMENT_PART} in the zip"))
            return OpenedDocx(None, tuple(problems))
        if info.file_size > rules.max_document_bytes:   # declared: nothing is decompressed to learn it
            problems.append(_document_too_large(info.file_size, rules))
            return OpenedDocx(None, tuple(problems))
        xml = _read_capped(zf, info, min(info.file_size, rules.max_document_bytes))
        if xml is None:
            problems.append(Problem("attachment_too_large", f"{DOCUMENT_PART} larger than declared"))
        return OpenedDocx(xml, tuple(problems))


def _document_too_large(size: int, rules: FormRules) -> Problem:
    return Problem("attachment_too_large", f"{DOCUMENT_PART} is {size} bytes uncompressed "
                                           f"(limit {rules.max_document_bytes}); not read")


def open_docx(data: bytes, rules: FormRules, filename: str = "") -> OpenedDocx:
    """The bytes of word/document.xml after the container checks; never raises."""
    if not data.startswith(b"PK"):
        return _not_a_zip(data)
    try:
        return _open_zip(data, rules, filename)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError, KeyError, IndexError, OverflowError) as exc:
        return OpenedDocx(None, (Problem("attachment_unreadable", f"corrupt zip: {type(exc).__name__}"),))
