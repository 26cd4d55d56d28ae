"""Finding the form's values among the document's lines: sections, labels, tagged controls.

Two passes over the lines.  The first notes, for each line, the section it is in, whether it is a section
heading, and which label of that section it starts with.  The second reads a value for every label: the
rest of the label's line, else the next line (short fields), or every following line up to the next label
or heading (long fields).  A content control whose w:tag or w:alias names a field (or one of its labels)
gives that field directly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from config.rules import FORM_FIELDS
from parsers.form_labels import CompiledForm, Match, norm
from parsers.form_walk import Control, Line, Segment

LONG_FIELDS = frozenset({"event_type", "description", "proposed_action", "personal_data_contact",
                         "response_description", "response_improvements", "units_involved"})
_FIELD_NAMES = frozenset(FORM_FIELDS)
_TAGGED = "content_control_tagged"
FORM_TITLE = "avvikelseblankett för bus"   # "Avvikelseblankett för BUS-samverkan", lower case
MAX_TITLE_CHARS = 80                       # a title line, not a sentence that mentions the form
MIN_FORM_EVIDENCE = 3                      # distinct section headings + fields named by labels or tags
_new = tuple.__new__             # a NamedTuple made without its Python-level __new__: hot paths only


class Found(NamedTuple):
    """One value read for a field; text None means the slot was empty (placeholder showing)."""
    field: str
    text: str | None
    section: str
    source: str
    label: str
    rule: str
    full_date: str = ""


class _Info(NamedTuple):
    section: str | None
    heading: Match | None
    label: Match | None
    instruction: bool           # one of the form's own instruction sentences
    placeholder: bool           # placeholder text, or in a control showing its placeholder


class _Target(NamedTuple):
    field: str
    section: str
    label: str
    rule: str


def clean(text: str) -> str:
    """Each line's whitespace collapsed; empty lines dropped."""
    if "\n" not in text:
        return " ".join(text.split())
    lines = (" ".join(part.split()) for part in text.replace("\t", " ").split("\n"))
    return "\n".join(line for line in lines if line)


def _after(segments: tuple[Segment, ...], offset: int) -> tuple[Segment, ...]:
    """The segments from character `offset` of their joined text on."""
    out: list[Segment] = []
    for segment in segments:
        if offset >= len(segment.text):
            offset -= len(segment.text)
            continue
        out.append(Segment(segment.text[offset:], segment.control) if offset else segment)
        offset = 0
    return tuple(out)


def annotate(lines: list[Line], compiled: CompiledForm) -> list[_Info]:
    infos: list[_Info] = []
    section: str | None = None
    classify = compiled.classify
    for line in lines:
        first = line.segments[0]          # its typed prefix: the text before any control
        prefix = first.text if first.control is None else ""
        heading, label, instruction, placeholder = classify(section, prefix, line.text)
        if heading is not None:
            section = heading.key
        if not placeholder:
            control = _line_control(line)
            placeholder = control is not None and control.placeholder
        infos.append(_new(_Info, (section, heading, label, instruction, placeholder)))
    return infos


def _tag_target(control: Control, section: str | None, compiled: CompiledForm) -> _Target | None:
    for raw in (control.tag, control.alias):
        key = norm(raw).rstrip(":").strip()
        if not key:
            continue
        if key in _FIELD_NAMES:
            in_section = section is not None and key in compiled.aliases[section].values()
            return _Target(key, section if in_section and section else compiled.field_sections.get(key, ""),
                           raw, key)
        if section is not None and key in compiled.aliases[section]:
            return _Target(compiled.aliases[section][key], section, raw, key)
        if key in compiled.any_label:
            owner, name = compiled.any_label[key]
            return _Target(name, owner, raw, key)
    return None


def tagged_controls(lines: list[Line], infos: list[_Info], compiled: CompiledForm) -> dict[Control, _Target]:
    targets: dict[Control, _Target] = {}
    for line, info in zip(lines, infos):
        controls = [segment.control for segment in line.segments if segment.control is not None]
        if line.block is not None:
            controls.append(line.block)
        for control in controls:
            if control not in targets and (control.tag or control.alias):
                target = _tag_target(control, info.section, compiled)
                if target is not None:
                    targets[control] = target
    return targets


def _line_control(line: Line) -> Control | None:
    for segment in line.segments:
        if segment.control is not None and segment.text.strip():
            return segment.control
    return line.block


def _source(line: Line) -> str:
    if _line_control(line) is not None:
        return "content_control"
    return "table_cell" if line.cell else "typed_text"


class _Value(NamedTuple):
    pieces: tuple[str, ...]
    source: str
    full_date: str
    tagged: bool = False          # the value slot is a tagged control: read by the tag, not the label


_TAGGED_SLOT = _Value((), _TAGGED, "", tagged=True)


