"""The one output helper of the commands: rich consoles that never read text as markup, the error exits, JSON and CSV.

Everything printed may carry mail text (a subject, a file name, a form field, a server's error), so the
consoles below treat every string as plain text: no rich markup (a subject with "[/]" or "[link=…]" is shown as
written), no emoji codes, control characters made visible and personnummer redacted (parsers.safetext.shown),
in `print` and in every table cell and title alike. Style goes in `style=` or through `styled()`.
Wide enough for tables when the output is a pipe or a file.  An error is one line on standard error and an exit
code (`fail`, `usage_error`); data for programs is JSON or CSV on standard output (`write_json`, `write_csv`).
"""
from __future__ import annotations

import csv
import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from parsers.safetext import JSON_ESCAPES, csv_text, printable, shown


class SafeConsole(Console):
    """A rich Console whose strings are always plain, redacted and free of control characters."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, emoji=False, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:  # type: ignore[override]
        kwargs.update(markup=False, emoji=False)
        return super().render_str(shown(text), **kwargs)


def styled(*parts: str | tuple[str, str]) -> Text:
    """One line from plain parts and (text, style) parts, each made safe like any printed string."""
    line = Text()
    for part in parts:
        text, style = (part, "") if isinstance(part, str) else part
        line.append(shown(text), style=style)
    return line


def _width(stream: object) -> int | None:
    return None if getattr(stream, "isatty", lambda: False)() else 160


out = SafeConsole(width=_width(sys.stdout), soft_wrap=False)
err = SafeConsole(stderr=True, width=_width(sys.stderr), soft_wrap=True)


def fail(message: str | Text, code: int = 1) -> NoReturn:
    """One line on standard error (red when plain text; a `styled()` line keeps its own styles), then exit `code`."""
    err.print(message, style="red" if isinstance(message, str) else None)
    raise typer.Exit(code)


def usage_error(message: str) -> NoReturn:
    """One line on standard error ("fel: …"), exit code 2, as any usage error."""
    err.print(f"fel: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


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


def write_json(rows: Any, default: Any = None, ensure_ascii: bool = False) -> None:
    """JSON on stdout, readable UTF-8 (or ASCII only); DEL, C1 and bidi controls written as \\u escapes (same data,
    but nothing a terminal acts on: json escapes C0 itself)."""
    encoder = json.JSONEncoder(ensure_ascii=ensure_ascii, indent=2, default=default)
    for chunk in encoder.iterencode(rows):      # streamed, as json.dump does
        sys.stdout.write(chunk.translate(JSON_ESCAPES))
    sys.stdout.write("\n")


def write_csv(rows: list[dict[str, Any]]) -> None:
    """CSV on stdout; control characters in mail text shown as stand-ins (CSV has no escapes; a spreadsheet and a
    terminal would both take them raw), and text a spreadsheet could run as a formula neutralised (parsers.safetext)."""
    flat = [{k: csv_text(printable(v)) if isinstance(v, str) else v for k, v in flatten(r).items()} for r in rows]
    columns: list[str] = []
    for row in flat:
        columns.extend(k for k in row if k not in columns)
    writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore", quoting=csv.QUOTE_NONNUMERIC)
    writer.writeheader()
    writer.writerows(flat)
