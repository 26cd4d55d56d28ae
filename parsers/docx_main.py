"""Which zip member of a .docx is the main document part.

Word writes `word/document.xml`; Word Online and other tools may name it otherwise (`word/document2.xml`).
The package relationship of type officeDocument in `_rels/.rels` names it, else the main part's override in
`[Content_Types].xml`.  Pure: reads the two small parts through the caller's capped reader.

`parse_part` is the one XML parser of a .docx's parts (here and parsers/form.py): lxml configured as python-docx's
oxml parser is (blank text dropped, entities not resolved), plus no network and libxml2's tree limits (no
huge_tree), without python-docx's element classes: the walk (parsers/form_walk.py) reads only what lxml's
elements have, and importing python-docx cost ~30 ms at every start of `busavvik rules check`.
"""
from __future__ import annotations

import posixpath
from collections.abc import Callable

from lxml import etree

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
