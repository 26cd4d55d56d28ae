"""The IMAP source against a real Dovecot (tests/servers/), and the Maildir source on real files."""
from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from config.settings import MailboxSettings
from ingest.imap import (
    ImapAuthError,
    ImapTlsError,
    PollReport,
    RetryPolicy,
    connect,
    poll_mailbox,
    sync_folder,
)
from ingest.maildir import poll_maildir, sync_maildir, sync_maildir_folder
from ingest.types import Batch, FolderCursor, RawMessage
from tests.mailbuilder import make_mail
from tests.servers.dovecot import DovecotServer, Message
from tests.servers.fixtures import (  # noqa: F401 - fixtures
    ImapAccount,
    dovecot_server,
    imap_account,
    imap_account_factory,
    tcp_proxy_factory,
)
from tests.servers.tcpproxy import TcpProxy

pytestmark = pytest.mark.integration

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


# ---- first, incremental and idle syncs -------------------------------------------------------------------
def test_first_sync_gets_every_message_in_batches_with_cursors(account: ImapAccount,
                                                                 client: IMAPClient) -> None:
    loaded = [mail(i) for i in range(7)]
    account.server.append(account.user, "INBOX", loaded)
    batches = collect(client, "INBOX", None, batch_size=3)
    assert [len(b.messages) for b in batches] == [3, 3, 1]
    assert [m.data for b in batches for m in b.messages] == loaded
    uidvalidity = account.server.uidvalidity(account.user)
    assert [b.cursor for b in batches] == [FolderCursor(uidvalidity, u) for u in (3, 6, 7)]
    first = batches[0].messages[0]
    assert (first.mailbox, first.folder, first.uidvalidity, first.uid) == ("mb", "INBOX", uidvalidity, 1)


def test_incremental_sync_gets_only_new_messages(account: ImapAccount, client: IMAPClient) -> None:
    account.server.append(account.user, "INBOX", [mail(i) for i in range(4)])
    cursor = collect(client, "INBOX", None)[-1].cursor
    account.server.append(account.user, "INBOX", [mail(i, "new") for i in range(3)])
    batches = collect(client, "INBOX", cursor)
    assert [message_id(m.data) for b in batches for m in b.messages] == [f"<new-{i}@busavvik.test>"
                                                                         for i in range(3)]
    assert [m.uid for b in batches for m in b.messages] == [5, 6, 7]
    assert batches[-1].cursor.last_uid == 7


def test_imaplib_trace_is_built_only_when_its_logger_shows_it(account: ImapAccount,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    """imapclient turns on imaplib's trace, which formats every fetched message even when nobody logs it."""
    account.server.append(account.user, "INBOX", [mail(1, body_kb=50)])
    quiet = connect(account.settings())
    try:
        assert quiet._imap.debug == 0
        assert len(collect(quiet, "INBOX", None)[0].messages[0].data) > 50_000
    finally:
        quiet.logout()
    with caplog.at_level(logging.DEBUG, logger="imapclient.imaplib"):
        traced = connect(account.settings())
        try:
            assert traced._imap.debug == 5
            collect(traced, "INBOX", None)
        finally:
            traced.logout()
    assert any("FETCH" in r.getMessage() for r in caplog.records if r.name == "imapclient.imaplib")


def test_idle_poll_sends_only_examine(account: ImapAccount, client: IMAPClient) -> None:
    account.server.append(account.user, "INBOX", [mail(i) for i in range(5)])
    cursor = collect(client, "INBOX", None)[-1].cursor
    log = CommandLog(client)
    assert collect(client, "INBOX", cursor) == []
    assert log.names == ["EXAMINE"]


def test_without_uidnext_the_highest_uid_from_n_star_is_not_refetched(account: ImapAccount,
                                                                       client: IMAPClient) -> None:
    account.server.append(account.user, "INBOX", [mail(i) for i in range(3)])
    cursor = collect(client, "INBOX", None)[-1].cursor
    select = client.select_folder

    def no_uidnext(folder: str, readonly: bool = False) -> dict[bytes, Any]:
        info = dict(select(folder, readonly=readonly))
        info.pop(b"UIDNEXT", None)
        return info
    client.select_folder = no_uidnext  # type: ignore[method-assign]
    log = CommandLog(client)
    assert collect(client, "INBOX", cursor) == []
    assert log.names == ["EXAMINE", "UID SEARCH"]          # UID 3:* still matched UID 3: filtered out


def test_since_limits_the_first_scan_only(account: ImapAccount, client: IMAPClient) -> None:
    old = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)
    account.server.append(account.user, "INBOX", [Message(mail(1, "old"), date=old), mail(2, "recent")])
    batches = collect(client, "INBOX", None, since=datetime(2025, 1, 1).date())
    assert [message_id(m.data) for b in batches for m in b.messages] == ["<recent-2@busavvik.test>"]
    assert batches[-1].cursor.last_uid == 2


