"""Rich consoles for commands: wide enough for tables when the output is a pipe or a file."""
from __future__ import annotations

import sys

from rich.console import Console


def _width(stream: object) -> int | None:
    return None if getattr(stream, "isatty", lambda: False)() else 160


out = Console(width=_width(sys.stdout), soft_wrap=False)
err = Console(stderr=True, width=_width(sys.stderr), soft_wrap=True)
