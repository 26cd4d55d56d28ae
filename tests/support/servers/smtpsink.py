"""A real SMTP server for tests: aiosmtpd on a free loopback port, raw bytes into a Maildir.

Each accepted message is written unchanged (`envelope.original_content`) to `<root>/Maildir/new/` and one
JSON line (sender, recipients, file) to `<root>/envelopes.jsonl`.  `fail_next(n, code)` makes the next n
transactions end with a temporary error at the end of DATA (e.g. 451), `drop_next(n)` closes the
connection at that point instead (the client cannot know whether the message was accepted).
`refuse(address, reply)` makes RCPT TO of that address get `reply` (e.g. "550 5.1.1 no such user");
`SmtpSink(root, smtputf8=False)` does not offer SMTPUTF8 (aiosmtpd's Controller offers it by default), so a
client must not send it a non-ASCII address.
"""
from __future__ import annotations

import email
import email.policy
import json
import logging
import os
import socket
import ssl
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.servers import guard

# aiosmtpd logs every connection at INFO from its own thread, which may outlive a test's captured stream
# ("I/O operation on closed file"); its warnings and errors still show.
logging.getLogger("mail.log").setLevel(logging.WARNING)

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


class SinkHandler:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.maildir = root / "Maildir"
        for sub in ("tmp", "new", "cur"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        self.log = root / "envelopes.jsonl"
        self.lock = threading.Lock()
        self.failures: list[str] = []         # "451" | "drop", consumed one per transaction
        self.refused: dict[str, str] = {}     # RCPT TO address (lower case) -> the reply it gets
        self.rcpt_seen: list[str] = []        # every RCPT TO address asked for, accepted or not

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        with self.lock:
            self.rcpt_seen.append(address)
            reply = self.refused.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            action = self.failures.pop(0) if self.failures else None
        if action == "drop":
            assert server.transport is not None
            server.transport.abort()
            return "250 dropped"              # never reaches the client
        if action:
            return f"{action} 4.3.0 Try again later (test sink)"
        data = envelope.original_content or b""
        with self.lock:
            key = f"{time.time_ns()}.{uuid.uuid4().hex}.sink"
            (self.maildir / "tmp" / key).write_bytes(data)
            os.replace(self.maildir / "tmp" / key, self.maildir / "new" / key)
            with self.log.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos, "key": key}) + "\n")
        return "250 OK"


class SmtpSink:
    """Start/stop a sink; read back what arrived with `messages()`."""

    def __init__(self, root: Path, tls: ssl.SSLContext | None = None, smtputf8: bool = True) -> None:
        """With `tls`, the server offers STARTTLS and requires it before MAIL."""
        self.root = root
        self.handler = SinkHandler(root)
        self.port = free_port()
        extra: dict[str, object] = {"tls_context": tls, "require_starttls": True} if tls else {}
        extra["enable_SMTPUTF8"] = smtputf8
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **extra)

    def __enter__(self) -> Self:
        guard.server_started("the SMTP sink")
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def fail_next(self, n: int, code: int = 451) -> None:
        with self.handler.lock:
            self.handler.failures.extend([str(code)] * n)

    def refuse(self, address: str, reply: str = "550 5.1.1 Recipient address rejected (test sink)") -> None:
        with self.handler.lock:
            self.handler.refused[address.lower()] = reply

    def drop_next(self, n: int = 1) -> None:
        with self.handler.lock:
            self.handler.failures.extend(["drop"] * n)

    def messages(self) -> list[Received]:
        if not self.handler.log.exists():
            return []
        out = []
        for line in self.handler.log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            data = (self.handler.maildir / "new" / entry["key"]).read_bytes()
            out.append(Received(entry["from"], entry["to"], data))
        return out


def self_signed(directory: Path) -> tuple[Path, Path]:
    """(cert, key) for localhost/127.0.0.1, made with openssl; the cert doubles as the client's ca_file."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx
