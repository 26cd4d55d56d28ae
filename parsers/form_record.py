"""The typed form and classification and the JSON dicts the store keeps of them, both ways.  Pure: no I/O.

The dicts' keys are the stored JSON's keys (store/jsontypes.py): changing them changes existing databases."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from typing import Any

from parsers.types import Classification, FormData, FormLike

FORM_FIELDS = frozenset(f.name for f in dataclasses.fields(FormData)) - {"trace"}


def form_to_dict(form: FormData) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(form):
        if f.name == "trace":
            continue
        value = getattr(form, f.name)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def as_tuple(value: Any) -> tuple[Any, ...]:
    """A stored list as a tuple; a text typed by hand may hold several items separated by ';'."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(";") if part.strip())
    return tuple(value or ())


def as_stored(form: FormLike) -> Mapping[str, Any]:
    """A form as the store keeps it (dates as ISO text, lists): the typed form converted, the dict a migration
    reads from a table as it is, {} for none."""
    if isinstance(form, FormData):
        return form_to_dict(form)
    return form or {}


def form_value(key: str, value: Any) -> Any:
    """A stored (or corrected) value of the form's field `key` as the typed form holds it."""
    if key in ("reported_date", "response_received_date"):
        if not isinstance(value, str) or not value:
            return value or None
        try:
            return date.fromisoformat(value)
        except ValueError:      # a date typed by hand before they were checked: shown as it was typed
            return value
    if key == "units_involved":
        return as_tuple(value)
    return value


def form_from_dict(form: Mapping[str, Any]) -> FormData:
    """A stored form back as the typed one (dates and the units as the parser gives them); keys that are not
    fields of the form are left out, a missing one is empty."""
    return FormData(**{k: form_value(k, v) for k, v in form.items() if k in FORM_FIELDS})


def classification_to_dict(c: Classification) -> dict[str, Any]:
    """The stored classification (`rules_used` is not stored)."""
    return {"reporter_org_type": c.reporter_org_type, "reporter_principal": c.reporter_principal,
            "receiver_org_types": list(c.receiver_org_types), "receiver_principals": list(c.receiver_principals),
            "principal_relation": c.principal_relation, "themes": list(c.themes)}


def classification_from_dict(c: Mapping[str, Any]) -> Classification:
    """A stored classification back as the typed one; an empty dict (a case without one) gives empty values."""
    return Classification(
        reporter_org_type=c.get("reporter_org_type"), reporter_principal=c.get("reporter_principal"),
        receiver_org_types=as_tuple(c.get("receiver_org_types")),
        receiver_principals=as_tuple(c.get("receiver_principals")),
        principal_relation=c.get("principal_relation"), themes=as_tuple(c.get("themes")))
