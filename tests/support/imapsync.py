"""Shared helpers of the IMAP and Maildir source tests: test mails, a recording sink, a command log."""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from imapclient import IMAPClient

from ingest.imap import (
    PollReport,
    RetryPolicy,
    connect,
    poll_mailbox,
    sync_folder,
)
from ingest.types import Batch, FolderCursor, RawMessage
from tests.support.mailbuilder import make_mail
from tests.support.servers.fixtures import ImapAccount

NO_WAIT = RetryPolicy(attempts=4, base_delay=0.0, sleep=lambda _s: None)
MID_RE = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.M | re.I)


def mail(n: int, tag: str = "m", body_kb: int = 1) -> bytes:
    when = datetime(2026, 3, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=n)
    data = make_mail(subject=f"Avvikelse {tag} {n}", sender="chef.a@example.se",
                     to=["chef.b@example.se"], cc=["BUS-avvikelser@storsthlm.se"], when=when,
                     body=("Rad med text.\n" * (body_kb * 70))[: body_kb * 1024],
                     message_id=f"<{tag}-{n}@busavvik.test>")
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def message_id(data: bytes) -> str:
    found = MID_RE.search(data)
    assert found, data[:200]
    return found.group(1).decode()


@dataclass
class Store:
    """What a sink (ingest/sink.py) does: keep every batch's messages, then save the cursor (per folder)."""
    cursors: dict[str, FolderCursor] = field(default_factory=dict)
    batches: list[tuple[str, Batch]] = field(default_factory=list)
    retry: list[tuple[int, int]] = field(default_factory=list)   # set-aside messages to ask for again

    def cursor(self, folder: str) -> FolderCursor | None:
        return self.cursors.get(folder)

    def retries_due(self, folder: str) -> list[tuple[int, int]]:
        return list(self.retry)

    def ahead(self, messages: Sequence[RawMessage]) -> None:
        return None

    def commit(self, folder: str, batch: Batch, ahead: object = None) -> None:
        self.handle(folder, batch)

    def handle(self, folder: str, batch: Batch) -> None:
        self.batches.append((folder, batch))
        self.cursors[folder] = batch.cursor

    def ids(self, folder: str | None = None) -> list[str]:
        return [message_id(m.data) for f, b in self.batches if folder in (None, f) for m in b.messages]

    def poll(self, mb: Any, **kwargs: Any) -> PollReport:
        return poll_mailbox(mb, self, policy=NO_WAIT, **kwargs)


def collect(client: IMAPClient, folder: str, cursor: FolderCursor | None, **kw: Any) -> list[Batch]:
    return list(sync_folder(client, "mb", folder, cursor, **kw))


class CommandLog:
    """Records every IMAP command a client sends, from what goes on the wire (imaplib's `send`)."""
    TAGGED = re.compile(rb"^[A-Z]{4}\d+ (UID [A-Z]+|[A-Z]+)")

    def __init__(self, client: IMAPClient) -> None:
        self.names: list[str] = []
        self.lines: list[bytes] = []
        imap = client._imap
        original = imap.send

        def send(data: bytes) -> Any:
            found = self.TAGGED.match(data)
            if found:
                self.names.append(found.group(1).decode())
                self.lines.append(data)
            return original(data)
        imap.send = send


@pytest.fixture
def account(imap_account: ImapAccount) -> ImapAccount:
    return imap_account


@pytest.fixture
def client(account: ImapAccount) -> Iterator[IMAPClient]:
    c = connect(account.settings())
    yield c
    c.logout()
