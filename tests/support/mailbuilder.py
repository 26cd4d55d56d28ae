"""Building realistic .eml bytes for tests and the bundled sample: Outlook-like headers, forms attached."""
from __future__ import annotations

import base64
import hashlib
import struct
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SECRETARIAT = ("BUS-avvikelser@storsthlm.se", "BUS-avvikelser.hsf@sll.se")


def thread_index(conversation: str, replies: int = 0) -> str:
    """An Outlook Thread-Index: 6 bytes time + 16 bytes GUID (from `conversation`) + 5 bytes per reply."""
    guid = hashlib.md5(conversation.encode()).digest()
    head = struct.pack(">Q", 0x01D9_0000_0000_0000)[:6]
    return base64.b64encode(head + guid + b"\x00\x01\x02\x03\x04" * replies).decode()


def exchange_id(seed: str) -> str:
    token = hashlib.sha1(seed.encode()).hexdigest().upper()
    return f"<AM0PR{token[:2]}MB{token[2:6]}{token[6:38]}@AM0PR{token[38:40]}MB1234.eurprd04.prod.outlook.com>"


def make_mail(*, subject: str, sender: str, to: list[str], cc: list[str] | None = None, when: datetime,
              body: str = "", message_id: str | None = None, in_reply_to: str | None = None,
              references: list[str] | None = None, thread: str | None = None, thread_replies: int = 0,
              attachments: list[tuple[str, bytes]] | None = None, extra_headers: dict[str, str] | None = None,
              forwarded: bytes | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when.astimezone(timezone.utc))
    msg["Message-ID"] = message_id or exchange_id(f"{subject}{sender}{when.isoformat()}")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    if thread:
        msg["Thread-Topic"] = thread
        msg["Thread-Index"] = thread_index(thread, thread_replies)
    for key, value in (extra_headers or {}).items():
        msg[key] = value
    msg.set_content(body or "Hej,\n\nSe bifogad blankett.\n\nMed vänlig hälsning")
    for name, data in attachments or []:
        msg.add_attachment(data, maintype="application", subtype=DOCX_TYPE.split("/")[1], filename=name)
    if forwarded is not None:
        from email import message_from_bytes, policy
        msg.add_attachment(message_from_bytes(forwarded, policy=policy.default))
    return bytes(msg)
