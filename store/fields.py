"""The case fields a person may correct (`busavvik case set`), kept apart so the CLI's help needs no database."""
from __future__ import annotations

from typing import Literal, get_args

LIST_FIELDS = ("units_involved", "receiver_org_types", "themes")
BOOL_FIELDS = ("responded",)
CHOICES = {"principal_relation": ("between", "within")}
CorrectionField = Literal[
    "event_type", "description", "proposed_action", "personal_data_contact", "reported_date", "response_outcome",
    "units_involved", "reporter_org_type", "receiver_org_types", "principal_relation", "themes", "responded"]
FIELDS: tuple[CorrectionField, ...] = get_args(CorrectionField)
# Keys `response_outcome` took before the outcomes were listed in the rules, and the label each stands for.
LEGACY_OUTCOMES = {"löst": "Löst genom kommunikationen", "lost": "Löst genom kommunikationen",
                   "resolved": "Löst genom kommunikationen", "förbättringsförslag": "Förbättringsförslag",
                   "improvement": "Förbättringsförslag", "delvis löst": "Delvis löst", "delvis": "Delvis löst",
                   "partly": "Delvis löst", "ej löst": "Ej löst", "inte löst": "Ej löst", "not_resolved": "Ej löst",
                   "unresolved": "Ej löst"}
LEGACY_OUTCOME_KEYS = tuple(LEGACY_OUTCOMES)
