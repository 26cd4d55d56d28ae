"""Flattening word/document.xml into lines of text in document order, remembering content controls.

Paragraphs, table cells (row by row, cell by cell) and content controls (`w:sdt`, inline in a paragraph or
block-level around paragraphs, rows or cells) become `Line`s; each line keeps which parts of its text came
from which control.  Deleted text, field codes and drawings are left out.  Entities are never expanded
(the XML is parsed with python-docx's parser, which has resolve_entities=False); an unexpanded entity
reference contributes no text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
P, R, T, TAB, PTAB, BR, CR = W + "p", W + "r", W + "t", W + "tab", W + "ptab", W + "br", W + "cr"
SDT_PR, SDT_CONTENT, TC = W + "sdtPr", W + "sdtContent", W + "tc"
TAG, ALIAS, SHOWING_PLACEHOLDER, DATE, VAL, FULL_DATE = (
    W + "tag", W + "alias", W + "showingPlcHdr", W + "date", W + "val", W + "fullDate")
NO_BREAK_HYPHEN, SOFT_HYPHEN = W + "noBreakHyphen", W + "softHyphen"
# Text under these is left out: deleted or moved-away text, text boxes and their duplicated fallbacks.
_LEFT_OUT = frozenset({W + "del", W + "moveFrom", W + "txbxContent", W + "sdtPr", MC_FALLBACK})


@dataclass(eq=False, slots=True)
class Control:
    """A content control.  Compared by identity: two controls with equal properties are still two.
    Not to be modified once made."""
    tag: str
    alias: str
    placeholder: bool          # w:showingPlcHdr
    full_date: str             # w:date/@w:fullDate, "" when absent
    block: bool


class Segment(NamedTuple):
    text: str
    control: Control | None


class Line(NamedTuple):
    segments: tuple[Segment, ...]
    text: str
    cell: int                  # 0 outside tables, else a running number per table cell
    block: Control | None      # innermost block-level control around the paragraph


def control_of(sdt: Any, block: bool) -> Control:
    tag = alias = full_date = ""
    placeholder = False
    for props in sdt.iterchildren(SDT_PR):
        for child in props.iterchildren(TAG, ALIAS, SHOWING_PLACEHOLDER, DATE):
            name = child.tag
            if name == TAG:
                tag = str(child.get(VAL) or "")
            elif name == ALIAS:
                alias = str(child.get(VAL) or "")
            elif name == DATE:
                full_date = str(child.get(FULL_DATE) or "")
            else:
                placeholder = str(child.get(VAL, "true")).lower() not in ("0", "false", "off")
    return Control(tag, alias, placeholder, full_date, block)


def _text_of(t: Any) -> str:
    """A w:t's own text; an entity reference inside it (never expanded) contributes nothing."""
    if len(t) == 0:
        return t.text or ""
    return "".join([t.text or "", *(child.tail or "" for child in t)])


def merge_segments(segments: list[Segment]) -> list[Segment]:
    """Adjacent pieces of the same control (or of typed text) joined."""
    merged: list[Segment] = []
    for segment in segments:
        if merged and merged[-1].control is segment.control:
            merged[-1] = Segment(merged[-1].text + segment.text, segment.control)
        else:
            merged.append(segment)
    return merged


def split_typed_breaks(segments: list[Segment]) -> list[list[Segment]]:
    """A line break typed outside any control starts a new line; inside a control it stays."""
    lines: list[list[Segment]] = [[]]
    for segment in segments:
        if segment.control is not None or "\n" not in segment.text:
            lines[-1].append(segment)
            continue
        first, *rest = segment.text.split("\n")
        if first:
            lines[-1].append(Segment(first, None))
        for piece in rest:
            lines.append([Segment(piece, None)] if piece else [])
    return lines


