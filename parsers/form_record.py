"""Turning parser records into JSON-able dicts for the store, and the form fingerprint."""
from __future__ import annotations

import dataclasses
import hashlib
import re
from datetime import date
from functools import lru_cache
from typing import Any

from parsers.types import FormData

_WORD = re.compile(r"[\w]+", re.UNICODE)


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


@lru_cache(maxsize=256)
def _norm(text: str | None) -> str:
    """Words, case-folded; remembered, as a form's description is normalised for both fingerprints, when
    the message is linked and again when its case is opened."""
    return " ".join(_WORD.findall((text or "").casefold()))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def fingerprint(form: dict[str, Any]) -> str:
    """Sections 1–3: event type, description, reporting unit, report date (normalised)."""
    return _digest(_norm(form.get("event_type")), _norm(form.get("description")),
                   _norm(form.get("reporter_unit")), str(form.get("reported_date") or ""))


def text_fingerprint(form: dict[str, Any]) -> str:
    """A looser key: the description alone (a reply may retype the header fields)."""
    return _digest(_norm(form.get("description")))