def test_empty_folder_gets_a_cursor_and_then_idles(account: ImapAccount, client: IMAPClient) -> None:
    account.server.create_folder(account.user, "Tom")
    batches = collect(client, "Tom", None)
    assert [len(b.messages) for b in batches] == [0]
    log = CommandLog(client)
    assert collect(client, "Tom", batches[0].cursor) == []
    assert log.names == ["EXAMINE"]


# ---- read-only --------------------------------------------------------------------------------------------
def test_polling_changes_no_flag_anywhere(account: ImapAccount) -> None:
    flags = [(), ("\\Seen",), ("\\Flagged",), ("\\Seen", "\\Answered"), (), ("$Forwarded",)]
    account.server.append(account.user, "INBOX", [Message(mail(i), f) for i, f in enumerate(flags)])
    account.server.append(account.user, "Arkiv", [Message(mail(i, "ark"), f) for i, f in enumerate(flags)])
    before = account.server.flags(account.user)
    assert sum(b"\\Seen" in f for f in before["INBOX"].values()) == 2      # the test can see a change
    store = Store()
    report = store.poll(account.settings(folders=("INBOX", "Arkiv")))
    assert report.ok and report.fetched == 12
    assert account.server.flags(account.user) == before


def test_only_read_only_commands_go_on_the_wire(account: ImapAccount) -> None:
    account.server.append(account.user, "INBOX", [mail(i) for i in range(5)])
    account.server.append(account.user, "Arkiv", [mail(i, "ark") for i in range(3)])
    logs: list[CommandLog] = []

    def logged_connect(mb: Any) -> IMAPClient:
        client = connect(mb)
        logs.append(CommandLog(client))
        return client
    store = Store()
    for _ in range(2):
        assert store.poll(account.settings(folders=("INBOX", "Arkiv"), batch_size=2),
                          connect=logged_connect).ok
    names = [n for log in logs for n in log.names]
    assert {"EXAMINE", "UID SEARCH", "UID FETCH"} <= set(names) <= {
        "CAPABILITY", "EXAMINE", "UID SEARCH", "UID FETCH", "LOGOUT"}
    fetches = [line for log in logs for line in log.lines if line.split()[1:3] == [b"UID", b"FETCH"]]
    bodies = [line for line in fetches if b"BODY.PEEK[]" in line]
    sizes = [line for line in fetches if line.endswith(b"(RFC822.SIZE)\r\n")]   # planning the batches by bytes
    assert len(bodies) == 5 and len(sizes) == 2 and len(bodies) + len(sizes) == len(fetches)


# ---- UIDVALIDITY, several mailboxes, moves -----------------------------------------------------------------
def test_uidvalidity_reset_rescans_the_whole_folder(account: ImapAccount) -> None:
    account.server.append(account.user, "INBOX", [mail(i) for i in range(5)])
    store, mb = Store(), account.settings(batch_size=2)
    store.poll(mb)
    old = store.cursors["INBOX"]
    new_validity = account.server.reset_uidvalidity(account.user)
    report = store.poll(mb)
    assert report.ok and report.folders[0].uidvalidity == new_validity != old.uidvalidity
    rescanned = [m for f, b in store.batches if b.cursor.uidvalidity == new_validity for m in b.messages]
    assert sorted(message_id(m.data) for m in rescanned) == sorted(store.ids()[:5])
    assert {m.uidvalidity for m in rescanned} == {new_validity}
    assert store.cursors["INBOX"] == FolderCursor(new_validity, 5)


def test_same_message_in_two_mailboxes(imap_account_factory: Callable[[], ImapAccount]) -> None:
    first, second = imap_account_factory(), imap_account_factory()
    shared = mail(1, "both")
    first.server.append(first.user, "INBOX", [shared])
    second.server.append(second.user, "INBOX", [mail(9, "other"), shared])
    got = {}
    for account in (first, second):
        store = Store()
        assert store.poll(account.settings()).ok
        got[account.user] = [(m.mailbox, m.uid, m.data) for _f, b in store.batches for m in b.messages]
    assert got[first.user] == [(first.user, 1, shared)]
    assert got[second.user][1] == (second.user, 2, shared)


