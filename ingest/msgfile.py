"""Outlook .msg files (backfill from saved mail) turned into RFC 822 bytes with extract-msg.

The transport headers Outlook kept (Message-ID, References, Thread-Index, …) are carried over, so a .msg
and the same mail fetched over IMAP are one message.  A file extract-msg cannot read is passed on as it is:
the pipeline keeps it with a problem code rather than losing it.
"""
from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
_SKIP = {"content-type", "content-transfer-encoding", "mime-version", "content-disposition"}
MAX_DEPTH = 10


def _copy_headers(out: EmailMessage, msg: Any) -> None:
    header = getattr(msg, "header", None)
    names = set()
    if header is not None:
        for name, value in header.items():
            if name.lower() not in _SKIP and name.lower() not in names:
                out[name] = str(value).replace("\r", " ").replace("\n", " ")
                names.add(name.lower())
    fallbacks = {"from": msg.sender, "to": msg.to, "cc": msg.cc, "subject": msg.subject,
                 "message-id": getattr(msg, "messageId", None)}
    for name, value in fallbacks.items():
        if name not in names and value:
            out[name] = str(value)
    if "date" not in names and getattr(msg, "date", None) is not None:
        try:
            out["Date"] = format_datetime(msg.date)
        except (TypeError, ValueError):
            pass


def _to_email(msg: Any, depth: int = 0) -> EmailMessage:
    out = EmailMessage()
    _copy_headers(out, msg)
    out.set_content(msg.body or "")
    for att in msg.attachments:
        data = getattr(att, "data", None)
        name = getattr(att, "longFilename", None) or getattr(att, "shortFilename", None) or "attachment"
        if isinstance(data, (bytes, bytearray)):
            out.add_attachment(bytes(data), maintype="application", subtype="octet-stream", filename=name)
        elif data is not None and depth < MAX_DEPTH and hasattr(data, "attachments"):
            out.add_attachment(_to_email(data, depth + 1))  # an attached mail: a forwarded message/rfc822
    return out


def msg_to_eml(path: Path) -> bytes:
    """RFC 822 bytes for an Outlook .msg file; the file's own bytes when extract-msg cannot read it."""
    import extract_msg
    try:
        msg = extract_msg.openMsg(str(path), delayAttachments=False)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is kept as it is, not lost
        log.warning("%s: not a readable Outlook .msg (%s); kept as it is", path.name, type(exc).__name__)
        return path.read_bytes()
    try:
        return bytes(_to_email(msg))
    except Exception as exc:  # noqa: BLE001
        log.warning("%s: could not convert (%s); kept as it is", path.name, type(exc).__name__)
        return path.read_bytes()
    finally:
        msg.close()
