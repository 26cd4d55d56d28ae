"""Output helpers shared by commands: JSON, CSV (flattened) and rich tables."""
from __future__ import annotations

import csv
import json
import sys
from typing import Any


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


def write_json(rows: list[dict[str, Any]]) -> None:
    json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def write_csv(rows: list[dict[str, Any]]) -> None:
    flat = [flatten(r) for r in rows]
    columns: list[str] = []
    for row in flat:
        columns.extend(k for k in row if k not in columns)
    writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(flat)
