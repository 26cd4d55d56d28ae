"""How fast could a first sync be with today's parser? The sync with parts of its storing taken away.

    .venv/bin/python -m bench.sync_floor [--count 10000] [--rounds 1]

Issue 3 asks a first sync to reach half the throughput of a raw imapclient fetch. This benchmark measures
what is left when the storing is cut down, to show which parts stand between the sync and that target. In
one run, on one fresh Dovecot with the same mail as bench/imap_sync.py (~50 kB messages, half with a
filled form), each in a fresh interpreter and a fresh SQLite store, rounds interleaved:
- raw:   the raw imapclient fetch of bench/imap_sync.py (the baseline: BODY.PEEK[], 200 UIDs a batch);
- parse: the worker's fetch and parse-ahead (pipeline/pool.py, both cores); the parse results are read and
         thrown away, only the cursor is saved;
- bytes: as parse, plus the raw bytes stored as the pipeline stores them (one INSERT a batch);
- rows:  as bytes, plus one message row per message through the DB-API's executemany: no ORM, no
         linking, no cases, no places. No real storing path can be cheaper than this;
- full:  the worker's own `poll_once` path (store, parse, link), as bench/imap_sync.py times it.
Every mode goes through `busavvik.poll.poll_mailbox_once`: the same fetching thread, batches and
transactions (a batch and its cursor commit together). Two more modes take IMAP and the store away too:
- alone:  the same messages (the same seed) parsed from memory by the parser pool on both cores, as the
          sync parses them (the processes' start included) — nothing else runs;
- alone1: the same, parsed in one process on one core.
Runs as root (it starts its own Dovecot).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ingest.types import RawMessage
    from pipeline.ahead import ParseAhead
    from store.stats import IngestStats

MODES = ("alone", "alone1", "parse", "bytes", "rows", "full")
TARGET = 0.5
_ROW_SQL = ("INSERT INTO message (message_id, message_id_header, raw_sha256, subject, normalised_subject, sender,"
            " form, body_excerpt, first_seen, synthetic_id, sender_name, recipients, in_reply_to, \"references\","
            " auto_reply, kind, linked_by_human, problems, flags) VALUES (?,?,?,?,?,?,?,?,?,0,'','{}','[]','[]',"
            "0,'other',0,'[]','[]')")


def floor_pipeline(mode: str, db: Any, rules: Any) -> Any:
    """A Pipeline whose batch does only what `mode` keeps (see the module's docstring)."""
    from sqlalchemy import insert

    from pipeline.ahead import parse_batch
    from pipeline.batch import Pipeline, _Item
    from store.message_rows import now
    from store.models import RawBlob
    from store.stats import IngestStats

    class Floor(Pipeline):
        def ingest_batch(self, session: Session, raws: Iterable[RawMessage],
                         prepared: ParseAhead | None = None) -> IngestStats:
            batch = list(raws)
            shas = prepared.shas if prepared else tuple(hashlib.sha256(r.data).hexdigest() for r in batch)
            items = [_Item(raw, sha, pos) for pos, (raw, sha) in enumerate(zip(batch, shas))]
            stamp = now()
            if mode != "parse":
                session.connection().execute(insert(RawBlob), [
                    {"sha256": i.sha, "size": len(i.raw.data), "data": i.raw.data, "stored_at": stamp}
                    for i in items])
            results = parse_batch(self.parser, [(i.pos, i.raw.data) for i in items], prepared)
            rows = [(mail.message_id, mail.message_id_header, item.sha, mail.subject, mail.normalised_subject,
                     mail.sender.email if mail.sender else None,
                     json.dumps(form.__dict__, default=str) if form else None, mail.body_text[:20000],
                     stamp.isoformat()) for item, (mail, form, _problems) in zip(items, results)]
            if mode == "rows":
                cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                cursor.executemany(_ROW_SQL, rows)
            return IngestStats(new=len(rows))

    return Floor(db, rules)


def parse_alone(spec: dict[str, Any]) -> dict[str, Any]:
    """Modes alone/alone1: the messages parsed from memory, timed from the pool's start to the last result."""
    from config.rules import load_rules
    from pipeline.pool import ParserPool
    from tests.support.busmail import realistic_bus_messages
    raws = list(realistic_bus_messages(spec["count"]))
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    with_pool = ParserPool(load_rules(None), workers=2 if spec["mode"] == "alone" else 1)
    messages = sum(1 for _ in with_pool.parse(raws, len(raws)))
    with_pool.close()
    seconds = time.perf_counter() - started
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"seconds": seconds, "messages": messages, "error": None,
            "cpu_main_s": own.ru_utime + own.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime,
            "cpu_workers_s": workers.ru_utime + workers.ru_stime}


