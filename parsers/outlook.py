"""Outlook .msg items (saved mail, or mail "forwarded as attachment") as RFC 822 bytes, with extract-msg.

Pure: bytes in, bytes out.  The transport headers Outlook kept (Message-ID, References, Thread-Index, …)
are carried over, so a .msg and the same mail fetched over IMAP are one message.
"""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

_SKIP = {"content-type", "content-transfer-encoding", "mime-version", "content-disposition"}
MAX_DEPTH = 10


class OutlookError(Exception):
    """The bytes are not an Outlook item extract-msg can read."""


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


def _attachments(msg: Any) -> list[Any]:
    """The item's attachments; for an S/MIME item extract-msg could not open (encrypted), its smime.p7m."""
    found = list(msg.attachments)
    if not found and getattr(msg, "classType", "").upper().startswith("IPM.NOTE.SMIME"):
        found = list(getattr(msg, "rawAttachments", None) or [])
    return found


def _to_email(msg: Any, depth: int = 0) -> EmailMessage:
    out = EmailMessage()
    _copy_headers(out, msg)
    out.set_content(msg.body or "")
    for att in _attachments(msg):
        data = getattr(att, "data", None)
        name = getattr(att, "longFilename", None) or getattr(att, "shortFilename", None) or "attachment"
        if isinstance(data, (bytes, bytearray)):
            out.add_attachment(bytes(data), maintype="application", subtype="octet-stream", filename=name)
        elif data is not None and depth < MAX_DEPTH and hasattr(data, "attachments"):
            out.add_attachment(_to_email(data, depth + 1))  # an attached mail: a forwarded message/rfc822
    return out


def msg_to_rfc822(data: bytes) -> bytes:
    """RFC 822 bytes for an Outlook item; OutlookError when extract-msg cannot read it."""
    import extract_msg
    try:
        msg = extract_msg.openMsg(data, delayAttachments=False)
    except Exception as exc:  # noqa: BLE001 - extract-msg raises many kinds on bad input
        raise OutlookError(type(exc).__name__) from None
    try:
        return bytes(_to_email(msg))
    except Exception as exc:  # noqa: BLE001
        raise OutlookError(type(exc).__name__) from None
    finally:
        msg.close()
