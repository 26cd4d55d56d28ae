"""Shared pieces of the reliability harness (tests/support/crash.py, faults.py, readonly.py, fuzz.py, privacy.py and
the short CI versions in tests/test_reliability_*.py).

* `backfill(n)`: realistic BUS mail with unique Message-IDs; every third carries a filled-in form, every
  fifth answers an earlier one in its thread.
* `write_config()`: a TOML config for the real `busavvik` command line.
* `store_vs_mailbox()`: lost / duplicated / extra, from the source side: every message the IMAP server
  delivers (Message-ID and content hash) against the rows and cases stored.
* `mailbox_fingerprint()`: a hash of every (folder, UID, flags incl. \\Recent) plus each folder's STATUS
  (UIDVALIDITY, HIGHESTMODSEQ, MESSAGES, RECENT, UNSEEN, UIDNEXT): any STORE, even one undone later, raises
  HIGHESTMODSEQ; a SELECT instead of EXAMINE takes \\Recent; an EXPUNGE removes a UID.
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

from sqlalchemy import select  # noqa: E402

from parsers.headers import normalise_id  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import Case, Message  # noqa: E402
from tests.support.formbuilder import SAMPLE_VALUES, build_form  # noqa: E402
from tests.support.mailbuilder import SECRETARIAT, make_mail  # noqa: E402
from tests.support.servers.dovecot import DovecotServer  # noqa: E402

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
    """Counted from the source side: what the server delivers against the rows stored.  (Counting Message-IDs
    or UIDs stored twice could never find anything: both are UNIQUE columns.)"""
    in_mailbox: int              # distinct messages on the server (Message-ID; several UIDs may hold one)
    stored: int                  # message rows in the database
    lost: int                    # on the server, no row holds it (by Message-ID or by content hash)
    duplicated: int              # rows beyond the first that hold a delivered message (same Message-ID or the
                                 # same bytes under another id, e.g. a synthetic one)
    extra: int                   # rows that hold no delivered message (for a backfill-only store: must be 0)
    duplicated_cases: int = 0    # cases beyond the first opened by one delivered message

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def server_message_ids(server: DovecotServer, user: str, folders: Iterable[str] = ("INBOX",)) -> Counter[str]:
    """How many UIDs hold each (normalised) Message-ID."""
    return Counter({mid: len(shas) for mid, shas in server_messages(server, user, folders).items()})


def server_messages(server: DovecotServer, user: str, folders: Iterable[str] = ("INBOX",)
                    ) -> dict[str, list[str]]:
    """Every message the server delivers (read-only): normalised Message-ID → sha256 of each copy's bytes,
    the bytes a poll fetches (BODY.PEEK[])."""
    found: dict[str, list[str]] = {}
    client = server.login(user)
    try:
        for folder in folders:
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            for i in range(0, len(uids), 200):
                data = client.fetch(uids[i:i + 200], [b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]", b"BODY.PEEK[]"])
                for item in data.values():
                    raw = item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode("ascii", "replace")
                    value = raw.split(":", 1)[1] if ":" in raw else ""
                    found.setdefault(normalise_id(value), []).append(hashlib.sha256(item[b"BODY[]"]).hexdigest())
    finally:
        client.logout()
    return found


def compare(delivered: dict[str, list[str]], rows: Iterable[tuple[int, str, str]],
            case_sources: Iterable[int | None]) -> Comparison:
    """Delivered messages (Message-ID → content hashes) against stored rows (id, Message-ID, sha256) and the
    source message of every case."""
    by_sha = {sha: mid for mid, shas in delivered.items() for sha in shas}
    holders: Counter[str] = Counter()
    source_of: dict[int, str] = {}
    stored = extra = 0
    for pk, mid, sha in rows:
        stored += 1
        key = mid if mid in delivered else by_sha.get(sha)
        if key is None:
            extra += 1
            continue
        holders[key] += 1
        source_of[pk] = key
    opened = Counter(source_of[pk] for pk in case_sources if pk in source_of)
    return Comparison(in_mailbox=len(delivered), stored=stored, lost=len(set(delivered) - set(holders)),
                      duplicated=sum(n - 1 for n in holders.values()), extra=extra,
                      duplicated_cases=sum(n - 1 for n in opened.values()))


def store_vs_mailbox(db_url: str, server: DovecotServer, user: str, mailbox: str,
                     folders: Sequence[str] = ("INBOX",)) -> Comparison:
    delivered = server_messages(server, user, folders)
    db = Database(db_url)
    try:
        with db.session() as s:
            rows = [(pk, mid, sha) for pk, mid, sha in
                    s.execute(select(Message.id, Message.message_id, Message.raw_sha256)).tuples()]
            sources = list(s.scalars(select(Case.source_message_id)))
    finally:
        db.dispose()
    return compare(delivered, rows, sources)


FINGERPRINT_STATUS = [b"UIDVALIDITY", b"HIGHESTMODSEQ", b"MESSAGES", b"RECENT", b"UNSEEN", b"UIDNEXT"]


def mailbox_fingerprint(server: DovecotServer, user: str) -> tuple[str, int]:
    """(sha256 over every folder's STATUS (UIDVALIDITY, HIGHESTMODSEQ, MESSAGES, RECENT, UNSEEN, UIDNEXT) and each
    (uid, flags) with \\Recent; message count).  Taken with STATUS and EXAMINE, which change nothing.

    HIGHESTMODSEQ catches any STORE; \\Recent catches a SELECT where EXAMINE belongs: the first session that
    SELECTs a folder takes \\Recent from its messages, and that changes no flag and no modseq."""
    client = server.login(user)
    lines, count = [], 0
    try:
        client.enable("CONDSTORE") if client.has_capability("ENABLE") else None
        for _f, _d, name in sorted(client.list_folders(), key=lambda x: x[2]):
            status = client.folder_status(name, FINGERPRINT_STATUS)
            lines.append(f"{name} " + " ".join(f"{k.decode()}={status.get(k)}" for k in FINGERPRINT_STATUS))
            client.select_folder(name, readonly=True)
            uids = client.search(["ALL"])
            data = client.fetch(uids, ["FLAGS"]) if uids else {}
            for uid in sorted(data):
                flags = sorted(f.decode() for f in data[uid][b"FLAGS"])
                lines.append(f"{name} {uid} {' '.join(flags)}")
                count += 1
    finally:
        client.logout()
    return hashlib.sha256("\n".join(lines).encode()).hexdigest(), count


def load_with_flags(server: DovecotServer, user: str, messages: Sequence[bytes], folder: str = "INBOX") -> None:
    """APPEND with a mix of flags: unread, \\Seen, \\Flagged, \\Answered, a keyword."""
    from tests.support.servers.dovecot import Message as Item
    mixes: list[tuple[str, ...]] = [(), ("\\Seen",), ("\\Seen", "\\Flagged"), ("\\Answered", "\\Seen"),
                                     ("$Forwarded",)]
    server.append(user, folder, [Item(m, flags=mixes[i % len(mixes)]) for i, m in enumerate(messages)])


def peak_rss_mb() -> float:
    """Peak resident set size of this process (ru_maxrss is in kB on Linux)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def exit_on_failures(bench: str, failures: Sequence[str]) -> None:
    """A bench that found something wrong says what and exits 1 (a figure alone is easy to miss)."""
    for text in failures:
        print(f"FAILED {bench}: {text}")
    if failures:
        raise SystemExit(1)
    print(f"OK {bench}: every check held")


def print_figures(title: str, figures: dict[str, Any]) -> None:
    print(f"== {title}")
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"  {key.ljust(width)}  {value}")
    print("FIGURES " + json.dumps(figures, default=str, ensure_ascii=False))
