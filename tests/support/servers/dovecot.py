"""A real Dovecot IMAP server on loopback for tests and benchmarks (see /work/shared/MAILSERVERS.md).

Runs `dovecot -c CONFIG` as root with everything (config, state, logs, mail) in one temporary directory;
mail processes run as the stock `mail` user, users live in a passwd-file. Optional TLS with a throw-away CA
and a server certificate for DNS:localhost, IP:127.0.0.1.

The helpers that change mail (append, move, UIDVALIDITY reset) act as a *person* or an admin would; the code
under test never does any of that.
"""
from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from imapclient import IMAPClient

from tests.support.servers import guard
from tests.support.servers.dovecot_setup import (  # noqa: F401 - re-exported
    _CONFIG,
    INSTALL_HINT,
    DovecotError,
    _alive,
    _run,
    free_port,
    make_tls_files,
    require_binaries,
)


@dataclass(frozen=True)
class Message:
    """One message to load: raw bytes, flags (e.g. ("\\Seen",)) and an optional internal date."""
    data: bytes
    flags: tuple[str, ...] = ()
    date: datetime | None = None


@dataclass
class DovecotServer:
    """Start with `start()`, stop with `stop()`; `port` is plain IMAP, `ssl_port` IMAPS (when tls=True)."""
    tls: bool = False
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="busavvik-dovecot-")))
    port: int = field(default_factory=free_port)
    ssl_port: int = field(default_factory=free_port)
    users: dict[str, str] = field(default_factory=dict)
    ca_file: Path | None = None
    mail_uid: int = field(default_factory=lambda: pwd.getpwnam("mail").pw_uid)
    mail_gid: int = field(default_factory=lambda: grp.getgrnam("mail").gr_gid)
    host: str = "127.0.0.1"

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    # ---- lifecycle -----------------------------------------------------------------------------------------
    def start(self, timeout: float = 20.0) -> DovecotServer:
        """Configure and start; on any failure nothing is left running or on disk."""
        guard.dovecot_started(self.root)
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, timeout: float) -> None:
        require_binaries()
        self.root.chmod(0o755)
        (self.root / "home").mkdir(exist_ok=True)
        os.chown(self.root / "home", self.mail_uid, self.mail_gid)
        ssl_files = imaps = ""
        if self.tls:
            self.ca_file, cert, key = make_tls_files(self.root)
            ssl_files = f"ssl_cert = <{cert}\nssl_key = <{key}"
            imaps = f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {self.ssl_port}\n" \
                    "    ssl = yes\n  }\n"
        self.config.write_text(_CONFIG.format(
            root=self.root, uid=self.mail_uid, gid=self.mail_gid, port=self.port, imaps=imaps,
            ssl="yes" if self.tls else "no", ssl_files=ssl_files))
        self._write_passwd()
        self.add_user("probe", "probe-password")
        _run(["doveconf", "-c", str(self.config), "-n"])
        _run(["dovecot", "-c", str(self.config)])
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                self.login("probe", "probe-password").logout()
                return
            except Exception as exc:  # noqa: BLE001 - anything means "not yet"
                last = exc
                time.sleep(0.05)
        raise DovecotError(f"Dovecot on 127.0.0.1:{self.port} did not accept a LOGIN within {timeout} s "
                           f"(last error: {last!r}); log:\n{self.log_tail()}")

    def stop(self) -> None:
        pid_file = self.root / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            _run(["doveadm", "-c", str(self.config), "stop"], check=False)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.05)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def restart(self) -> None:
        _run(["doveadm", "-c", str(self.config), "stop"], check=False)
        pid_file = self.root / "run" / "master.pid"
        deadline = time.monotonic() + 10
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        _run(["dovecot", "-c", str(self.config)])
        self._wait_ready(20)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join((self.root / "dovecot.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # ---- users and mail ------------------------------------------------------------------------------------
    def _write_passwd(self) -> None:
        path = self.root / "passwd"
        path.write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self.users.items()))
        os.chown(path, 0, grp.getgrnam("dovecot").gr_gid)
        path.chmod(0o640)

    def add_user(self, user: str, password: str) -> None:
        """Add a passwd-file user; on a running server, wait until it can log in (Dovecot re-checks the
        file at most once a second; a failed login costs ~0.5 s, so wait for the next second first)."""
        self.users[user] = password
        self._write_passwd()
        if (self.root / "run" / "master.pid").exists():
            time.sleep(1.02 - time.time() % 1)   # a lookup in the next second re-reads the file
            deadline = time.monotonic() + 5
            while True:
                try:
                    self.login(user).logout()
                    return
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)

    def maildir(self, user: str) -> Path:
        return self.root / "home" / user / "Maildir"

    def login(self, user: str, password: str | None = None) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        secret = password if password is not None else self.users[user]
        if secret.isascii():
            client.login(user, secret)
        else:
            client.plain_login(user, secret)
        return client

    def create_folder(self, user: str, folder: str) -> None:
        client = self.login(user)
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
        finally:
            client.logout()

    def append(self, user: str, folder: str, messages: Iterable[Message | bytes], chunk: int = 200) -> None:
        """Load messages through the server with MULTIAPPEND (as a mail client would)."""
        items = [m if isinstance(m, Message) else Message(m) for m in messages]
        client = self.login(user)
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for start in range(0, len(items), chunk):
                client.multiappend(folder, [_append_item(m) for m in items[start:start + chunk]])
        finally:
            client.logout()

    def write_maildir(self, user: str, messages: Iterable[bytes], folder: str = "INBOX",
                      flags: str = "") -> int:
        """Write files straight into Maildir/cur as the `mail` user (fast bulk loading); returns the count."""
        base = self.maildir(user) if folder == "INBOX" else self.maildir(user) / f".{folder}"
        for path in (self.root / "home" / user, self.maildir(user), base, base / "cur", base / "new",
                     base / "tmp"):
            path.mkdir(exist_ok=True)
            os.chown(path, self.mail_uid, self.mail_gid)
        stamp, count = int(time.time()), 0
        for count, data in enumerate(messages, 1):
            crlf = len(data) + data.count(b"\n") - data.count(b"\r\n")
            path = base / "cur" / f"{stamp}.M{count}P{os.getpid()}.busavvik,S={len(data)},W={crlf}:2,{flags}"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, data)
                os.fchown(fd, self.mail_uid, self.mail_gid)
            finally:
                os.close(fd)
        return count

    def flags(self, user: str) -> dict[str, dict[int, tuple[bytes, ...]]]:
        """{folder: {uid: flags}} of every folder, read with EXAMINE + FETCH FLAGS.

        \\Recent is left out: it is per session, not a stored flag a reader could change."""
        client = self.login(user)
        try:
            out: dict[str, dict[int, tuple[bytes, ...]]] = {}
            for flags, _delim, name in client.list_folders():
                if b"\\Noselect" in flags or b"\\NonExistent" in flags:
                    continue                  # a parent made by a folder below it: holds no mail
                client.select_folder(name, readonly=True)
                uids = client.search(["ALL"])
                data = client.fetch(uids, ["FLAGS"]) if uids else {}
                out[name] = {uid: tuple(sorted(f for f in item[b"FLAGS"] if f != b"\\Recent"))
                             for uid, item in data.items()}
            return out
        finally:
            client.logout()

    def move(self, user: str, src: str, dst: str, uid: int) -> None:
        """Move one message as a person would (MOVE; the message gets a new UID in `dst`)."""
        client = self.login(user)
        try:
            if not client.folder_exists(dst):
                client.create_folder(dst)
            client.select_folder(src)
            client.move([uid], dst)
        finally:
            client.logout()

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        client = self.login(user)
        try:
            return int(client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])
        finally:
            client.logout()

    def reset_uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        """Give `folder` a new UIDVALIDITY (as an admin's repair would); returns the new value."""
        new = self.uidvalidity(user, folder) + 1000
        _run(["doveadm", "-c", str(self.config), "mailbox", "update", "-u", user, "--uid-validity",
              str(new), folder])
        got = self.uidvalidity(user, folder)
        if got != new:
            raise DovecotError(f"UIDVALIDITY of {user}/{folder} is {got} after reset, expected {new}")
        return new


def _append_item(message: Message) -> dict[str, object]:
    item: dict[str, object] = {"msg": message.data, "flags": message.flags}
    if message.date is not None:
        item["date"] = message.date
    return item