def test_message_moved_between_folders_shows_up_in_the_new_folder(account: ImapAccount) -> None:
    account.server.append(account.user, "INBOX", [mail(i) for i in range(3)])
    account.server.create_folder(account.user, "Arkiv")
    store, mb = Store(), account.settings(folders=("INBOX", "Arkiv"))
    store.poll(mb)
    account.server.move(account.user, "INBOX", "Arkiv", 2)
    seen = len(store.batches)
    report = store.poll(mb)
    assert report.ok
    moved = [(f, m.uid, message_id(m.data)) for f, b in store.batches[seen:] for m in b.messages]
    assert moved == [("Arkiv", 1, "<m-1@busavvik.test>")]


def test_a_missing_folder_is_reported_and_the_others_are_polled(account: ImapAccount) -> None:
    account.server.append(account.user, "INBOX", [mail(1)])
    store = Store()
    report = store.poll(account.settings(folders=("Finns inte", "INBOX")))
    assert report.fetched == 1
    assert [bool(f.error) for f in report.folders] == [True, False]
    assert "Finns inte" in report.errors[0]


# ---- network failures --------------------------------------------------------------------------------------
def test_cut_mid_fetch_reconnects_and_delivers_everything(
        account: ImapAccount, tcp_proxy_factory: Callable[[], TcpProxy]) -> None:
    loaded = [mail(i, "big", body_kb=50) for i in range(30)]
    account.server.append(account.user, "INBOX", loaded)
    proxy = tcp_proxy_factory()
    proxy.cut_after(400_000)             # in the middle of the first 10 × 50 kB FETCH
    proxy.cut_after(900_000)             # and again, later, on the second connection
    store = Store()
    report = store.poll(account.settings(port=proxy.port, batch_size=10))
    assert report.ok, report.errors
    assert proxy.cuts == 2 and report.folders[0].retries == 2
    assert sorted(set(store.ids())) == sorted(message_id(m) for m in loaded)
    assert store.cursors["INBOX"].last_uid == 30


def test_stalled_server_times_out_and_the_poll_resumes(
        account: ImapAccount, tcp_proxy_factory: Callable[[], TcpProxy]) -> None:
    account.server.append(account.user, "INBOX", [mail(i, "s", body_kb=20) for i in range(10)])
    proxy = tcp_proxy_factory()
    proxy.stall_after(60_000)
    store = Store()
    report = store.poll(account.settings(port=proxy.port, batch_size=5, timeout=1.0))
    assert report.ok and report.folders[0].retries == 1
    assert len(set(store.ids())) == 10


def test_unreachable_server_is_reported_not_raised(account: ImapAccount) -> None:
    from tests.servers.dovecot import free_port
    report = Store().poll(account.settings(port=free_port(), folders=("INBOX", "Arkiv")))
    assert not report.ok and all(f.fatal for f in report.folders)
    assert "network error after 4 attempts" in report.errors[0]


# ---- authentication and TLS --------------------------------------------------------------------------------
def test_wrong_password_is_a_clear_auth_error_without_the_password(account: ImapAccount,
                                                                    tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("hemligt-fel-losen-123")
    with pytest.raises(ImapAuthError) as caught:
        connect(account.settings(password_file=str(wrong)))
    text = str(caught.value)
    assert account.user in text and "refused the login" in text and "AUTHENTICATIONFAILED" in text
    assert "hemligt-fel-losen-123" not in text and account.password not in text
    report = Store().poll(account.settings(password_file=str(wrong), folders=("INBOX", "Arkiv")))
    assert [f.fatal for f in report.folders] == [True, True]
    assert all("hemligt" not in e for e in report.errors)


def test_tls_verifies_with_the_ca_file(account: ImapAccount) -> None:
    account.server.append(account.user, "INBOX", [mail(1)])
    for mb in (account.tls_settings(), account.tls_settings(host="localhost"),
               account.settings(security="starttls", ca_file=str(account.server.ca_file))):
        store = Store()
        report = store.poll(mb)
        assert report.ok and report.fetched == 1, (mb.security, mb.host, report.errors)


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_without_the_ca_fails_clearly(account: ImapAccount, security: str) -> None:
    mb = account.tls_settings(ca_file="", security=security)
    if security == "starttls":
        mb = replace(mb, port=account.server.port)
    with pytest.raises(ImapTlsError, match=r"TLS certificate of 127\.0\.0\.1:\d+ was not accepted "
                                           r"\(unable to get local issuer certificate\); set ca_file"):
        connect(mb)
    report = Store().poll(mb)
    assert report.folders[0].fatal and "ca_file" in report.errors[0]


def test_insecure_skip_verify_works_but_is_logged(account: ImapAccount,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ingest.imap"):
        connect(account.tls_settings(ca_file="", insecure_skip_verify=True)).logout()
    assert "verification is OFF" in caplog.text


def test_plain_imap_is_refused_for_a_remote_host(account: ImapAccount) -> None:
    with pytest.raises(ImapTlsError, match="only for a loopback host"):
        connect(account.settings(host="imap.example.se"))


# ---- the Maildir source ------------------------------------------------------------------------------------
def _maildir(root: Path, subs: tuple[str, ...] = ()) -> None:
    for folder in (root, *(root / f".{s}" for s in subs)):
        for d in ("cur", "new", "tmp"):
            (folder / d).mkdir(parents=True, exist_ok=True)


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_size)
            for p in sorted(root.rglob("*"))}


