"""The idle-poll part of bench/imap_sync.py: `poll_once` with nothing new against a bare login + EXAMINE +
logout, and the IMAP commands each sends; plus the mailbox and app set-up both parts share.

Split out of bench/imap_sync.py, which re-exports these names. Project modules are imported where used
(see bench/imap_sync.py).
"""
from __future__ import annotations

import imaplib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from busavvik.context import AppContext
    from config.settings import MailboxSettings
    from tests.support.servers.dovecot import DovecotServer

BATCH = 200


def _mailbox(server: DovecotServer, user: str, password: str, name: str) -> MailboxSettings:
    from config.settings import MailboxSettings
    secret = server.root / f"{user}.secret"
    secret.write_text(password)
    return MailboxSettings(name=name, host="127.0.0.1", port=server.port, security="none", username=user,
                           password_file=str(secret), batch_size=BATCH)


def _app(db_url: str, *mailboxes: MailboxSettings) -> AppContext:
    from busavvik.context import AppContext
    from config.settings import Settings
    app = AppContext()
    app.settings = Settings(database_url=db_url, mailboxes=tuple(mailboxes))
    return app


# ---- idle polls --------------------------------------------------------------------------------------------
class CommandLog:
    """Every IMAP command sent in this process while active (imaplib's and imapclient's own sending both go
    through IMAP4.send; a command line starts with the connection's tag prefix)."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self._send: Callable[..., object] | None = None

    def __enter__(self) -> CommandLog:
        self._send = original = imaplib.IMAP4.send
        log = self.commands

        def send(imap: imaplib.IMAP4, data: bytes) -> object:
            prefix = imap.tagpre
            if data.startswith(prefix) and data[len(prefix):len(prefix) + 1].isdigit():
                words = data.split(b"\r\n", 1)[0].split(b" ")
                name = words[1] if len(words) > 1 else b"?"
                if name.upper() == b"UID" and len(words) > 2:
                    name = b"UID " + words[2]
                log.append(name.decode("ascii", "replace").upper())
            return original(imap, data)

        imaplib.IMAP4.send = send  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        imaplib.IMAP4.send = self._send  # type: ignore[method-assign]

    @property
    def after_login(self) -> list[str]:
        names = self.commands
        return names[names.index("LOGIN") + 1:] if "LOGIN" in names else names


def bare_poll(server: DovecotServer, user: str, password: str) -> None:
    from imapclient import IMAPClient
    client = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=60)
    client.login(user, password)
    client.select_folder("INBOX", readonly=True)
    client.logout()


@dataclass
class IdleResult:
    label: str
    messages: int
    raw_ms: float
    poll_ms: float
    raw_commands: list[str]
    poll_commands: list[str]
    first_sync: str

    @property
    def ratio(self) -> float:
        return self.poll_ms / self.raw_ms


def time_idle(server: DovecotServer, user: str, password: str, app: AppContext, label: str, messages: int,
              first_sync: str, repeats: int) -> IdleResult:
    """Medians of `poll_once(app)` (nothing new) and a bare login+EXAMINE+logout, interleaved."""
    from busavvik.poll import poll_once
    def raw() -> None:
        bare_poll(server, user, password)

    def poll() -> None:
        results = poll_once(app)
        assert results[0].error is None, results[0].error
        assert results[0].stats.new + results[0].stats.duplicates == 0, "an idle poll fetched mail"

    raw()
    poll()                                      # warm up: index, auth cache, engine, rules
    with CommandLog() as raw_log:
        raw()
    with CommandLog() as poll_log:
        poll()
    raw_samples, poll_samples = [], []
    for _ in range(repeats):
        for fn, samples in ((raw, raw_samples), (poll, poll_samples)):
            started = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - started)
    return IdleResult(label, messages, statistics.median(raw_samples) * 1000,
                      statistics.median(poll_samples) * 1000, raw_log.after_login, poll_log.after_login,
                      first_sync)


def idle_folder(server: DovecotServer, work: Path, size: int, repeats: int) -> IdleResult:
    """A user of its own with `size` small messages; its store gets the cursor by a real first sync (up to
    10,000 messages) or set directly to what a complete sync leaves (UIDVALIDITY, UIDNEXT-1)."""
    from imapclient import IMAPClient

    from bench.imap_raw import load, small_message
    from busavvik.poll import poll_once
    from ingest.types import FolderCursor
    from store.message_rows import set_cursor
    user, password = f"idle{size}", f"idle-{size}-password"
    server.add_user(user, password)
    load(server, (small_message(i) for i in range(size)), user=user)
    mb = _mailbox(server, user, password, name=user)
    app = _app(f"sqlite:///{work / f'{user}.sqlite'}", mb)
    client = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=600)
    client.login(user, password)
    info = client.select_folder("INBOX", readonly=True)        # builds Dovecot's index, outside the timing
    client.logout()
    if size <= 10_000:
        first = poll_once(app)[0]
        assert first.error is None and first.stats.new == size, (first.error, first.stats)
        how = f"cursor from a real first sync of {size:,} messages"
    else:
        with app.db.session() as session:
            set_cursor(session, mb.name, "INBOX",
                       FolderCursor(int(info[b"UIDVALIDITY"]), int(info[b"UIDNEXT"]) - 1))
        how = "cursor set to UIDVALIDITY/UIDNEXT-1 as a complete sync leaves it"
    return time_idle(server, user, password, app, f"{size:,}-message folder", size, how, repeats)
