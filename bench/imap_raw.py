"""Raw IMAP baselines against a fresh local Dovecot: bulk fetch speed and the cost of an idle poll.

    .venv/bin/python -m bench.imap_raw [--count 10000] [--big] [--disk]

1. Loads `--count` realistic ~50 kB messages (half with a ~30 kB base64 .docx attachment of random bytes)
   by writing Maildir files as the `mail` user, then times a raw imapclient fetch: EXAMINE, UID SEARCH ALL,
   `BODY.PEEK[]` in batches of 200 UIDs. Prints msg/s and MB/s.
2. Times an idle poll on 1,000 (and with --big 100,000) small messages: a raw login + EXAMINE + logout,
   and `ingest.imap` (connect + sync_folder with an up-to-date cursor + logout). Prints both and the ratio.

Runs as root (Dovecot switches to `mail`); data lives on /dev/shm (a tmpfs) unless --disk.
`bench/imap_sync.py` reuses `start_server`, `load_realistic`, `raw_fetch` and `time_idle_polls`.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

if __package__ in (None, ""):                       # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imapclient import IMAPClient  # noqa: E402

from config.settings import MailboxSettings  # noqa: E402
from ingest.imap import connect, sync_folder  # noqa: E402
from ingest.types import FolderCursor  # noqa: E402
from tests.support.servers.dovecot import DovecotServer  # noqa: E402

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
USER, PASSWORD = "bench", "bench-password"
_DATE_SENTINEL = "Fri, 01 Jan 1999 00:00:00 +0000"
WORDS = ("avvikelse", "samverkan", "vårdnadshavare", "socialtjänsten", "BUS", "skolan", "elevhälsan",
         "överenskommelse", "handläggare", "uppföljning", "kommunen", "regionen", "möte", "svar")


@dataclass(frozen=True)
class FetchResult:
    messages: int
    megabytes: float
    seconds: float

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds

    @property
    def mb_per_second(self) -> float:
        return self.megabytes / self.seconds


def _text(rng: random.Random, size: int) -> str:
    out, total = [], 0
    while total < size:
        line = " ".join(rng.choice(WORDS) for _ in range(12)) + ".\n"
        out.append(line)
        total += len(line.encode())
    return "".join(out)


def _template(variant: int, rng: random.Random, size_kb: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Chef A {variant} <chef.a{variant}@kommun{variant}.se>"
    msg["To"] = f"chef.b{variant}@region.se"
    msg["Cc"] = "BUS-avvikelser@storsthlm.se, BUS-avvikelser.hsf@sll.se"
    msg["Subject"] = "Avvikelse BUS-samverkan XXNUMBERXX"
    msg["Date"] = _DATE_SENTINEL
    msg["Message-ID"] = "<XXNUMBERXX.XXSALTXX@busavvik.bench>"
    attach = variant % 2 == 0
    body = _text(rng, int((size_kb - 42 if attach else size_kb) * 1024 * 0.4))
    msg.set_content(body)
    msg.add_alternative(f"<html><body><pre>{body}</pre></body></html>", subtype="html")
    if attach:
        msg.add_attachment(rng.randbytes(30 * 1024), maintype=DOCX.split("/")[0],
                           subtype=DOCX.split("/")[1], filename=f"Avvikelseblankett {variant}.docx")
    return msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def realistic_messages(count: int, seed: int = 7, size_kb: int = 50) -> Iterator[bytes]:
    """~size_kb kB each: text + HTML body; every second one carries a ~30 kB .docx (random bytes).

    16 templates (building MIME is slow) with a unique number, date and Message-ID per message."""
    rng = random.Random(seed)
    templates = [_template(v, rng, size_kb) for v in range(16)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(count):
        when = format_datetime(start + timedelta(minutes=7 * i)).encode()
        yield (templates[i % 16].replace(b"XXNUMBERXX", str(i).encode())
               .replace(_DATE_SENTINEL.encode(), when).replace(b"XXSALTXX", b"%08x" % rng.getrandbits(32)))


def small_message(i: int) -> bytes:
    return (f"From: a@example.se\r\nTo: b@example.se\r\nSubject: liten {i}\r\n"
            f"Message-ID: <small{i}@busavvik.bench>\r\n\r\n" + "rad\r\n" * 300).encode()


def start_server(disk: bool = False) -> DovecotServer:
    """A fresh Dovecot with user `bench`, data on /dev/shm unless `disk`."""
    base = None if disk or not Path("/dev/shm").is_dir() else "/dev/shm"
    server = DovecotServer(root=Path(tempfile.mkdtemp(prefix="busavvik-bench-", dir=base)))
    server.users[USER] = PASSWORD
    return server.start()


def load(server: DovecotServer, messages: Iterator[bytes], user: str = USER) -> tuple[int, float]:
    started = time.perf_counter()
    count = server.write_maildir(user, messages)
    return count, time.perf_counter() - started


def load_realistic(server: DovecotServer, count: int, seed: int = 7) -> tuple[int, float]:
    return load(server, realistic_messages(count, seed))


def _login(server: DovecotServer) -> IMAPClient:
    return server.login(USER, PASSWORD)


def raw_fetch(server: DovecotServer, batch_size: int = 200, traced: bool = True) -> FetchResult:
    """EXAMINE + UID SEARCH ALL + BODY.PEEK[] by `batch_size` UIDs, the way a minimal reader would.
    With `traced` False, imaplib's protocol trace that imapclient turns on is off, as in the worker
    (ingest.imap.untraced): the fastest a plain imapclient reader gets."""
    client = _login(server)
    if not traced:
        client._imap.debug = 0
    try:
        client.select_folder("INBOX", readonly=True)             # index the files first, outside the timing
        client.unselect_folder()
        started = time.perf_counter()
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search(["ALL"]))
        total = 0
        for i in range(0, len(uids), batch_size):
            for item in client.fetch(uids[i:i + batch_size], [b"BODY.PEEK[]"]).values():
                total += len(item[b"BODY[]"])
        return FetchResult(len(uids), total / 1e6, time.perf_counter() - started)
    finally:
        client.logout()


def settings(server: DovecotServer) -> MailboxSettings:
    secret = server.root / "bench.secret"
    secret.write_text(PASSWORD)
    return MailboxSettings(name="bench", host="127.0.0.1", port=server.port, security="none",
                           username=USER, password_file=str(secret))


def _raw_idle(server: DovecotServer) -> None:
    client = _login(server)
    client.select_folder("INBOX", readonly=True)
    client.logout()


def _sync_idle(mb: MailboxSettings, cursor: FolderCursor) -> Callable[[], None]:
    def poll() -> None:
        client = connect(mb)
        batches = list(sync_folder(client, mb.name, "INBOX", cursor))
        client.logout()
        assert not batches, "the cursor is up to date: an idle poll must yield nothing"
    return poll


def median_ms(fn: Callable[[], None], repeats: int) -> float:
    fn()                                                        # warm up (index, auth cache)
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def time_idle_polls(server: DovecotServer, repeats: int = 30) -> tuple[float, float]:
    """(raw login+EXAMINE+logout, ingest.imap idle poll) in ms, medians, on the server's current INBOX."""
    mb = settings(server)
    client = connect(mb)
    cursor = _up_to_date_cursor(client)         # what the caller holds after a complete sync
    client.logout()
    return median_ms(lambda: _raw_idle(server), repeats), median_ms(_sync_idle(mb, cursor), repeats)


