"""Bad input: a mutation fuzzer over real fixtures, through the whole pipeline (Pipeline(db, rules).ingest).

    .venv/bin/python tests/support/fuzz.py [--cases 10000] [--big-mb 50] [--seed 1] [--db URL] [--json]

Seeds are the realistic corpus (tests/corpus.py: forms, answers, forwards, auto-replies).  Each case is one
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
import base64
import hashlib
import io
import json
import random
import resource
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import select  # noqa: E402

from config.rules import default_rules  # noqa: E402
from ingest.types import RawMessage  # noqa: E402
from parsers.mail import parse_email  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import Message, RawBlob  # noqa: E402
from store.pipeline import Pipeline  # noqa: E402
from tests.corpus import build as build_corpus  # noqa: E402
from tests.formbuilder import SAMPLE_VALUES, build_broken, build_form, build_inflated  # noqa: E402
from tests.mailbuilder import DOCX_TYPE, SECRETARIAT, make_mail  # noqa: E402

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


@dataclass
class Case:
    uid: int
    kind: str
    data: bytes
    attachment: str | None = None       # the broken-attachment kind, when the case carries one


# ---- mutations ----------------------------------------------------------------------------------------------
def bitflip(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 64)):
        i = rng.randrange(len(buf))
        buf[i] ^= 1 << rng.randrange(8)
    return bytes(buf)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def _split(data: bytes) -> tuple[list[bytes], bytes]:
    head, sep, body = data.partition(b"\r\n\r\n") if b"\r\n\r\n" in data else data.partition(b"\n\n")
    return head.splitlines(), body


def headers(data: bytes, rng: random.Random) -> bytes:
    lines, body = _split(data)
    i = rng.randrange(len(lines))
    how = rng.randrange(7)
    if how == 0:
        lines[i] = lines[i].replace(b":", b"", 1)
    elif how == 1:
        lines[i] = lines[i] + bytes(rng.randrange(128, 256) for _ in range(40))
    elif how == 2:
        lines[i] = lines[i] + b"\x00\x00 \r trailing"
    elif how == 3:
        lines += [b"X-Dup: " + str(n).encode() for n in range(200)] + [b"Subject: a second subject"] * 5
    elif how == 4:
        lines.append(b"Subject: =?utf-8?B?####not-base64?= =?x-unknown?Q?abc?= =?utf-8?Q?=FF=FE?=")
    elif how == 5:
        lines.append(b"From: =?utf-8?q?\xff?= <<<@@@>>>, \"unterminated <a@b")
    else:
        lines.insert(i, b"Message-ID: <" + b"\xc3\x28" * 10 + b">")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def long_header(data: bytes, rng: random.Random) -> bytes:
    size = rng.choice((999, 5_000, 50_000, 200_000))
    if rng.random() < 0.5:
        value = ("Ä" * size).encode()
    else:
        value = b"\r\n ".join(("ord" * 30).encode() for _ in range(size // 90 + 1))
    refs = b" ".join(b"<ref%d@example.se>" % n for n in range(3000))
    return b"Subject: " + value + b"\r\nReferences: " + refs + b"\r\nThread-Topic: " + b"x" * 5000 + b"\r\n" + data


def nested(data: bytes, rng: random.Random, depth: int = 20) -> bytes:
    """`data` forwarded `depth` times as message/rfc822, each level with a form of its own."""
    form = build_form(SAMPLE_VALUES)
    inner = data
    for level in range(depth):
        msg = EmailMessage()
        msg["From"], msg["To"] = f"vidare{level}@kommun.se", SECRETARIAT[0]
        msg["Subject"] = "VB: " * (level + 1) + "BUS-avvikelse"
        msg["Message-ID"] = f"<nested-{level}-{rng.getrandbits(48):x}@fuzz.example.se>"
        msg.set_content(f"Vidarebefordrar, nivå {level}")
        msg.add_attachment(form, maintype="application", subtype=DOCX_TYPE.split("/")[1],
                           filename=f"blankett{level}.docx")
        _attach_rfc822(msg, inner)
        inner = bytes(msg)
    return inner


def _attach_rfc822(msg: EmailMessage, inner: bytes) -> None:
    from email import message_from_bytes, policy
    msg.add_attachment(message_from_bytes(inner, policy=policy.default))


def charset(data: bytes, rng: random.Random) -> bytes:
    choice = rng.choice((b"iso-8859-1", b"utf-16", b"utf-7", b"x-bogus-charset", b"cp1252", b"\"\"", b"ascii"))
    out = data.replace(b'charset="utf-8"', b'charset="' + choice + b'"').replace(b"charset=utf-8",
                                                                                 b"charset=" + choice)
    if rng.random() < 0.5:
        out += "\r\nÅÄÖ åäö € – ”citat”\r\n".encode("cp1252")
    if rng.random() < 0.3:
        out = b"Subject: =?" + choice + b"?B?" + base64.b64encode("Hälsning".encode("utf-16")) + b"?=\r\n" + out
    return out


def mime(data: bytes, rng: random.Random) -> bytes:
    how = rng.randrange(5)
    if how == 0:
        return data.replace(b"boundary=", b"boundary=wrong", 1)
    if how == 1:
        return data.rsplit(b"--\r\n", 1)[0] if b"--\r\n" in data else data[:-50]
    if how == 2:
        return data.replace(b"Content-Transfer-Encoding: base64\r\n\r\n",
                            b"Content-Transfer-Encoding: base64\r\n\r\n!!*&^%$#@\x00", 1)
    if how == 3:
        parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\ndel %d\r\n" % n for n in range(2000))
        return (b"From: a@b.se\r\nSubject: manga delar\r\nMIME-Version: 1.0\r\n"
                b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts)
    return data.replace(b"Content-Type: multipart/mixed", b"Content-Type: multipart/mixed; boundary=\"\"", 1)


def _xxe_everywhere() -> bytes:
    """Every XML part with a DOCTYPE declaring an external entity and a billion-laughs entity, used."""
    prolog = ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
              '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
              '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
              '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">]>\n')
    src = zipfile.ZipFile(io.BytesIO(build_form(SAMPLE_VALUES)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            text = src.read(info).decode("utf-8")
            if text.startswith("<?xml"):
                text = text.split("?>", 1)[1]
            first = text.index(">") + 1
            zf.writestr(info.filename, prolog + text[:first] + "&xxe;&f;" + text[first:])
    return out.getvalue()


def broken_attachment(kind: str, rng: random.Random) -> bytes:
    if kind == "xxe_everywhere":
        return _xxe_everywhere()
    if kind == "truncated_zip":
        whole = build_form(SAMPLE_VALUES)
        return whole[: rng.randrange(2, len(whole) - 22)]
    if kind == "not_a_zip":
        return rng.randbytes(rng.randint(0, 5000))
    return build_broken(kind)


def big_docx(megabytes: int) -> bytes:
    """A .docx whose media member is `megabytes` MiB of incompressible bytes (stored, not deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for info in zipfile.ZipFile(io.BytesIO(build_form(SAMPLE_VALUES))).infolist():
            zf.writestr(info, zipfile.ZipFile(io.BytesIO(build_form(SAMPLE_VALUES))).read(info))
        zf.writestr("word/media/image1.png", random.Random(0).randbytes(megabytes << 20))
    return out.getvalue()


def _mail_with(attachment: bytes, filename: str, uid: int) -> bytes:
    return make_mail(subject=f"BUS-avvikelse med trasig bilaga {uid}", sender="rapportor@bup.sll.se",
                     to=["chef@socialtjanst.stockholm.se"], cc=list(SECRETARIAT),
                     when=datetime(2026, 3, 2, 9, tzinfo=UTC),
                     message_id=f"<fuzz-attachment-{uid}@fuzz.example.se>", attachments=[(filename, attachment)])


MUTATORS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "bitflip": bitflip, "truncate": truncate, "headers": headers, "long_header": long_header,
    "charset": charset, "mime": mime,
}
ATTACHMENT_KINDS = ("truncated", "encrypted", "macro", "legacy_doc", "zip_bomb", "xxe", "xxe_everywhere",
                    "truncated_zip", "not_a_zip")


