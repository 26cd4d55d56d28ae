"""Benchmark: server time of the web pages over a large store (issue target: p95 <= 100 ms).

    .venv/bin/python bench/web.py [--db sqlite|postgresql|both] [--cases 10000] [--messages 100000] [--requests 200]

Fills a fresh store (SQLite in a temporary folder; PostgreSQL at $BUSAVVIK_TEST_PG, default
127.0.0.1:5432/test, in a schema of its own, dropped afterwards; both by default) with N cases (with their
receivers) and M messages by bulk insert (a tenth of the messages unlinked), then times `/arenden?ar=2026`
(its first page of 50), one `/arenden/{id}` page, `/granska` (50 a page) and two searches (`/arenden?q=`, the
full-text index: store/search.py; the first request indexes the bulk-inserted cases) through the app in-process
(starlette's TestClient, logged in), median and p95 over R requests each, beside a bare SELECT of the rows
the page shows, in the same run.
Prints the load average (the machine may be shared); exits 1 when a page's p95 is over 100 ms.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from config.rules import default_rules  # noqa: E402
from config.settings import Settings  # noqa: E402
from store import users  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import Case, CaseReceiver, Message, RawBlob  # noqa: E402
from store.review import review_sql  # noqa: E402
from store.views_ops import review_order  # noqa: E402
from tests.support import web_support as ws  # noqa: E402

EVENTS = ["Uteblivet SIP-möte", "Bristande informationsöverföring", "Remiss avvisad", "Sen kallelse"]
ORGS = [("Socialtjänst", "kommun"), ("BUP", "region"), ("BUMM", "region"), ("Habilitering", "region")]


def _case(i: int, start: datetime) -> dict[str, Any]:
    received = start + timedelta(minutes=50 * i)
    rep, rec = ORGS[i % 4], ORGS[(i + 1) % 4]
    return {"id": i + 1, "case_id": f"BUS-2026-{i + 1:05d}", "year": 2026, "seq": i + 1, "first_received": received,
            "response_due": (received + timedelta(days=61)).date(), "fingerprint": f"f{i}", "text_fingerprint": f"t{i}",
            "normalised_subject": f"bus-avvikelse {i}",
            "form": {"event_type": EVENTS[i % 4], "units_involved": [f"{rec[0]} enhet {i % 50}"],
                     "description": f"Händelse nummer {i}: kallelsen kom inte fram i tid. " * 3},
            "classification": {"reporter_org_type": rep[0], "reporter_principal": rep[1],
                               "receiver_org_types": [rec[0]], "receiver_principals": [rec[1]],
                               "principal_relation": "between" if rep[1] != rec[1] else "within",
                               "themes": ["SIP"] if i % 4 == 0 else ["Övrig samverkan runt individ"]},
            "participants": [f"a{i}@kommun.se", f"b{i}@sll.se"], "receivers": [f"b{i}@sll.se"],
            "reporters": [f"a{i}@kommun.se"], "flags": [], "response": None, "responded": i % 3 == 0,
            "status": "open", "overrides": {}}


def _message(j: int, cases: int, start: datetime) -> dict[str, Any]:
    linked = j % 10 != 0
    case = j % cases
    return {"message_id": f"m{j}@bench", "message_id_header": f"<m{j}@bench>", "synthetic_id": False,
            "raw_sha256": "0" * 64, "subject": f"SV: BUS-avvikelse {case}" if linked else f"Nyhetsbrev {j}",
            "normalised_subject": f"bus-avvikelse {case}" if linked else f"nyhetsbrev {j}",
            "sender": f"b{case}@sll.se", "sender_name": "", "recipients": {"to": [], "cc": []},
            "date": start + timedelta(minutes=5 * j), "first_seen": start + timedelta(minutes=5 * j),
            "in_reply_to": [], "references": [], "thread_index_guid": None, "auto_reply": False,
            "kind": "answer" if linked else "other", "case_pk": case + 1 if linked else None,
            "link_rule": "references" if linked else None, "linked_by_human": False, "problems": [], "flags": [],
            "form": None, "body_excerpt": "Hej"}


def _receivers(i: int) -> list[dict[str, Any]]:
    first = {"case_pk": i + 1, "email": f"b{i}@sll.se", "state": "answered" if i % 3 == 0 else "awaited"}
    return [first, {"case_pk": i + 1, "email": f"c{i}@sll.se", "state": "awaited"}] if i % 5 == 0 else [first]


def fill(db: Database, cases: int, messages: int) -> None:
    start = datetime(2026, 1, 1, 8, tzinfo=UTC)
    raw = b"From: b@sll.se\r\nSubject: x\r\n\r\nHej\r\n"
    with db.session() as s:
        s.add(RawBlob(sha256="0" * 64, size=len(raw), data=raw, stored_at=start))
        for lo in range(0, cases, 2000):
            s.execute(insert(Case), [_case(i, start) for i in range(lo, min(cases, lo + 2000))])
        for lo in range(0, cases, 2000):            # one receiver each, two for every fifth case
            s.execute(insert(CaseReceiver), [r for i in range(lo, min(cases, lo + 2000)) for r in _receivers(i)])
        for lo in range(0, messages, 5000):
            s.execute(insert(Message), [_message(j, cases, start) for j in range(lo, min(messages, lo + 5000))])
        users.add_user(s, "bench", "secretariat", ws.PASSWORD)


def timed(fn: Callable[[], object], n: int) -> tuple[float, float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


TARGET_MS = 100.0
PG_URL = os.environ.get("BUSAVVIK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def store_url(backend: str, tmp: str) -> Iterator[str]:
    """An empty store: a SQLite file in `tmp`, or a schema of its own in PostgreSQL (dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    schema = f"bench_web_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run(url: str, args: argparse.Namespace) -> list[float]:
    """Fill the store at `url`, time the three pages; their p95s."""
    db = Database(url)
    try:
        t0 = time.perf_counter()
        fill(db, args.cases, args.messages)
        if not db.sqlite:       # what autovacuum soon does to tables just filled (statistics, visibility map)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        print(f"{db.engine.dialect.name}: {args.cases} cases, {args.messages} messages "
              f"({time.perf_counter() - t0:.1f} s to fill); load average {os.getloadavg()[0]:.2f}")
        c = ws.client(db, default_rules(), settings=Settings(database_url=db.url))
        assert ws.login(c, "bench").status_code == 303
        case_id = f"BUS-2026-{args.cases // 2:05d}"
        bare: dict[str, tuple[str, Callable[[], object]]] = {
            "/arenden?ar=2026": ("SELECT the first 50 cases of 2026", lambda: _rows(
                db, select(Case).where(Case.year == 2026).order_by(Case.year, Case.seq).limit(50))),
            f"/arenden/{case_id}": ("SELECT the case and its messages", lambda: _rows(
                db, select(Message).join(Case, Case.id == Message.case_pk).where(Case.case_id == case_id))),
            "/arenden?q=kallelsen+enhet+12": ("SELECT the cases with both words", lambda: _rows(
                db, select(Case.id).where(Case.form["description"].as_string().like("%kallelsen%"),
                                          Case.form["units_involved"].as_string().like("%enhet 12%")).limit(50))),
            "/arenden?q=BUS-2026-00042": ("SELECT the case by its id", lambda: _rows(
                db, select(Case.id).where(Case.case_id == "BUS-2026-00042"))),
            "/granska": ("SELECT the newest 50 for review", lambda: _rows(
                db, select(Message).where(review_sql()).order_by(*review_order()).limit(50)))}
        p95s = []
        for path, (what, fn) in bare.items():
            assert c.get(path).status_code == 200, path
            med, p95 = timed(lambda p=path: c.get(p), args.requests)            # type: ignore[misc]
            bmed, bp95 = timed(fn, args.requests)
            p95s.append(p95)
            print(f"  {path:28} median {med:7.1f} ms  p95 {p95:7.1f} ms   | bare {what}: median {bmed:6.1f} ms"
                  f"  p95 {bp95:6.1f} ms")
        print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return p95s
    finally:
        db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = ap.parse_args()
    worst = 0.0
    for backend in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        with tempfile.TemporaryDirectory() as tmp, store_url(backend, tmp) as url:
            worst = max(worst, *run(url, args))
    print(f"slowest p95 {worst:.1f} ms (target <= {TARGET_MS:.0f} ms): {'ok' if worst <= TARGET_MS else 'TOO SLOW'}")
    sys.exit(0 if worst <= TARGET_MS else 1)


def _rows(db: Database, query: Any) -> int:
    with db.session() as s:
        return len(s.scalars(query).all())


if __name__ == "__main__":
    main()