@dataclass(frozen=True)
class Reader:
    lines: list[Line]
    infos: list[_Info]
    compiled: CompiledForm
    targets: dict[Control, _Target]

    def _rest(self, rest: tuple[Segment, ...], line: Line) -> _Value | None:
        """The value on the label's own line, if any."""
        text = clean("".join(segment.text for segment in rest)).lstrip(":").strip()
        if not text:
            return None
        control = next((s.control for s in rest if s.control is not None and s.text.strip()), line.block)
        if control is not None and control in self.targets:
            return _TAGGED_SLOT
        if (control is not None and control.placeholder) or self.compiled.is_placeholder(text):
            return _Value((), "content_control" if control is not None else _source(line), "")
        source = "content_control" if control is not None else ("table_cell" if line.cell else "typed_text")
        return _Value((text,), source, control.full_date if control is not None else "")

    def value(self, index: int, rest: tuple[Segment, ...], long: bool) -> _Value:
        """The value for a label found on line `index`; `rest` is what follows the label there."""
        first = self._rest(rest, self.lines[index])
        if first is not None and (first.tagged or not long or not first.pieces):
            return first
        pieces = list(first.pieces) if first else []
        source, full_date = (first.source, first.full_date) if first else ("", "")
        for j in range(index + 1, len(self.lines)):
            info, line = self.infos[j], self.lines[j]
            if info.heading is not None or info.label is not None:
                break
            if info.instruction:
                continue
            control = _line_control(line)
            if control is not None and control in self.targets:
                return _TAGGED_SLOT if not pieces else _Value(tuple(pieces), source, full_date)
            if info.placeholder:
                if long:
                    continue
                return _Value((), _source(line), "")
            pieces.append(clean(line.text))
            source = source or _source(line)
            full_date = full_date or (control.full_date if control is not None else "")
            if not long:
                break
        return _Value(tuple(p for p in pieces if p), source or "typed_text", full_date)

    def _label_at(self, index: int) -> tuple[Match, tuple[Segment, ...]] | None:
        info, line = self.infos[index], self.lines[index]
        if info.label is not None:
            return info.label, _after(line.segments, info.label.end)
        heading = info.heading
        if heading is not None and info.section is not None:
            name = self.compiled.aliases[info.section].get(norm(heading.alias).rstrip(":").strip())
            if name is not None:   # a heading that is also a field's label (section 1)
                return Match(heading.alias, name, heading.text, heading.end), _after(line.segments, heading.end)
        return None

    def labelled(self, index: int) -> Found | None:
        found = self._label_at(index)
        section = self.infos[index].section
        if found is None or section is None:
            return None
        match, rest = found
        value = self.value(index, rest, match.key in LONG_FIELDS)
        if value.tagged:
            return None
        text = "\n".join(value.pieces) or None
        return Found(match.key, text, section, value.source, match.text, match.alias, value.full_date)

    def tagged(self, index: int, control: Control) -> Found:
        target = self.targets[control]
        if control.block:
            texts = [line.text for line, info in zip(self.lines[index:], self.infos[index:])
                     if line.block is control and not info.instruction]
        else:
            texts = ["".join(s.text for s in self.lines[index].segments if s.control is control)]
        text = clean("\n".join(texts))
        if control.placeholder or self.compiled.is_placeholder(text):
            text = ""
        return Found(target.field, text or None, target.section, _TAGGED, target.label, target.rule,
                     control.full_date)


def extract(lines: list[Line], compiled: CompiledForm) -> tuple[list[Found], bool]:
    """Every value found, in document order, and whether the document looks like the form at all."""
    infos = annotate(lines, compiled)
    reader = Reader(lines, infos, compiled, tagged_controls(lines, infos, compiled))
    found: list[Found] = []
    seen: set[Control] = set()
    for index, (line, info) in enumerate(zip(lines, infos)):
        if reader.targets:
            controls = [s.control for s in line.segments if s.control is not None]
            for control in [line.block, *controls]:
                if control is not None and control in reader.targets and control not in seen:
                    seen.add(control)
                    found.append(reader.tagged(index, control))
        if info.label is None and info.heading is None:
            continue                    # neither a label nor a heading: nothing read from here
        labelled = reader.labelled(index)
        if labelled is not None:
            found.append(labelled)
    return found, looks_like_form(lines, infos, reader.targets)


def looks_like_form(lines: list[Line], infos: list[_Info], targets: dict[Control, _Target]) -> bool:
    """The form's title, or enough of its own headings, labels and tags (MIN_FORM_EVIDENCE distinct ones).

    One content control tagged "Description" (an invoice template) or a lone "Datum" is not the form."""
    if any(len(line.text) <= MAX_TITLE_CHARS and "avvikelseblankett" in line.text.lower()
           and norm(line.text).startswith(FORM_TITLE) for line in lines):
        return True
    sections = {info.heading.key for info in infos if info.heading is not None}
    fields = {info.label.key for info in infos if info.label is not None}
    fields.update(target.field for target in targets.values())
    return len(sections) + len(fields) >= MIN_FORM_EVIDENCE