def cases(count: int, seed: int) -> Iterator[Case]:
    rng = random.Random(seed)
    seeds = [data for _name, data, _boxes in build_corpus().mails]
    kinds = [*MUTATORS, "nested", "attachment", "attachment"]
    for uid in range(1, count + 1):
        kind = kinds[uid % len(kinds)] if uid <= len(kinds) else rng.choice(kinds)
        if kind == "attachment":
            which = ATTACHMENT_KINDS[uid % len(ATTACHMENT_KINDS)]
            name = "avvikelse.docm" if which == "macro" else "avvikelse.doc" if which == "legacy_doc" else \
                "Avvikelseblankett.docx"
            yield Case(uid, kind, _mail_with(broken_attachment(which, rng), name, uid), which)
        elif kind == "nested":
            yield Case(uid, kind, nested(rng.choice(seeds), rng, depth=20))
        else:
            yield Case(uid, kind, MUTATORS[kind](rng.choice(seeds), rng))


def big_case(uid: int, megabytes: int) -> Case:
    """The mail with one `megabytes` MB .docx, composed by hand (the email package would need ~10x)."""
    body = base64.encodebytes(big_docx(megabytes)).replace(b"\n", b"\r\n")
    head = (f"From: rapportor@bup.sll.se\r\nTo: chef@socialtjanst.stockholm.se\r\nCc: {SECRETARIAT[0]}\r\n"
            f"Subject: BUS-avvikelse med stor bilaga\r\nMessage-ID: <fuzz-big-{uid}@fuzz.example.se>\r\n"
            "Date: Mon, 02 Mar 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"big\"\r\n\r\n--big\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nHej, se bifogad blankett.\r\n--big\r\n"
            f"Content-Type: {DOCX_TYPE}\r\nContent-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=\"Avvikelseblankett stor.docx\"\r\n\r\n").encode()
    return Case(uid, "big", head + body + b"--big--\r\n", "big")


