"""Jinja2 with autoescape, and redaction of every printed value: a template cannot show a personnummer."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from config.localzone import STOCKHOLM, LocalTime
from parsers.pnr import redact
from store.answers import CHANNEL_LABELS
from web.editing import HINTS, save_label

STATE_LABELS = {"open": "öppet", "partly": "delvis besvarat", "answered": "besvarat", "overdue": "försenat",
                "closed": "stängt", "paused": "pausat"}
KIND_LABELS = {"deviation": "avvikelse", "answer": "svar", "follow_up": "uppföljning", "auto_reply": "autosvar",
               "other": "övrigt", "own": "eget utskick"}
RULE_LABELS = {"references": "svarshuvuden (References)", "thread_index": "Outlook-tråd", "form_content":
               "blankettens innehåll", "case_id": "ärendenummer", "subject": "ämnesrad", "manual": "manuellt",
               "new_deviation": "ny avvikelse"}
FIELD_LABELS = {"event_type": "Typ av händelse", "units_involved": "Berörda verksamheter",
                "description": "Beskrivning av händelsen", "proposed_action": "Förslag till åtgärd",
                "personal_data_contact": "Kontakt om personuppgifter", "reported_date": "Datum för rapportering",
                "reporter_unit": "Rapporterande enhet", "reporter_contact_person": "Kontaktperson",
                "reporter_email": "E-post", "reporter_phone": "Telefon", "reporter_manager_name": "Ansvarig chef",
                "reporter_manager_unit": "Chefens enhet", "reporter_manager_email": "Chefens e-post",
                "reporter_manager_phone": "Chefens telefon", "reporter_org_type": "Rapporterande organisationstyp",
                "receiver_org_types": "Mottagande organisationstyper", "principal_relation": "Huvudmannarelation",
                "themes": "Teman", "responded": "Besvarat", "response_outcome": "Utfall", "status": "Status",
                "link": "Koppling", "description_answer": "Svar", "improvements": "Förbättringsåtgärder",
                "received_date": "Datum för mottagande", "manager_name": "Svarande chef",
                "manager_unit": "Svarande enhet", "manager_email": "Svarande chefs e-post", "outcome": "Utfall",
                "receiver": "Mottagare", "answer_receiver": "Svarets mottagare",
                "answer_other_route": "Svar på annat sätt", "note": "Anteckning",
                "receiver_address": "Mottagarens adress"}
RECEIVER_STATE_LABELS = {"awaited": "väntar på svar", "answered": "har svarat", "not_expected": "väntas inte svara",
                         "bounced": "studsade"}
ATTRIBUTION_LABELS = {"sender": "avsändaren", "manager_email": "svarande chefs e-post", "manager_unit":
                      "svarande enhet", "organisation": "organisationen", "only_receiver": "enda mottagaren",
                      "manual": "manuellt", "added": "ny mottagare", "doubtful": "osäker", "none": "ingen"}
RELATION_LABELS = {"between": "mellan huvudmän", "within": "inom huvudman"}
STEP_LABELS = {"notice": "förvarning", "first": "påminnelse 1", "second": "påminnelse 2", "escalation": "eskalering"}
REMINDER_STATUS_LABELS = {"pending": "väntar på att skickas", "sending": "skickas", "delivering": "skickas",
                          "sent": "skickad", "failed": "misslyckades", "unknown": "okänt om den kom fram",
                          "held": "stoppad (för många mottagare)", "aborted": "avbruten", "error": "internt fel"}
ROLE_LABELS = {"reader": "läsare", "secretariat": "sekretariat", "admin": "administratör"}


def _finalize(value: Any) -> Any:
    """Every {{ value }} goes through here before it is escaped: text is redacted."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return redact(value)
    return value


def when(value: date | datetime | None, zone: LocalTime = STOCKHOLM) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return zone.text(value, "%Y-%m-%d %H:%M")
    return value.isoformat()


def problem_label(code: str) -> str:
    """A problem code in Swedish (the codes stay in the JSON exports)."""
    from notify.digest import PNR_FLAG, PROBLEM_LABELS

    if code == PNR_FLAG:
        return "innehåller ett personnummer"
    return PROBLEM_LABELS.get(code, "annat problem vid inläsning")


def environment(zone: LocalTime = STOCKHOLM) -> Environment:
    """The pages' templates; times are shown in `zone` (worker.timezone)."""
    env = Environment(loader=PackageLoader("web", "templates"), autoescape=select_autoescape(default=True),
                      finalize=_finalize, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(when=lambda v: when(v, zone), state=lambda s: STATE_LABELS.get(s, s),
                       kind=lambda k: KIND_LABELS.get(k, k),
                       rule=lambda r: RULE_LABELS.get(r, r or "–"), label=lambda f: FIELD_LABELS.get(f, f),
                       relation=lambda r: RELATION_LABELS.get(r, r or "–"), role=lambda r: ROLE_LABELS.get(r, r),
                       receiver_state=lambda s: RECEIVER_STATE_LABELS.get(s, s),
                       attribution=lambda a: ATTRIBUTION_LABELS.get(a, a), pnr=redact, save=save_label,
                       hint=lambda f: HINTS.get(f, ""), channel=lambda c: CHANNEL_LABELS.get(c, c),
                       problem=problem_label, step=lambda s: STEP_LABELS.get(s, "påminnelse"),
                       reminder_status=lambda s: REMINDER_STATUS_LABELS.get(s, "okänt läge"))
    return env
