"""Is a message automatic (out-of-office, bounce, bulk)?  Such a message is never an answer."""
from __future__ import annotations

import re
from email.message import Message

from parsers.headers import header_text


def is_auto_reply(msg: Message, subject: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    auto_submitted = header_text(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if msg.get("X-Autoreply") is not None or msg.get("X-Autorespond") is not None:
        return True
    if header_text(msg, "X-Auto-Response-Suppress") and auto_submitted:
        return True
    if header_text(msg, "Precedence").lower() in ("auto_reply", "bulk", "junk"):
        return True
    if msg.get_content_type() == "multipart/report":
        return True
    return any(p.search(subject or "") for p in patterns)
