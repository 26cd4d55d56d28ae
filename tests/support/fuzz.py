"""Bad input: a mutation fuzzer over real fixtures, through the whole pipeline (Pipeline(db, rules).ingest).

    .venv/bin/python tests/support/fuzz.py [--cases 10000] [--big-mb 50] [--seed 1] [--db URL] [--json]

Seeds are the realistic corpus (tests/support/corpus.py: forms, answers, forwards, auto-replies).  Each case is one
of the mutations below; every case is a RawMessage of its own (mailbox "fuzz", UID = case number):

  bitflip        1-64 random bits flipped            truncate     cut at a random byte
  headers        colon dropped, 8-bit bytes, NUL, bare CR, 200 duplicate headers, broken encoded-words
  long_header    a 998+ character header (1 kB .. 200 kB, folded or not), References with 3,000 ids
  nested         the message forwarded as message/rfc822 20 deep (every level also with a form)
  charset        wrong / unknown / UTF-16 / UTF-7 charsets, cp1252 bytes declared as UTF-8
  mime           boundaries missing or mismatched, bad base64, unterminated multipart, 2,000 parts
  attachment     a broken Word file: truncated, encrypted, macro, legacy_doc, zip_bomb, xxe, xxe in every
                 XML part (+ billion laughs), a zip truncated at a random offset, not a zip at all
and one message with a `--big-mb` MB attachment (a .docx with that much incompressible data), and one with
a small .docx whose word/document.xml inflates to `--inflated-mb` MB at ~136:1 (under the ratio and total
guards; it must be attachment_too_large, unread).

Then the inputs of issue 18's finding 1 (tests/support/fuzz_hostile.py: HTML floods, a Subject of `Re: `
prefixes, huge References and To:, RFC 2047 encoded words, multipart nested 200 and 2,000 deep) are timed at
three sizes each; `--hostile [INPUT ...]` times only those, `--no-hostile` skips them.

Figures: cases, pipeline crashes (an exception out of ingest), cases stored (raw bytes kept and a message
row found by bytes or Message-ID), broken attachments without their problem code, internal_error rows
(a parser raised and the pipeline's last resort kept the bytes), leaked /etc/passwd text (XXE), problem
codes seen, peak RSS of this process and of every parser process (read from /proc: they are children of
the fork server, not of this process) for the cases, the big message and the inflated .docx, time.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import resource
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import select  # noqa: E402

from config.rules import default_rules  # noqa: E402
from ingest.types import RawMessage  # noqa: E402
from parsers.mail import parse_email  # noqa: E402
from pipeline.batch import Pipeline  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import Message, RawBlob  # noqa: E402
from tests.support.fuzz_cases import (  # noqa: E402, F401 - re-exported for the tests
    ATTACHMENT_KINDS,
    MUTATORS,
    Case,
    big_case,
    bitflip,
    broken_attachment,
    build_corpus,
    cases,
    charset,
    headers,
    inflated_case,
    long_header,
    mime,
    nested,
    truncate,
)

PASSWD_MARK = "root:x:0:0"
# The problem code(s) a broken attachment must be stored with.
EXPECTED = {
    "truncated": {"attachment_unreadable"}, "encrypted": {"attachment_encrypted"},
    "macro": {"attachment_macro_enabled"}, "legacy_doc": {"attachment_legacy_doc"},
    "zip_bomb": {"attachment_too_large"}, "truncated_zip": {"attachment_unreadable", "attachment_too_large"},
    "not_a_zip": {"attachment_unreadable", "attachment_legacy_doc"}, "big": {"attachment_too_large"},
    "inflated": {"attachment_too_large"},
    "xxe": set(), "xxe_everywhere": set(),          # read without the entity: no code required, no leak allowed
}


# ---- running and checking -----------------------------------------------------------------------------------
def _rss_mb(who: int) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def reset_peak() -> float:
    """Reset this process's peak RSS (Linux: VmHWM) and return the current RSS in MB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


