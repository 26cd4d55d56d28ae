"""One main theme per deviation, secondary themes apart, and the sub-theme within the main theme.

The annual reports give each deviation one theme, so that the themes sum to the number of deviations.  The rules
file lists the themes in order: the main theme is the first in that order the deviation has; a person's
correction wins (the first theme a person listed).  Every rule is in config/rules.toml, none here.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from config.rules import Rules

CORRECTED = "rättat av en person"


@dataclass(frozen=True)
class ThemeChoice:
    main: str
    secondary: tuple[str, ...]
    subtheme: str | None        # None: the main theme has no sub-themes in the rules
    rule: str                   # why `main` (Swedish, for the report)
    subtheme_rule: str          # why `subtheme`


def without_excluded(themes: Sequence[str], rules: Rules) -> tuple[str, ...]:
    """The themes minus those whose `not_with` names another theme present."""
    present = set(themes)
    out = []
    for name in themes:
        rule = rules.theme_rule(name)
        if rule is None or not present.intersection(rule.not_with):
            out.append(name)
    return tuple(out)


def _order(rules: Rules) -> dict[str, int]:
    names = [t.name for t in rules.themes]
    return {name: i for i, name in enumerate([*names, rules.default_theme])}


def main_theme_rule(name: str, rules: Rules) -> str:
    """The rule behind a main theme, as the report states it."""
    rule = rules.theme_rule(name)
    if rule is None:
        return "temat finns inte i regelfilen: satt av en person"
    if not rule.patterns:
        return "inget annat tema matchar (standardtema)"
    pos = [t.name for t in rules.themes].index(name) + 1
    words = ", ".join(f"”{_plain(p.pattern)}”" for p in rule.patterns)
    return f"regel {pos} i regelfilens ordning (första som matchar): texten innehåller {words}"


def _plain(pattern: str) -> str:
    """A pattern as a reader sees it: without the word-boundary marks of the regular expression."""
    return pattern.replace("\\b", "").replace("\\", "")


def subtheme_of(main: str, text: str, rules: Rules) -> tuple[str | None, str]:
    """The sub-theme of `text` within `main`: the first sub-theme rule that matches, else the theme's default."""
    rule = rules.theme_rule(main)
    if rule is None or not rule.subthemes:
        return None, ""
    for sub in rule.subthemes:
        for pattern in sub.patterns:
            if pattern.search(text):
                return sub.name, f"texten matchar {pattern.pattern}"
    return rule.subtheme_default, "ingen delregel matchar"


def choose(themes: Sequence[str], text: str, rules: Rules, corrected: bool = False) -> ThemeChoice:
    """The main theme of a deviation with `themes` (as classified, or as a person corrected them)."""
    names = tuple(dict.fromkeys(t for t in themes if t))
    if not corrected:
        names = without_excluded(names, rules)
        order = _order(rules)
        names = tuple(sorted(names, key=lambda n: order.get(n, len(order))))
    if not names:
        names = (rules.default_theme,)
    main = names[0]
    why = CORRECTED if corrected else main_theme_rule(main, rules)
    sub, sub_why = subtheme_of(main, text, rules)
    return ThemeChoice(main, names[1:], sub, why, sub_why)
