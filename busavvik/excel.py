"""CSV for Swedish Excel (`export … --format csv --excel`): `;` between fields, a UTF-8 byte order mark (Excel
then reads å, ä, ö right), Swedish column headers, "Ja"/"Nej" for true/false, and for deviations readable
receiver and outcome columns instead of JSON cells. Plain `--format csv` stays as it is.
"""
from __future__ import annotations

import csv
import io
import sys
from typing import Any

from busavvik.console import flatten
from parsers.safetext import csv_text, printable

DEVIATION_HEADERS = {
    "case_id": "Ärende", "source_message_id": "Ursprungligt Message-ID", "message_ids": "Meddelanden (Message-ID)",
    "event_type": "Typ av händelse", "units_involved": "Berörda enheter", "description": "Beskrivning",
    "proposed_action": "Förslag till åtgärd", "personal_data_contact": "Kontakt för personuppgifter",
    "reported_date": "Rapporterad", "reporter.unit": "Rapporterande enhet",
    "reporter.contact_person": "Kontaktperson", "reporter.email": "Kontaktpersonens e-post",
    "reporter.phone": "Kontaktpersonens telefon", "reporter_manager.name": "Rapporterande chef",
    "reporter_manager.unit": "Chefens enhet", "reporter_manager.email": "Chefens e-post",
    "reporter_manager.phone": "Chefens telefon", "responded": "Besvarad", "response_due": "Sista svarsdag",
    "first_received": "Först mottagen", "status": "Status", "flags": "Flaggor",
    "classification.reporter_org_type": "Rapporterande verksamhet",
    "classification.receiver_org_types": "Mottagande verksamheter",
    "classification.principal_relation": "Huvudmannarelation", "classification.themes": "Teman",
    "classification.reporter_principal": "Rapporterande huvudman",
    "classification.receiver_principals": "Mottagande huvudmän",
    "receivers": "Mottagare", "awaiting": "Väntar på svar från", "answers_count": "Antal svar",
    "answers_from": "Svar från", "answers_outcome": "Utfall", "answers_outcome_source": "Utfallets källa",
    "response": "Första svaret",
}
MESSAGE_HEADERS = {
    "message_id": "Message-ID", "mailboxes": "Brevlådor", "folders": "Mappar", "subject": "Ämne",
    "date": "Datum", "from": "Avsändare", "kind": "Typ", "case_id": "Ärende", "link_rule": "Kopplingsregel",
    "problems": "Problem", "flags": "Flaggor",
}
SOURCES = {"suggested": "föreslaget", "set": "bekräftat"}


def deviation_row(row: dict[str, Any]) -> dict[str, Any]:
    """The deviation with its receivers and answers as text columns, one value per answer joined by "; "."""
    out = {k: v for k, v in row.items() if k not in ("receivers", "answers")}
    answers = row.get("answers") or []
    out["receivers"] = [r.get("email") for r in row.get("receivers") or []]
    out["answers_count"] = len(answers)
    out["answers_from"] = [a.get("receiver_email") or "" for a in answers]
    out["answers_outcome"] = [a.get("outcome") or "Ej bedömt" for a in answers]
    out["answers_outcome_source"] = [SOURCES.get(a.get("outcome_source") or "", a.get("outcome_source") or "")
                                     for a in answers]
    return out


def header(key: str, headers: dict[str, str]) -> str:
    if key in headers:
        return headers[key]
    if key.startswith("response."):
        return f"Första svaret: {key.removeprefix('response.')}"
    return key


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if value is None:
        return ""
    return csv_text(printable(value)) if isinstance(value, str) else value


def excel_csv(rows: list[dict[str, Any]], headers: dict[str, str]) -> bytes:
    """The rows as bytes for Swedish Excel: BOM, `;`, CRLF, every text field quoted."""
    flat = [{k: _cell(v) for k, v in flatten(r).items()} for r in rows]
    columns = [k for k in headers if any(k in r for r in flat)] if flat else list(headers)
    for row in flat:
        columns.extend(k for k in row if k not in columns)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    writer.writerow([header(c, headers) for c in columns])
    writer.writerows([row.get(c, "") for c in columns] for row in flat)
    return buf.getvalue().encode("utf-8-sig")


def write_excel_csv(rows: list[dict[str, Any]], kind: str) -> None:
    """On standard output as bytes (the BOM and the encoding must not depend on the terminal's locale)."""
    if kind == "deviations":
        data = excel_csv([deviation_row(r) for r in rows], DEVIATION_HEADERS)
    else:
        data = excel_csv(rows, MESSAGE_HEADERS)
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