@dataclass
class Checked:
    id_of: dict[int, str]
    sha_of: dict[int, str]
    attachment_of: dict[int, str]


def measured(pipeline: Pipeline, memory: dict[str, float], name: str, step: Callable[[], None]) -> None:
    """Run `step` and record the peak RSS of this process and of the parser processes meanwhile."""
    memory[f"rss_before_{name}_mb"] = reset_peak()
    pipeline.parser.reset_peak()
    step()
    memory[f"peak_rss_{name}_mb"] = _status_mb("VmHWM")
    memory[f"peak_rss_parser_processes_{name}_mb"] = pipeline.parser.peak_rss_mb()


@dataclass
class Tally:
    """What the fuzzer counts while it feeds cases to the pipeline."""
    rules: Any
    chunk: int
    kinds: Counter[str] = field(default_factory=Counter)
    checked: Checked = field(default_factory=lambda: Checked({}, {}, {}))
    crash_kinds: Counter[str] = field(default_factory=Counter)
    parse_raised: Counter[str] = field(default_factory=Counter)

    def ingest(self, pipeline: Pipeline, batch: list[Case]) -> None:
        checked = self.checked
        for case in batch:
            self.kinds[case.kind] += 1
            checked.sha_of[case.uid] = hashlib.sha256(case.data).hexdigest()
            try:
                checked.id_of[case.uid] = parse_email(case.data, self.rules).message_id
            except Exception as exc:  # noqa: BLE001 - parse_email must never raise: counted
                self.parse_raised[type(exc).__name__] += 1
                checked.id_of[case.uid] = ""
            if case.attachment:
                checked.attachment_of[case.uid] = case.attachment
        try:
            pipeline.ingest([RawMessage("fuzz", "INBOX", c.data, 1, c.uid) for c in batch], chunk=self.chunk)
        except Exception as exc:  # noqa: BLE001 - this is what the fuzzer counts
            self.crash_kinds[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1


def _feed_cases(pipeline: Pipeline, tally: Tally, memory: dict[str, float], count: int, seed: int) -> None:
    memory["rss_at_start_mb"] = reset_peak()
    batch: list[Case] = []
    for case in cases(count, seed):
        batch.append(case)
        if len(batch) >= tally.chunk:
            tally.ingest(pipeline, batch)
            batch = []
    if batch:
        tally.ingest(pipeline, batch)
    memory["peak_rss_cases_mb"] = _status_mb("VmHWM")
    memory["peak_rss_parser_processes_cases_mb"] = pipeline.parser.peak_rss_mb()


def _feed_big(pipeline: Pipeline, tally: Tally, memory: dict[str, float], count: int, big_mb: int,
              inflated_mb: int) -> None:
    if big_mb:
        big = big_case(count + 1, big_mb)
        memory["big_message_mb"] = round(len(big.data) / 2**20, 1)
        measured(pipeline, memory, "big", lambda: tally.ingest(pipeline, [big]))
        del big
    if inflated_mb:
        docx = inflated_case(count + 2, inflated_mb)
        measured(pipeline, memory, "inflated_docx", lambda: tally.ingest(pipeline, [docx]))
    memory["peak_rss_parser_processes_mb"] = max(v for k, v in memory.items()
                                                 if k.startswith("peak_rss_parser_processes_"))


def run(count: int, seed: int, big_mb: int, db_url: str, chunk: int = 50, inflated_mb: int = 48
        ) -> dict[str, Any]:
    started = time.monotonic()
    rules = default_rules()
    db = Database(db_url)
    tally = Tally(rules, chunk)
    memory: dict[str, float] = {}
    with Pipeline(db, rules) as pipeline:
        _feed_cases(pipeline, tally, memory, count, seed)
        _feed_big(pipeline, tally, memory, count, big_mb, inflated_mb)
    figures = _check(db, tally.checked)
    db.dispose()
    kinds, crash_kinds, parse_raised = tally.kinds, tally.crash_kinds, tally.parse_raised
    return {"cases": sum(kinds.values()), "kinds": dict(kinds), "pipeline_crashes": sum(crash_kinds.values()),
            "crash_kinds": dict(crash_kinds), "parse_email_raised": sum(parse_raised.values()),
            "parse_email_raised_kinds": dict(parse_raised), **figures, **memory,
            "peak_rss_process_mb": _rss_mb(resource.RUSAGE_SELF),
            "peak_rss_children_waited_for_mb": _rss_mb(resource.RUSAGE_CHILDREN),
            "peak_rss_parser_workers_mb": memory["peak_rss_parser_processes_mb"],
            "seconds": round(time.monotonic() - started, 1)}


def _check(db: Database, c: Checked) -> dict[str, Any]:
    with db.session() as s:
        blobs = set(s.scalars(select(RawBlob.sha256)))
        rows = s.execute(select(Message.message_id, Message.raw_sha256, Message.problems, Message.form,
                                Message.body_excerpt, Message.subject)).all()
    by_id = {r.message_id: r for r in rows}
    by_sha = {r.raw_sha256 for r in rows}
    lost = [uid for uid, sha in c.sha_of.items() if sha not in blobs or (sha not in by_sha and c.id_of[uid]
                                                                           not in by_id)]
    codes: Counter[str] = Counter(p.get("code") for r in rows for p in (r.problems or []))
    missing_code: dict[str, int] = Counter()
    for uid, kind in c.attachment_of.items():
        row = by_id.get(c.id_of[uid])
        got = {p.get("code") for p in (row.problems or [])} if row else set()
        if EXPECTED[kind] and not (got & EXPECTED[kind]):
            missing_code[kind] += 1
    leaks = sum(1 for r in rows if PASSWD_MARK in json.dumps([r.form, r.body_excerpt, r.subject], default=str))
    return {"stored": len(c.sha_of) - len(lost), "lost": len(lost), "lost_uids": lost[:20],
            "message_rows": len(rows), "bad_attachments": len(c.attachment_of),
            "bad_attachments_without_code": sum(missing_code.values()), "missing_code_by_kind": dict(missing_code),
            "internal_error_rows": codes.get("internal_error", 0), "xxe_leaks": leaks,
            "problem_codes": dict(sorted(codes.items(), key=lambda kv: -kv[1]))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--big-mb", type=int, default=50)
    parser.add_argument("--inflated-mb", type=int, default=48, help="the inflated .docx's document.xml (0: none)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--json", action="store_true", help="print only the figures as one JSON line")
    parser.add_argument("--hostile", nargs="*", metavar="INPUT",
                        help="only time the inputs of finding 1 (all, or those named), not the fuzz cases")
    parser.add_argument("--no-hostile", action="store_true", help="skip the timings of the inputs of finding 1")
    args = parser.parse_args()
    if args.hostile is not None:
        print_hostile(tuple(args.hostile), args.json)
        return
    with tempfile.TemporaryDirectory(prefix="busavvik-fuzz-") as tmp:
        figures = run(args.cases, args.seed, args.big_mb, args.db or f"sqlite:///{Path(tmp) / 'fuzz.db'}",
                      inflated_mb=args.inflated_mb)
    if args.json:
        print(json.dumps(figures))
        return
    from tests.support import harness
    harness.print_figures(f"fuzz: {args.cases} cases + one {args.big_mb} MB attachment (seed {args.seed})", figures)
    if not args.no_hostile:
        print_hostile((), False)


def print_hostile(only: tuple[str, ...], as_json: bool) -> None:
    """Timings of the inputs that once took quadratic time, and the over-deep multipart trees."""
    from tests.support import fuzz_hostile, harness
    rules = default_rules()
    figures = {**fuzz_hostile.hostile_timings(rules, only), **(fuzz_hostile.nesting_figures(rules) if not only
                                                              else {})}
    if as_json:
        print(json.dumps(figures))
        return
    harness.print_figures("hostile inputs (issue 18, finding 1): seconds per input at each size", figures)


if __name__ == "__main__":
    main()
