"""The answer's text when it is in the mail body: cut the quoted original off."""
from __future__ import annotations

import re

_QUOTE_START = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Ursprungligt meddelande|Vidarebefordrat meddelande|Forwarded message)"
    r"|(Från|From|Skickat|Sent)\s*:|Den .{0,80} skrev|On .{0,80} wrote:|_{10,})",
    re.IGNORECASE)


def answer_text(body: str, limit: int = 4000) -> str | None:
    lines: list[str] = []
    for line in (body or "").splitlines():
        if _QUOTE_START.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        lines.append(line.rstrip())
    text = "\n".join(lines).strip()
    return text[:limit] or None