def inflated_case(uid: int, xml_mb: int) -> Case:
    """A mail with a 0.36 MB .docx whose word/document.xml is `xml_mb` MB (~136:1): 1.6 GB when read whole."""
    return Case(uid, "inflated", _mail_with(build_inflated(xml_mb), "Avvikelseblankett.docx", uid), "inflated")


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


def run(count: int, seed: int, big_mb: int, db_url: str, chunk: int = 50, inflated_mb: int = 48
        ) -> dict[str, Any]:
    started = time.monotonic()
    rules = default_rules()
    db = Database(db_url)
    kinds: Counter[str] = Counter()
    checked = Checked({}, {}, {})
    crash_kinds: Counter[str] = Counter()
    parse_raised: Counter[str] = Counter()
    memory: dict[str, float] = {}

    def ingest(pipeline: Pipeline, batch: list[Case]) -> None:
        for case in batch:
            kinds[case.kind] += 1
            checked.sha_of[case.uid] = hashlib.sha256(case.data).hexdigest()
            try:
                checked.id_of[case.uid] = parse_email(case.data, rules).message_id
            except Exception as exc:  # noqa: BLE001 - parse_email must never raise: counted
                parse_raised[type(exc).__name__] += 1
                checked.id_of[case.uid] = ""
            if case.attachment:
                checked.attachment_of[case.uid] = case.attachment
        try:
            pipeline.ingest([RawMessage("fuzz", "INBOX", c.data, 1, c.uid) for c in batch], chunk=chunk)
        except Exception as exc:  # noqa: BLE001 - this is what the fuzzer counts
            crash_kinds[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1

    with Pipeline(db, rules) as pipeline:
        memory["rss_at_start_mb"] = reset_peak()
        batch: list[Case] = []
        for case in cases(count, seed):
            batch.append(case)
            if len(batch) >= chunk:
                ingest(pipeline, batch)
                batch = []
        if batch:
            ingest(pipeline, batch)
        memory["peak_rss_cases_mb"] = _status_mb("VmHWM")
        memory["peak_rss_parser_processes_cases_mb"] = pipeline.parser.peak_rss_mb()
        if big_mb:
            big = big_case(count + 1, big_mb)
            memory["big_message_mb"] = round(len(big.data) / 2**20, 1)
            measured(pipeline, memory, "big", lambda: ingest(pipeline, [big]))
            del big
        if inflated_mb:
            docx = inflated_case(count + 2, inflated_mb)
            measured(pipeline, memory, "inflated_docx", lambda: ingest(pipeline, [docx]))
        memory["peak_rss_parser_processes_mb"] = max(v for k, v in memory.items()
                                                     if k.startswith("peak_rss_parser_processes_"))
    figures = _check(db, checked)
    db.dispose()
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
