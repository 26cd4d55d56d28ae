"""Shared pieces of the reliability harness (tests/support/crash.py, faults.py, readonly.py, fuzz.py, privacy.py and
the short CI versions in tests/test_reliability_*.py).

* `backfill(n)`: realistic BUS mail with unique Message-IDs; every third carries a filled-in form, every
  fifth answers an earlier one in its thread.
* `write_config()`: a TOML config for the real `busavvik` command line.
* `store_vs_mailbox()`: lost / duplicated, comparing the database with what the IMAP server holds.
* `mailbox_fingerprint()`: a hash of every (folder, UIDVALIDITY, UID, flags) plus each folder's
  HIGHESTMODSEQ (any STORE, even one undone later, raises it).
* `busavvik()`: run the installed CLI in a subprocess, output captured.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:                          # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from parsers.headers import normalise_id  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import Location, Message  # noqa: E402
from tests.formbuilder import SAMPLE_VALUES, build_form  # noqa: E402
from tests.mailbuilder import SECRETARIAT, make_mail  # noqa: E402
from tests.servers.dovecot import DovecotServer  # noqa: E402

BUSAVVIK = str(Path(sys.executable).with_name("busavvik"))
DOMAIN = "harness.example.se"
RECEIVERS = ("chef.mottagare@socialtjanst.stockholm.se", "chef.bup@bup.sll.se", "rektor@skola.solna.se")


def message_id(i: int, tag: str = "bf") -> str:
    return f"<{tag}-{i:06d}@{DOMAIN}>"


def _form(i: int) -> bytes:
    """A filled-in form of its own (sections 1-3 differ), so that each one opens a case."""
    values = dict(SAMPLE_VALUES, event_type=f"Uteblivet deltagande vid SIP-möte nummer {i}",
                  description=f"SIP-kallelse {i} skickades fyra veckor före mötet\nBUP uteblev",
                  reported_date=date(2026, 1, 1) + timedelta(days=i % 300))
    return build_form(values)


def backfill(n: int, *, tag: str = "bf", start: datetime = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
             ) -> list[bytes]:
    """`n` realistic messages (a few kB; with a form ~15 kB), oldest first, Message-IDs from `message_id`."""
    out = []
    for i in range(n):
        when = start + timedelta(minutes=37 * i)
        receiver = RECEIVERS[i % len(RECEIVERS)]
        if i % 5 == 4:      # an answer to the deviation before it
            prev = message_id(i - 1, tag)
            out.append(make_mail(subject=f"SV: BUS-avvikelse {i - 1}", sender=receiver, to=["rapportor@bup.sll.se"],
                                 cc=list(SECRETARIAT), when=when, message_id=message_id(i, tag), in_reply_to=prev,
                                 references=[prev], body=f"Hej,\n\nVi har tagit emot avvikelsen och svarar {i}.\n"))
            continue
        attachments = [("Avvikelseblankett BUS.docx", _form(i))] if i % 3 == 0 else []
        out.append(make_mail(subject=f"BUS-avvikelse {i}", sender="rapportor@bup.sll.se", to=[receiver],
                             cc=list(SECRETARIAT), when=when, message_id=message_id(i, tag),
                             body=f"Hej,\n\nBifogar en BUS-avvikelse nummer {i}.\n\nHälsningar\n" + "text " * 200,
                             attachments=attachments))
    return out


# ---- configuration and the command line ------------------------------------------------------------------
def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value))


def write_config(path: Path, db_url: str, mailboxes: Sequence[dict[str, Any]] = (),
                 **sections: dict[str, Any]) -> Path:
    """A config file: [database], [[mailboxes]] and any other table given as keyword (smtp=..., logging=...)."""
    lines = ["[database]", f"url = {_toml(db_url)}", ""]
    for name, table in sections.items():
        lines += [f"[{name}]", *(f"{k} = {_toml(v)}" for k, v in table.items()), ""]
    for mb in mailboxes:
        lines += ["[[mailboxes]]", *(f"{k} = {_toml(v)}" for k, v in mb.items()), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def imap_mailbox(server: DovecotServer, user: str, password_file: Path, name: str = "storsthlm",
                 **extra: Any) -> dict[str, Any]:
    return {"name": name, "host": "127.0.0.1", "port": server.port, "security": "none", "username": user,
            "password_file": str(password_file), **extra}


def password_file(server: DovecotServer, user: str, password: str) -> Path:
    secrets = server.root / "harness-secrets"
    secrets.mkdir(exist_ok=True, mode=0o700)
    path = secrets / user
    path.write_text(password)
    os.chmod(path, 0o600)
    return path


def busavvik(config: Path | None, *args: str, env: dict[str, str] | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess[str]:
    cmd = [BUSAVVIK, *(["--config", str(config)] if config else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
                          cwd=tempfile.gettempdir())


def spawn(config: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen([BUSAVVIK, "--config", str(config), *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})},
                            cwd=tempfile.gettempdir())


# ---- comparing the store with the mailbox ----------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    in_mailbox: int              # distinct Message-IDs on the server
    stored: int                  # message rows in the database
    lost: int                    # on the server, not in the database
    duplicated: int              # Message-IDs stored more than once + server UIDs with more than one location
    extra: int                   # in the database, not on the server (for a backfill-only store: must be 0)

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def server_message_ids(server: DovecotServer, user: str, folders: Iterable[str] = ("INBOX",)) -> Counter[str]:
    client = server.login(user)
    found: Counter[str] = Counter()
    try:
        for folder in folders:
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            for i in range(0, len(uids), 1000):
                data = client.fetch(uids[i:i + 1000], [b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
                for item in data.values():
                    raw = item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode("ascii", "replace")
                    value = raw.split(":", 1)[1] if ":" in raw else ""
                    found[normalise_id(value)] += 1
    finally:
        client.logout()
    return found


def store_vs_mailbox(db_url: str, server: DovecotServer, user: str, mailbox: str,
                     folders: Sequence[str] = ("INBOX",)) -> Comparison:
    on_server = server_message_ids(server, user, folders)
    db = Database(db_url)
    try:
        with db.session() as s:
            stored = Counter(s.scalars(select(Message.message_id)))
            per_uid = s.execute(select(Location.folder, Location.uidvalidity, Location.uid, func.count())
                                .where(Location.mailbox == mailbox)
                                .group_by(Location.folder, Location.uidvalidity, Location.uid)).all()
    finally:
        db.dispose()
    dup = sum(n - 1 for n in stored.values() if n > 1) + sum(n - 1 for *_k, n in per_uid if n > 1)
    return Comparison(in_mailbox=len(on_server), stored=sum(stored.values()),
                      lost=len(set(on_server) - set(stored)), duplicated=dup,
                      extra=len(set(stored) - set(on_server)))


def mailbox_fingerprint(server: DovecotServer, user: str) -> tuple[str, int]:
    """(sha256 over every folder's UIDVALIDITY, HIGHESTMODSEQ and each (uid, flags); message count)."""
    client = server.login(user)
    lines, count = [], 0
    try:
        client.enable("CONDSTORE") if client.has_capability("ENABLE") else None
        for _f, _d, name in sorted(client.list_folders(), key=lambda x: x[2]):
            status = client.folder_status(name, [b"UIDVALIDITY", b"HIGHESTMODSEQ", b"MESSAGES"])
            lines.append(f"{name} uv={status[b'UIDVALIDITY']} modseq={status.get(b'HIGHESTMODSEQ')}")
            client.select_folder(name, readonly=True)
            uids = client.search(["ALL"])
            data = client.fetch(uids, ["FLAGS"]) if uids else {}
            for uid in sorted(data):
                flags = sorted(f.decode() for f in data[uid][b"FLAGS"] if f != b"\\Recent")
                lines.append(f"{name} {uid} {' '.join(flags)}")
                count += 1
    finally:
        client.logout()
    return hashlib.sha256("\n".join(lines).encode()).hexdigest(), count


def load_with_flags(server: DovecotServer, user: str, messages: Sequence[bytes], folder: str = "INBOX") -> None:
    """APPEND with a mix of flags: unread, \\Seen, \\Flagged, \\Answered, a keyword."""
    from tests.servers.dovecot import Message as Item
    mixes: list[tuple[str, ...]] = [(), ("\\Seen",), ("\\Seen", "\\Flagged"), ("\\Answered", "\\Seen"),
                                     ("$Forwarded",)]
    server.append(user, folder, [Item(m, flags=mixes[i % len(mixes)]) for i, m in enumerate(messages)])


def peak_rss_mb() -> float:
    """Peak resident set size of this process (ru_maxrss is in kB on Linux)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_figures(title: str, figures: dict[str, Any]) -> None:
    print(f"== {title}")
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"  {key.ljust(width)}  {value}")
    print("FIGURES " + json.dumps(figures, default=str, ensure_ascii=False))
