"""The typed form and the JSON dict the store keeps of it, both ways.  Pure: no I/O."""
from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from parsers.types import FormData


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


def form_from_dict(form: dict[str, Any]) -> FormData:
    """A stored form back as the typed one (dates and the units as the parser gives them)."""
    values = dict(form)
    for key in ("reported_date", "response_received_date"):
        values[key] = date.fromisoformat(values[key]) if values.get(key) else None
    values["units_involved"] = tuple(values.get("units_involved") or ())
    return FormData(**values)
