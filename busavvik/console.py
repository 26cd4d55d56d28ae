"""The one way commands write to the terminal: rich consoles that never read text as markup.

Everything printed may carry mail text (a subject, a file name, a form field, a server's error), so the
consoles below treat every string as plain text: no rich markup (a subject with "[/]" or "[link=…]" is shown as
written), no emoji codes, control characters made visible and personnummer redacted (parsers.safetext.shown),
in `print` and in every table cell and title alike. Style goes in `style=` or through `styled()`.
Wide enough for tables when the output is a pipe or a file.
"""
from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.text import Text

from parsers.safetext import shown


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
