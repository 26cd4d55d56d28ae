"""Output helpers shared by commands: JSON, CSV (flattened) and rich tables."""
from __future__ import annotations

import csv
import json
import sys
from typing import Any

from notify.cells import csv_text
from parsers.safetext import JSON_ESCAPES, printable


def flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            flat[name] = json.dumps(value, ensure_ascii=False)   # receivers, answers: one JSON cell
        elif isinstance(value, list):
            flat[name] = "; ".join("" if v is None else str(v) for v in value)
        else:
            flat[name] = value
    return flat


def write_json(rows: Any, default: Any = None) -> None:
    """JSON on stdout, readable UTF-8; DEL, C1 and bidi controls written as \\u escapes (same data, but nothing
    a terminal acts on: json escapes C0 itself)."""
    encoder = json.JSONEncoder(ensure_ascii=False, indent=2, default=default)
    for chunk in encoder.iterencode(rows):      # streamed, as json.dump does
        sys.stdout.write(chunk.translate(JSON_ESCAPES))
    sys.stdout.write("\n")


def write_csv(rows: list[dict[str, Any]]) -> None:
    """CSV on stdout; control characters in mail text shown as stand-ins (CSV has no escapes; a spreadsheet and a
    terminal would both take them raw), and text a spreadsheet could run as a formula neutralised (notify.cells)."""
    flat = [{k: csv_text(printable(v)) if isinstance(v, str) else v for k, v in flatten(r).items()} for r in rows]
    columns: list[str] = []
    for row in flat:
        columns.extend(k for k in row if k not in columns)
    writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore", quoting=csv.QUOTE_NONNUMERIC)
    writer.writeheader()
    writer.writerows(flat)