def child(spec: dict[str, Any]) -> None:
    """One sync in this fresh interpreter; its figures as JSON to spec["out"]."""
    if spec["mode"].startswith("alone"):
        Path(spec["out"]).write_text(json.dumps(parse_alone(spec)))
        return
    from bench.imap_sync import _app
    from busavvik.poll import poll_mailbox_once
    from config.settings import MailboxSettings
    from pipeline.batch import Pipeline
    mb = MailboxSettings(**spec["mailbox"])
    app = _app(spec["db_url"], mb)
    mode = spec["mode"]
    pipeline = (Pipeline(app.db, app.rules, app.settings.reminders.due_months) if mode == "full"
                else floor_pipeline(mode, app.db, app.rules))
    started = time.perf_counter()
    with pipeline:
        result = poll_mailbox_once(app, pipeline, mb)
    seconds = time.perf_counter() - started
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(spec["out"]).write_text(json.dumps({
        "seconds": seconds, "messages": result.stats.new + result.stats.duplicates, "error": result.error,
        "cpu_main_s": own.ru_utime + own.ru_stime, "cpu_workers_s": workers.ru_utime + workers.ru_stime}))


def run(mode: str, mailbox: dict[str, Any], work: Path, count: int) -> dict[str, Any]:
    store = Path(tempfile.mkdtemp(prefix=f"floor-{mode}-", dir=work))
    spec = {"mode": mode, "mailbox": mailbox, "db_url": f"sqlite:///{store / 'store.sqlite'}",
            "out": str(store / "out.json"), "count": count}
    subprocess.run([sys.executable, "-m", "bench.sync_floor", "--child", json.dumps(spec)], cwd=ROOT, check=True)
    data: dict[str, Any] = json.loads((store / "out.json").read_text())
    shutil.rmtree(store, ignore_errors=True)
    if data["error"]:
        raise RuntimeError(f"{mode}: {data['error']}")
    return data


def report(count: int, raw: list[float], runs: dict[str, list[dict[str, Any]]]) -> None:
    base = statistics.median(raw)
    print("\n" + "=" * 100)
    print(f"{count:,} messages; raw imapclient fetch {base:,.0f} msg/s (median of {len(raw)}: "
          f"{', '.join(f'{r:,.0f}' for r in raw)})")
    print(f"{'mode':<7}{'msg/s':>9}{'÷ raw':>8}{'CPU sync process':>19}{'CPU parsers':>13}   runs (msg/s)")
    for mode, results in runs.items():
        rates = [r["messages"] / r["seconds"] for r in results]
        rate = statistics.median(rates)
        main = statistics.median(r["cpu_main_s"] for r in results)
        workers = statistics.median(r["cpu_workers_s"] for r in results)
        print(f"{mode:<7}{rate:>9,.0f}{rate / base:>8.2f}{main:>17.1f} s{workers:>11.1f} s   "
              + ", ".join(f"{r:,.0f}" for r in rates))
    print(f"target: the full sync at ≥ {TARGET} of the raw fetch; 'rows' is the most any storing path could "
          "reach with today's parser;\n'alone' is the parse by itself, with no IMAP and no store: the most any "
          "sync could reach with it")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="messages (default 10000)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of all modes, interleaved (default 1)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0
    if os.geteuid() != 0:
        print("run as root: the benchmark starts its own Dovecot", file=sys.stderr)
        return 2
    from bench.imap_raw import PASSWORD, USER, load, raw_fetch, start_server
    from bench.imap_sync import BATCH, _mailbox
    from tests.support.busmail import realistic_bus_messages
    server = start_server()
    work = Path(tempfile.mkdtemp(prefix="busavvik-floor-"))
    try:
        loaded, load_s = load(server, realistic_bus_messages(args.count))
        print(f"loaded {loaded:,} messages in {load_s:.1f} s", flush=True)
        mb = _mailbox(server, USER, PASSWORD, name="bench")
        mailbox = {k: getattr(mb, k) for k in ("name", "host", "port", "security", "username", "password_file",
                                               "batch_size")}
        raw: list[float] = []
        runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
        for round_no in range(1, args.rounds + 1):
            raw.append(raw_fetch(server, BATCH).per_second)
            for mode in MODES:
                runs[mode].append(run(mode, mailbox, work, args.count))
                last = runs[mode][-1]
                print(f"round {round_no}: {mode} {last['messages'] / last['seconds']:,.0f} msg/s "
                      f"(raw {raw[-1]:,.0f})", flush=True)
        report(loaded, raw, runs)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
