"""The form rules compiled for matching: section headings, field labels, placeholders, instructions.

A heading matches when a line's text starts with it (after optional numbering such as "1. ").  A label
matches when a line's typed text starts with it and it is followed by a colon, a tab, a line end, or the
end of the typed text (a content control follows).  Matching ignores case, runs of whitespace and the
kind of dash; the longest alias wins.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from config.rules import FormRules

_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"
_PLACEHOLDER_MAX = 200
_NUMBERING = r"\s*(?:\d{1,2}\s*[.):]\s*|\d{1,2}\s+)?"


@functools.lru_cache(maxsize=4096)
def norm(text: str) -> str:
    """Lower case, one space for each run of whitespace, one kind of dash, trimmed.  Remembered: the
    form's own texts (labels, headings, tags, placeholders) recur in every form."""
    for dash in _DASHES[1:]:
        if dash in text:
            text = text.replace(dash, "-")
    return " ".join(text.split()).lower()


def _alias_pattern(alias: str) -> str:
    words = norm(alias).rstrip(":").strip().split(" ")
    dash = f"[{_DASHES}]"
    return r"\s+".join(dash.join(re.escape(part) for part in word.split("-")) for word in words)


class Match(NamedTuple):
    alias: str        # the alias as written in the rules
    key: str          # field name (labels) or section key (headings)
    text: str         # the text in the document that matched
    end: int          # offset in the matched string just past the label (and its colon)


@dataclass(frozen=True)
class _Matcher:
    pattern: re.Pattern[str] | None
    aliases: tuple[str, ...]          # in group order
    keys: tuple[str, ...]

    def match(self, text: str) -> Match | None:
        if self.pattern is None:
            return None
        found = self.pattern.match(text)
        if found is None or found.lastindex is None:
            return None
        index = found.lastindex - 1
        return Match(self.aliases[index], self.keys[index], found[found.lastindex], found.end())


def _matcher(pairs: list[tuple[str, str]], label: bool) -> _Matcher:
    """pairs: (alias, key).  Labels need a boundary after them; headings are prefixes."""
    pairs = [(alias, key) for alias, key in pairs if norm(alias).rstrip(":").strip()]
    if not pairs:
        return _Matcher(None, (), ())
    ordered = sorted(pairs, key=lambda pair: len(norm(pair[0])), reverse=True)
    body = "|".join(f"({_alias_pattern(alias)})" for alias, _ in ordered)
    tail = r"(?:\s*:|(?=\s*(?:[\t\n]|$)))" if label else r"\s*[?:]?"
    pattern = re.compile(f"{_NUMBERING}(?:{body}){tail}", re.IGNORECASE)
    return _Matcher(pattern, tuple(a for a, _ in ordered), tuple(k for _, k in ordered))


class Classified(NamedTuple):
    heading: Match | None
    label: Match | None
    instruction: bool
    placeholder: bool


MEMO_SIZE = 4096


@dataclass(frozen=True)
class CompiledForm:
    headings: _Matcher
    labels: dict[str, _Matcher]                 # section key -> its labels
    aliases: dict[str, dict[str, str]]          # section key -> normalised alias -> field
    any_label: dict[str, tuple[str, str]]       # normalised alias -> (section key, field), first wins
    field_sections: dict[str, str]              # field -> first section that has it
    placeholders: frozenset[str]
    instructions: tuple[str, ...]

    instruction_chars: int                      # how much of a line to look at for an instruction
    # Memo of classify(): the form's own texts (headings, labels, instructions) recur in every form.
    memo: dict[tuple[str | None, str, str], Classified] = field(default_factory=dict, compare=False)

    def classify(self, section: str | None, prefix: str, text: str) -> Classified:
        """A line's heading, its label in `section` (matched on its typed `prefix`), whether it is an
        instruction, whether its text is a placeholder."""
        key = (section, prefix, text)
        found = self.memo.get(key)
        if found is None:
            heading = self.headings.match(text)
            label = None
            if heading is None and section is not None:
                label = self.labels[section].match(prefix)
            found = Classified(heading, label, self.is_instruction(text), self.is_placeholder(text))
            if len(self.memo) >= MEMO_SIZE:
                self.memo.clear()
            self.memo[key] = found
        return found

    def is_placeholder(self, text: str) -> bool:
        return len(text) < _PLACEHOLDER_MAX and norm(text).rstrip(". ") in self.placeholders

    def is_instruction(self, text: str) -> bool:
        return bool(self.instructions) and norm(text[:self.instruction_chars]).startswith(self.instructions)


@functools.lru_cache(maxsize=16)
def compile_rules(rules: FormRules) -> CompiledForm:
    headings: list[tuple[str, str]] = []
    labels: dict[str, _Matcher] = {}
    aliases: dict[str, dict[str, str]] = {}
    any_label: dict[str, tuple[str, str]] = {}
    field_sections: dict[str, str] = {}
    for section in rules.sections:
        headings.extend((heading, section.key) for heading in section.headings)
        pairs = [(alias, name) for name, aliases in section.fields for alias in aliases]
        labels[section.key] = _matcher(pairs, label=True)
        aliases[section.key] = {}
        for alias, name in pairs:
            key = norm(alias).rstrip(":").strip()
            aliases[section.key].setdefault(key, name)
            any_label.setdefault(key, (section.key, name))
        for name, _ in section.fields:
            field_sections.setdefault(name, section.key)
    return CompiledForm(
        headings=_matcher(headings, label=False), labels=labels, aliases=aliases, any_label=any_label,
        field_sections=field_sections,
        placeholders=frozenset(norm(p).rstrip(". ") for p in rules.placeholders),
        instructions=tuple(norm(i) for i in rules.instructions if norm(i)),
        instruction_chars=2 * max((len(i) for i in rules.instructions), default=0) + 20,
    )
