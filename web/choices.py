"""The choices the case page offers for a correction, from the rules file (as `busavvik case set` takes them)."""
from __future__ import annotations

from dataclasses import dataclass

from config.rules import Rules
from notify.report import OUTCOMES
from store.answers import CHANNELS
from store.fields import CHOICES

TEXT_FIELDS = ("event_type", "description", "proposed_action", "personal_data_contact", "reported_date",
               "units_involved")
OUTCOME_KEYS = ("löst", "förbättringsförslag", "delvis löst", "ej löst")


def org_types(rules: Rules) -> list[str]:
    return list(dict.fromkeys(o.type for o in rules.organisations))


def themes(rules: Rules) -> list[str]:
    return list(dict.fromkeys([*(t.name for t in rules.themes), rules.default_theme]))


@dataclass(frozen=True)
class CaseChoices:
    org_types: tuple[str, ...]
    themes: tuple[str, ...]
    relations: tuple[str, ...]
    outcomes: tuple[tuple[str, str], ...]       # (value stored, label shown)
    answer_outcomes: tuple[str, ...] = ()       # an answer's outcome: the rules' labels
    channels: tuple[tuple[str, str], ...] = tuple(CHANNELS.items())   # another route of answering (code, label)


def for_case(rules: Rules) -> CaseChoices:
    return CaseChoices(tuple(org_types(rules)), tuple(themes(rules)), CHOICES["principal_relation"],
                       tuple((k, OUTCOMES[k]) for k in OUTCOME_KEYS), tuple(rules.outcome_labels))


def allowed(rules: Rules, field: str, value: str) -> bool:
    """A classification value must be one the rules know (free text only for the form's own fields)."""
    if field == "reporter_org_type":
        return value in org_types(rules)
    if field == "receiver_org_types":
        return all(v.strip() in org_types(rules) for v in value.split(";") if v.strip())
    if field == "themes":
        return all(v.strip() in themes(rules) for v in value.split(";") if v.strip())
    if field == "principal_relation":
        return value in CHOICES["principal_relation"]
    if field == "responded":
        return value in ("true", "false")
    return field in TEXT_FIELDS
