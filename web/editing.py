"""The case page's correction forms: one per field, the current value filled in, a text area for the long
texts, and a save button named for its field ("Spara händelsetyp", not seven "Spara")."""
from __future__ import annotations

from typing import Any

LONG_FIELDS = ("description", "proposed_action", "personal_data_contact")
SAVE_LABELS = {
    "event_type": "Spara händelsetyp", "units_involved": "Spara berörda verksamheter",
    "description": "Spara beskrivningen", "proposed_action": "Spara förslaget till åtgärd",
    "personal_data_contact": "Spara kontakten om personuppgifter", "reported_date": "Spara rapportdatum",
    "reporter_org_type": "Spara rapporterande organisationstyp",
    "receiver_org_types": "Spara mottagande organisationstyper", "principal_relation": "Spara huvudmannarelation",
    "themes": "Spara teman", "response_outcome": "Spara utfall", "outcome": "Spara svarets utfall",
}
HINTS = {"reported_date": "till exempel 19 augusti 2026, 2026-08-19 eller 19/8 2026",
         "units_involved": "flera skiljs åt med semikolon (;)"}


def current_values(detail: Any) -> dict[str, str]:
    """The value each correctable text field shows now (redacted, lists joined with "; ")."""
    return {key: value for key, value in detail.fields}


def save_label(field: str) -> str:
    return SAVE_LABELS.get(field, "Spara")
