"""Benchmark: `busavvik reparse` over N stored forms (floor: 10,000 in <= 20 s; peak RSS <= 250 MB).

    .venv/bin/python bench/reparse.py [--count 10000] [--workers 2]

Loads N deviation mails (each with a filled form) into a fresh SQLite store through the real pipeline,
then times a full re-parse (parsing, classification and linking with the current rules) as a dry run,
and in the same run the single-process parse-only baseline of the same raw bytes.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.rules import default_rules  # noqa: E402
from ingest.types import RawMessage  # noqa: E402
from parsers.mailform import parse_mail_and_form  # noqa: E402
from pipeline.batch import Pipeline  # noqa: E402
from pipeline.reparse import reparse  # noqa: E402
from store.db import Database  # noqa: E402
from tests.support.formbuilder import SHAPES, build_form  # noqa: E402
from tests.support.mailbuilder import SECRETARIAT, exchange_id, make_mail  # noqa: E402

FLOOR_S = 20.0           # seconds for 10,000 stored forms (issue 15; issue 5's target was 15 s)
RSS_FLOOR_MB = 250
UNITS = ["BUP Farsta", "Socialtjänsten Huddinge", "Habilitering Nacka", "BUMM Tumba", "Hagaskolan"]


def mails(count: int) -> list[bytes]:
    start = datetime(2025, 1, 1, 9, tzinfo=timezone.utc)
    out = []
    for i in range(count):
        values = {"event_type": f"Händelse {i}", "units_involved": [UNITS[i % 5]],
                  "description": f"Beskrivning nummer {i} av vad som hände vid SIP-mötet",
                  "reported_date": date(2025, 1, 1) + timedelta(days=i % 300),
                  "reporter_unit": UNITS[(i + 1) % 5], "reporter_email": f"rep{i}@example.se"}
        form = build_form(values, shape=SHAPES[i % len(SHAPES)])
        out.append(make_mail(subject=f"BUS-avvikelse {i}", sender=f"rep{i}@example.se", to=["mottagare@sll.se"],
                             cc=list(SECRETARIAT), when=start + timedelta(hours=i), message_id=exchange_id(str(i)),
                             attachments=[("blankett.docx", form)]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    rules = default_rules()
    t0 = time.perf_counter()
    raws = mails(args.count)
    print(f"built {len(raws)} mails in {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        t0 = time.perf_counter()
        stats = Pipeline(db, rules).ingest(RawMessage("bench", "INBOX", r) for r in raws)
        print(f"ingested {stats.new} ({stats.deviations} deviations) in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        for raw in raws:
            parse_mail_and_form(raw, rules)
        baseline = time.perf_counter() - t0
        with db.factory() as session, session.begin():
            t0 = time.perf_counter()
            changes = reparse(session, rules, workers=args.workers)
            elapsed = time.perf_counter() - t0
            session.rollback()
    print(f"parse-only baseline (1 process): {baseline:.2f} s  ({baseline / len(raws) * 1000:.2f} ms/message)")
    print(f"reparse of {len(raws)} stored forms ({args.workers} workers, dry run): {elapsed:.2f} s "
          f"({len(raws) / elapsed:.0f} msg/s, {len(changes)} changes); floor <= {FLOOR_S:g} s for 10,000: "
          f"{'met' if elapsed <= FLOOR_S * len(raws) / 10_000 else 'NOT met'}; "
          f"ratio to baseline {elapsed / baseline:.2f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this benchmark process, which holds all {len(raws):,} mails and the ingest: {rss:.0f} MB "
          f"(the {RSS_FLOOR_MB} MB floor is the sync's: bench/imap_sync.py prints it)")


if __name__ == "__main__":
    main()
