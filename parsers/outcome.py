"""Suggesting an answer's outcome from section 4's text with the rules' `[[outcomes.rules]]`.  Pure."""
from __future__ import annotations

from config.rules import Rules


def suggest_outcome(description: str | None, improvements: str | None, rules: Rules) -> tuple[str, str] | None:
    """(outcome label, rule name) of the first rule whose pattern matches its fields, else None."""
    texts = {"description": description or "", "improvements": improvements or ""}
    for rule in rules.outcome_rules:
        if any(p.search(texts[f]) for f in rule.fields for p in rule.patterns):
            return rule.outcome, rule.name
    return None


def check_label(text: str, rules: Rules) -> str:
    """The label as listed (case and surrounding spaces ignored); ValueError listing the allowed ones."""
    wanted = " ".join(text.split()).casefold()
    for label in rules.outcome_labels:
        if label.casefold() == wanted:
            return label
    allowed = ", ".join(f'"{label}"' for label in rules.outcome_labels)
    raise ValueError(f"okänt utfall {text!r}; tillåtna: {allowed}")