@dataclass
class _Walker:
    """Controls and table cells met while walking, each made once (identity matters).  Where a paragraph
    or a run sits depends only on its parent's ancestors, so both climbs are remembered per parent."""
    controls: dict[Any, Control] = field(default_factory=dict)
    cells: dict[Any, int] = field(default_factory=dict)
    places: dict[Any, tuple[int, Control | None] | None] = field(default_factory=dict)
    inline: dict[Any, Control | None] = field(default_factory=dict)

    def control(self, sdt: Any, block: bool) -> Control:
        found = self.controls.get(sdt)
        if found is None:
            found = self.controls[sdt] = control_of(sdt, block)
        return found

    def place(self, parent: Any) -> tuple[int, Control | None] | None:
        """The table cell and innermost block control of a paragraph in `parent`; None to leave it out."""
        if parent in self.places:
            return self.places[parent]
        cell, block = 0, None
        node = parent
        while node is not None:
            tag = node.tag
            if tag == SDT_CONTENT:
                block = block or self.control(node.getparent(), True)
            elif tag == TC:
                cell = cell or self.cells.setdefault(node, len(self.cells) + 1)
            elif tag in _LEFT_OUT:
                self.places[parent] = None
                return None
            node = node.getparent()
        found = self.places[parent] = (cell, block)
        return found

    def inline_control(self, run_parent: Any) -> Control | None:
        """The inline control a run sits in (None: typed text); _LEAVE_OUT to leave the run out."""
        if run_parent in self.inline:
            return self.inline[run_parent]
        control = None
        node = run_parent
        while node is not None and node.tag != P:
            tag = node.tag
            if tag == SDT_CONTENT:
                control = control or self.control(node.getparent(), False)
            elif tag in _LEFT_OUT:
                control = _LEAVE_OUT     # deleted text, text box, fallback content
                break
            node = node.getparent()
        self.inline[run_parent] = control
        return control


_TEXT_TAGS = (P, T, TAB, PTAB, BR, CR, NO_BREAK_HYPHEN)
_SPECIAL = {BR: "\n", CR: "\n", NO_BREAK_HYPHEN: "-"}
_LEAVE_OUT = Control("", "", False, "", False)


_new = tuple.__new__             # a NamedTuple made without its Python-level __new__: hot paths only


def _lines(where: tuple[int, Control | None], segments: list[Segment]) -> list[Line]:
    cell, block = where
    if len(segments) == 1:           # the common case: one piece, no typed line break
        only = segments[0]
        if only.control is not None or "\n" not in only.text:
            return [_new(Line, ((only,), only.text, cell, block))] if only.text.strip() else []
    out = []
    for pieces in split_typed_breaks(merge_segments(segments)):
        text = "".join(piece.text for piece in pieces)
        if text.strip():
            out.append(Line(tuple(pieces), text, cell, block))
    return out


def _paragraph_of(node: Any) -> Any:
    """The nearest paragraph around a node (text after a text box goes back to the box's paragraph)."""
    while node is not None and node.tag != P:
        node = node.getparent()
    return node


def walk(root: Any) -> list[Line]:
    """The document's lines in reading order; empty paragraphs are left out.

    One filtered iteration over the body yields paragraphs and their texts in document order; a text
    whose run sits directly in the last paragraph seen is typed text, else a climb finds its control."""
    body = root.find(W + "body")
    if body is None:
        return []
    walker = _Walker()
    paragraphs: list[tuple[tuple[int, Control | None], list[Segment]]] = []
    current: Any = None
    segments: list[Segment] | None = None
    placed: dict[Any, list[Segment]] = {}
    for item in body.iter(*_TEXT_TAGS):
        tag = item.tag
        if tag == P:
            where = walker.place(item.getparent())
            current, segments = item, ([] if where is not None else None)
            if where is not None and segments is not None:
                paragraphs.append((where, segments))  # filled in as its texts come
                placed[item] = segments
            continue
        run = item.getparent()
        if segments is None:             # in a paragraph left out, or back in the one around it
            current = _paragraph_of(run)
            segments = placed.get(current)
            if segments is None:
                continue
        if run.tag != R:
            continue                     # a tab stop definition rather than text
        parent = run.getparent()
        control = None if parent is current else walker.inline_control(parent)
        if control is not _LEAVE_OUT:
            text = (item.text or "" if not len(item) else _text_of(item)) if tag == T else _SPECIAL.get(tag, "\t")
            segments.append(_new(Segment, (text, control)))
    return [line for where, found in paragraphs if found for line in _lines(where, found)]