def test_maildir_source_reads_everything_and_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    _maildir(root, ("Sent", "Arkiv.2025"))
    (root / "new" / "1.a.host").write_bytes(mail(1))
    (root / "cur" / "2.b.host:2,S").write_bytes(mail(2))
    (root / ".Sent" / "cur" / "3.c.host:2,").write_bytes(mail(3))
    (root / ".Arkiv.2025" / "new" / "4.d.host").write_bytes(mail(4))
    (root / "tmp" / "5.e.host").write_bytes(mail(5))            # still being delivered: not a message
    before = _snapshot(root)
    store = Store()
    for folder, batch in sync_maildir("md", root, store.cursors.get, batch_size=1):
        store.handle(folder, batch)
    assert sorted(store.ids()) == [f"<m-{i}@busavvik.test>" for i in range(1, 5)]
    assert sorted({f for f, _b in store.batches}) == ["Arkiv.2025", "INBOX", "Sent"]
    assert all(b.cursor.uidvalidity == 0 and m.uid is None for _f, b in store.batches for m in b.messages)
    assert _snapshot(root) == before


def _ids(batches: list[Batch]) -> list[str]:
    return [message_id(m.data) for b in batches for m in b.messages]


def test_maildir_cursor_gives_new_files_and_never_misses_one(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    _maildir(root)
    (root / "cur" / "1.a:2,").write_bytes(mail(1))
    later = lambda: time.time_ns() + 10 * 10**9          # noqa: E731 - "the scan runs 10 s later"
    cursor = list(sync_maildir_folder("md", root, "INBOX", None, clock=later))[-1].cursor
    assert list(sync_maildir_folder("md", root, "INBOX", cursor, clock=later)) == []      # idle
    (root / "new" / "2.b").write_bytes(mail(2))                  # arrives after the first sync
    assert _ids(list(sync_maildir_folder("md", root, "INBOX", cursor, clock=later))) == ["<m-2@busavvik.test>"]
    # scanned right when 2.b arrived: delivered now, and again next time (within the safety margin)
    now = (root / "new" / "2.b").stat().st_ctime_ns
    near = list(sync_maildir_folder("md", root, "INBOX", cursor, clock=lambda: now))
    assert _ids(near) == ["<m-2@busavvik.test>"]
    assert _ids(list(sync_maildir_folder("md", root, "INBOX", near[-1].cursor, clock=later))) == \
        ["<m-2@busavvik.test>"]


def test_maildir_resuming_after_any_batch_misses_nothing(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    _maildir(root)
    for i in range(12):                                          # many share a ctime (coarse clock)
        (root / "cur" / f"{i}.x:2,").write_bytes(mail(i))
    later = lambda: time.time_ns() + 10 * 10**9          # noqa: E731
    batches = list(sync_maildir_folder("md", root, "INBOX", None, batch_size=3, clock=later))
    assert len(_ids(batches)) == 12
    for k, batch in enumerate(batches):
        resumed = _ids(batches[:k + 1]) + _ids(list(sync_maildir_folder(
            "md", root, "INBOX", batch.cursor, batch_size=3, clock=later)))
        assert sorted(set(resumed)) == sorted(_ids(batches)), k


def test_poll_maildir_reports_a_missing_maildir(tmp_path: Path) -> None:
    from config.settings import MailboxSettings
    report = poll_maildir(MailboxSettings(name="md", type="maildir", path=str(tmp_path / "nope")), Store())
    assert not report.ok and "not a Maildir" in report.errors[0]


# ---- XOAUTH2 token (msal replaced by a fake; no network) ----------------------------------------------------
class FakeApp:
    calls: list[dict[str, Any]] = []

    def __init__(self, client_id: str, client_credential: Any, authority: str) -> None:
        self.calls.append({"client_id": client_id, "credential": client_credential, "authority": authority})
        self.result: dict[str, Any] = FakeApp.next_result

    next_result: dict[str, Any] = {}

    def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any]:
        self.calls[-1]["scopes"] = scopes
        return self.result


def _oauth_mb(monkeypatch: pytest.MonkeyPatch, **kw: Any) -> Any:
    from config.settings import MailboxSettings
    monkeypatch.setenv("BUSAVVIK_TEST_OAUTH", "klient-hemlighet-42")
    return MailboxSettings(name="hsf", host="outlook.office365.com", username="bus@sll.se", auth="xoauth2",
                           oauth_tenant="contoso-tenant", oauth_client_id="app-123",
                           oauth_client_secret_env="BUSAVVIK_TEST_OAUTH", **kw)


def test_xoauth2_token_by_client_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.imap_auth import xoauth2_token
    FakeApp.calls, FakeApp.next_result = [], {"access_token": "tok-abc"}
    assert xoauth2_token(_oauth_mb(monkeypatch), app_factory=FakeApp) == "tok-abc"
    assert FakeApp.calls == [{"client_id": "app-123", "credential": "klient-hemlighet-42",
                              "authority": "https://login.microsoftonline.com/contoso-tenant",
                              "scopes": ["https://outlook.office365.com/.default"]}]


def test_xoauth2_refused_token_is_a_clear_error_without_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.imap_auth import xoauth2_token
    FakeApp.next_result = {"error": "invalid_client",
                           "error_description": "AADSTS7000215: Invalid client secret provided.\nTrace ID: x"}
    with pytest.raises(ImapAuthError) as caught:
        xoauth2_token(_oauth_mb(monkeypatch), app_factory=FakeApp)
    text = str(caught.value)
    assert "refused a token for client 'app-123' in tenant 'contoso-tenant': invalid_client" in text
    assert "AADSTS7000215" in text and "Trace ID" not in text and "klient-hemlighet-42" not in text


def test_xoauth2_certificate_needs_a_thumbprint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from ingest.imap_auth import xoauth2_token
    pem = tmp_path / "app.pem"
    pem.write_text("-----BEGIN PRIVATE KEY-----\n...\n")
    mb = _oauth_mb(monkeypatch, oauth_certificate_file=str(pem))
    with pytest.raises(ImapAuthError, match="needs oauth_certificate_thumbprint"):
        xoauth2_token(mb, app_factory=FakeApp)
    FakeApp.calls, FakeApp.next_result = [], {"access_token": "tok"}
    xoauth2_token(replace(mb, oauth_certificate_thumbprint="AB12"), app_factory=FakeApp)
    assert FakeApp.calls[0]["credential"] == {"private_key": pem.read_text(), "thumbprint": "AB12"}


def test_a_refused_xoauth2_login_is_an_auth_error(account: ImapAccount,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.imap_auth
    monkeypatch.setattr(ingest.imap_auth, "xoauth2_token", lambda _mb: "token-that-must-not-leak")
    with pytest.raises(ImapAuthError, match="refused the XOAUTH2 token") as caught:
        connect(account.settings(auth="xoauth2"))
    assert "token-that-must-not-leak" not in str(caught.value)


def test_a_connection_cut_during_login_is_retried_not_an_auth_error(
        account: ImapAccount, tcp_proxy_factory: Callable[[], TcpProxy]) -> None:
    account.server.append(account.user, "INBOX", [mail(1)])
    proxy = tcp_proxy_factory()
    proxy.cut_before(b"Logged in")        # the answer to LOGIN never arrives
    report = Store().poll(account.settings(port=proxy.port))
    assert report.ok and report.fetched == 1 and report.folders[0].retries == 1, report.errors
    assert proxy.cuts == 1


def test_non_ascii_password_logs_in(dovecot_server: DovecotServer, tmp_path: Path) -> None:
    user, password = f"utf8-{uuid.uuid4().hex[:6]}", "hemlig-lösenÅrd-42"
    dovecot_server.add_user(user, password)
    secret = tmp_path / "pw"
    secret.write_text(password, encoding="utf-8")
    mb = MailboxSettings(name=user, host="127.0.0.1", port=dovecot_server.port, security="none", username=user,
                         password_file=str(secret), timeout=10.0)
    connect(mb).logout()