def _up_to_date_cursor(client: IMAPClient) -> FolderCursor:
    info = client.select_folder("INBOX", readonly=True)
    return FolderCursor(int(info[b"UIDVALIDITY"]), int(info[b"UIDNEXT"]) - 1)


def bench_fetch(count: int, disk: bool) -> None:
    server = start_server(disk)
    try:
        loaded, seconds = load_realistic(server, count)
        print(f"loaded {loaded} realistic messages in {seconds:.1f} s ({server.root})")
        result = raw_fetch(server)
        average = result.megabytes * 1000 / result.messages
        print(f"raw fetch: {result.messages} msg ({average:.0f} kB avg), {result.megabytes:.0f} MB in "
              f"{result.seconds:.2f} s = "
              f"{result.per_second:,.0f} msg/s, {result.mb_per_second:.0f} MB/s")
    finally:
        server.stop()


def bench_idle(sizes: list[int], disk: bool) -> None:
    results = {}
    for size in sizes:
        server = start_server(disk)
        try:
            load(server, (small_message(i) for i in range(size)))
            raw, synced = time_idle_polls(server)
            results[size] = (raw, synced)
            print(f"idle poll at {size:,} messages: raw login+EXAMINE+logout {raw:.1f} ms, "
                  f"ingest.imap connect+sync_folder+logout {synced:.1f} ms (ratio {synced / raw:.2f})")
        finally:
            server.stop()
    if len(sizes) > 1:
        small, big = results[sizes[0]], results[sizes[-1]]
        print(f"idle poll {sizes[-1]:,} vs {sizes[0]:,} messages: raw ×{big[0] / small[0]:.2f}, "
              f"ingest.imap ×{big[1] / small[1]:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="messages for the fetch benchmark")
    parser.add_argument("--big", action="store_true", help="also time an idle poll at 100,000 messages")
    parser.add_argument("--disk", action="store_true", help="keep data on disk instead of /dev/shm")
    parser.add_argument("--skip-fetch", action="store_true", help="only the idle-poll benchmark")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("run as root: the benchmark starts its own Dovecot", file=sys.stderr)
        return 2
    if not args.skip_fetch:
        bench_fetch(args.count, args.disk)
    bench_idle([1_000, 100_000] if args.big else [1_000], args.disk)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
