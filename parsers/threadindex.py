"""Outlook's Thread-Index header: the conversation GUID is bytes 6–22 of the decoded value."""
from __future__ import annotations

import base64
import binascii


def conversation_guid(header: str | None) -> str | None:
    if not header:
        return None
    text = "".join(header.split())
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=False)
    except (binascii.Error, ValueError):
        return None
    if len(raw) < 22:
        return None
    return raw[6:22].hex()
