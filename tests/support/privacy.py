"""Privacy and escaping: a corpus full of personnummer and samordningsnummer, HTML injection and terminal
control text, through every output busavvik has; grep every output for every number.

    .venv/bin/python tests/support/privacy.py [--cases 40] [--seed 1]

Numbers: valid (Luhn) personnummer and samordningsnummer (day + 60) in every spelling (SPELLINGS): YYMMDD-NNNN,
YYMMDDNNNN, YYYYMMDD-NNNN, YYYYMMDDNNNN, YYMMDD+NNNN, an en dash (YYMMDD–NNNN, as Word writes it), an em
dash, a space, a no-break space, a hyphen or letters right before ("BUS-avvikelse-YYMMDD-NNNN",
"Enhet-YYYYMMDDNNNN", "xYYMMDD–NNNNy"); and the same with a wrong check digit (invalid). They go in the subject,
the sender's display name, the body, the attachment's filename and the form's fields (each slot gets another
spelling in the next case); so do an HTML/script payload and, outside the Word form, terminal text (rich markup
"[/]", ESC title/clear-screen sequences, C1, bidi override).  Half of the cases carry only invalid numbers.

The corpus goes through the real command line: `poll --once` from a Maildir with DEBUG logging, once as JSON
and once as text (stderr captured), `digest --out` (HTML) and `digest` (text), `remind --dry-run`, `remind`
(into an SMTP sink: raw and decoded), `report --out .xlsx` (every cell read back with openpyxl),
`export deviations|messages` (json and csv, with and without --redact), `cases`, `show` and `rules check`
(every third case), `problems` (table and json), `overdue` (table and json), `status` (table and --json).
A number leaks when its six date digits and its last four stand in an output with at most three non-digits
between them, whatever the spelling.  Figures: leaks per output (0 wanted everywhere but the exports without
--redact, which are the data as received), cases with only invalid numbers flagged (0), cases with a valid
number not flagged (0), raw control characters in terminal output (0), unescaped payloads in the digest (0);
any of those not 0, or a command failing, prints FAIL and exits 1.
"""
from __future__ import annotations

import argparse
import mailbox
import random
import re
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import select  # noqa: E402

from store.db import Database  # noqa: E402
from store.models import Case  # noqa: E402
from tests.formbuilder import SAMPLE_VALUES, build_form  # noqa: E402
from tests.mailbuilder import SECRETARIAT, make_mail  # noqa: E402
from tests.servers.smtpsink import SmtpSink  # noqa: E402
from tests.support import harness  # noqa: E402

PAYLOADS = ('<script>alert("bus")</script>', '"><img src=x onerror=alert(1)>')
# Not in the Word form (XML has no ESC): subject, sender's name, body, file name.
TERMINAL = "[/] [link=https://evil.test]x[/link] \x1b]0;kapad\x07\x1b[2J \x9b1m \u202eabc\u202c"
RAW_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|\r(?!\n)")
AS_OF = date(2026, 4, 20)          # a Monday; cases from January are overdue, March ones are due soon

# How a number is written: (century, yymmdd, tail) → text.  The first six are the spellings of old.
SPELLINGS = {
    "YYMMDD-NNNN": lambda c, d, t: f"{d}-{t}",
    "YYMMDDNNNN": lambda c, d, t: f"{d}{t}",
    "YYYYMMDD-NNNN": lambda c, d, t: f"{c}{d}-{t}",
    "YYYYMMDDNNNN": lambda c, d, t: f"{c}{d}{t}",
    "YYMMDD+NNNN": lambda c, d, t: f"{d}+{t}",
    "YYMMDD NNNN": lambda c, d, t: f"{d} {t}",
    "YYMMDD–NNNN (en dash)": lambda c, d, t: f"{d}–{t}",
    "YYYYMMDD–NNNN (en dash)": lambda c, d, t: f"{c}{d}–{t}",
    "YYMMDD—NNNN (em dash)": lambda c, d, t: f"{d}—{t}",
    "YYMMDD\u00a0NNNN (no-break space)": lambda c, d, t: f"{d}\u00a0{t}",
    "BUS-avvikelse-YYMMDD-NNNN (hyphen before)": lambda c, d, t: f"BUS-avvikelse-{d}-{t}",
    "Enhet-YYYYMMDDNNNN (letters, hyphen before)": lambda c, d, t: f"Enhet-{c}{d}{t}",
    "xYYMMDD–NNNNy (letters both sides)": lambda c, d, t: f"x{d}–{t}y",
    "Enhet-YYMMDDNNNN (hyphen before, no separator)": lambda c, d, t: f"Enhet-{d}{t}",
}
SLOTS = 12                         # numbers per deviation mail (see corpus)
PURE: dict[str, str] = {}          # event type's start → the one spelling of that case's numbers


def _luhn_digit(nine: str) -> int:
    total = 0
    for i, ch in enumerate(nine):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10


def numbers(rng: random.Random, valid: bool, offset: int,
            pure: bool = False) -> tuple[list[str], list[tuple[str, str]]]:
    """SLOTS numbers, slot k written in spelling (k + offset), or all in spelling `offset` when pure; every third
    a samordningsnummer (day + 60). Returns the texts and each number's (six date digits, last four)."""
    spellings = list(SPELLINGS.values())
    texts, parts = [], []
    for k in range(SLOTS):
        year = rng.randint(2005, 2020)
        month, day = rng.randint(1, 12), rng.randint(1, 28) + (60 if k % 3 == 2 else 0)
        yymmdd = f"{year % 100:02d}{month:02d}{day:02d}"
        serial = f"{rng.randint(0, 999):03d}"
        check = _luhn_digit(yymmdd + serial)
        tail = serial + str(check if valid else (check + rng.randint(1, 9)) % 10)
        texts.append(spellings[(offset + (0 if pure else k)) % len(spellings)](str(year)[:2], yymmdd, tail))
        parts.append((yymmdd, tail))
    return texts, parts


def _deviation(i: int, nums: list[str], received: datetime) -> bytes:
    payload = PAYLOADS[i % 2]
    event = f"Händelse {i} {payload} gäller barn {nums[0]}"
    values = dict(SAMPLE_VALUES, event_type=event,
                  description=f"Barnet {nums[1]} {payload}\nSyskon {nums[2]}",
                  units_involved=[f"BUP {payload}", f"Skolan {nums[3]}"], reporter_unit=f"Enhet {nums[10]}",
                  personal_data_contact=f"Kontakt {nums[4]}", proposed_action=f"Åtgärd {nums[11]}",
                  reported_date=received.date())
    return make_mail(
        subject=f"BUS-avvikelse {nums[5]} {payload} {TERMINAL}",
        # (the '"><img' payload beside a non-ASCII dash would make Python's header folding break the mail)
        sender=f'"Chef {payload if chr(34) not in payload else ""} {nums[6]}" <rapportor{i}@bup.sll.se>',
        to=[f"mottagare{i}@socialtjanst.stockholm.se"], cc=list(SECRETARIAT), when=received,
        message_id=f"<privacy-{i}@{harness.DOMAIN}>", body=f"Gäller {nums[7]} och {nums[8]}. {payload} {TERMINAL}",
        attachments=[(f"Avvikelse {nums[9]} {payload} {TERMINAL}.docx", build_form(values))])


def corpus(n: int, rng: random.Random) -> tuple[list[bytes], list[tuple[str, str]], list[str], dict[str, bool]]:
    """(mails, valid numbers as (date, last four), invalid numbers as written, {event type: carries a valid one})."""
    mails, valid_all, invalid_all, carries, pure_spelling = [], [], [], {}, PURE
    for i in range(n):
        valid = i % 2 == 0
        # every fourth case (from the third) writes all its numbers in one spelling, the new ones first: flagged?
        pure = i % 4 == 2
        nums, parts = numbers(rng, valid, 6 + i // 4 if pure else i, pure)
        if pure:
            pure_spelling[f"Händelse {i} "] = list(SPELLINGS)[(6 + i // 4) % len(SPELLINGS)]
        if valid:
            valid_all.extend(parts)
        else:
            invalid_all.extend(nums)
        payload = PAYLOADS[i % 2]
        # overdue (January), due within 14 days (March) or new in the digest's week (April 13-19)
        received = (datetime(2026, 1, 8, 9, tzinfo=UTC), datetime(2026, 2, 25, 9, tzinfo=UTC),
                    datetime(2026, 4, 13, 9, tzinfo=UTC))[i % 3] + timedelta(days=i // 3 % 6)
        carries[f"Händelse {i} "] = valid
        mails.append(_deviation(i, nums, received))
        week = datetime(2026, 4, 14, 10, tzinfo=UTC) + timedelta(hours=i)
        if i % 6 == 0:      # an answer this week, and a mail nobody can link, both carrying the same
            source = f"<privacy-{i}@{harness.DOMAIN}>"
            mails.append(make_mail(
                subject=f"SV: BUS-avvikelse {nums[5]} {payload}", to=[f"rapportor{i}@bup.sll.se"],
                sender=f'"Svar {payload}" <mottagare{i}@socialtjanst.stockholm.se>', cc=list(SECRETARIAT),
                when=week, message_id=f"<privacy-answer-{i}@x.se>", in_reply_to=source, references=[source],
                body=f"Vi har utrett. Barnet {nums[1]}. {payload}"))
            mails.append(make_mail(
                subject=f"Fråga om {nums[2]} {payload} {TERMINAL}", sender=f'"Okänd {nums[3]}" <okand{i}@example.se>',
                to=list(SECRETARIAT), when=week, message_id=f"<privacy-other-{i}@x.se>",
                body=f"{nums[0]} {payload}"))
    return mails, valid_all, invalid_all, carries


def _maildir(root: Path, mails: list[bytes]) -> Path:
    box = mailbox.Maildir(root / "Maildir", create=True)
    for data in mails:
        box.add(data)
    return root / "Maildir"


def _xlsx_text(path: Path) -> str:
    import openpyxl
    book = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for cell in row if cell is not None)


def _commands(workdir: Path, cases: int) -> dict[str, tuple[str, ...]]:
    day = AS_OF.isoformat()
    commands: dict[str, tuple[str, ...]] = {
        "digest": ("digest", "--as-of", day, "--out", str(workdir / "digest.html")),
        "digest (text)": ("digest", "--as-of", day),
        "remind --dry-run": ("remind", "--as-of", day, "--dry-run"), "remind": ("remind", "--as-of", day),
        "report": ("report", "--year", "2026", "--out", str(workdir / "report.xlsx")),
        "cases": ("cases",), "problems": ("problems",), "problems json": ("problems", "--format", "json"),
        "overdue": ("overdue", "--as-of", day), "overdue json": ("overdue", "--as-of", day, "--format", "json"),
        "status": ("status",), "status json": ("status", "--json"),
    }
    for kind in ("deviations", "messages"):
        for fmt in ("json", "csv"):
            commands[f"export {kind} {fmt}"] = ("export", kind, "--format", fmt)
            commands[f"export --redact {kind} {fmt}"] = ("export", kind, "--redact", "--format", fmt)
    for i in range(0, cases, 3):
        commands[f"show {i}"] = ("show", f"BUS-2026-{i + 1:04d}")
    return commands


def _rules_checks(workdir: Path, mails: list[bytes], config: Path, cases: int) -> dict[str, tuple[int, str]]:
    done = {}
    deviations = [m for m in mails if b"privacy-answer-" not in m and b"privacy-other-" not in m]
    for i in range(0, cases, 3):
        path = workdir / f"privacy-{i}.eml"
        path.write_bytes(deviations[i])
        result = harness.busavvik(config, "rules", "check", str(path))
        done[f"rules check {i}"] = (result.returncode, result.stdout + result.stderr)
    return done


def _collect(workdir: Path, mails: list[bytes], cases: int) -> tuple[dict[str, str], dict[str, int], int]:
    """Every output as text, the exit status of every command that failed, and the reminders sent."""
    maildir = _maildir(workdir, mails)
    outputs: dict[str, str] = {}
    exits: dict[str, int] = {}
    with SmtpSink(workdir / "sink") as sink:
        common = {"smtp": {"host": "127.0.0.1", "port": sink.port, "security": "none", "retries": 0},
                  "reminders": {"enabled": True, "start_date": "2026-01-01"}}
        mb = [{"name": "storsthlm", "type": "maildir", "path": str(maildir)}]
        for fmt in ("text", "json"):
            url = f"sqlite:///{workdir / ('privacy.db' if fmt == 'json' else 'privacy-text.db')}"
            config = harness.write_config(workdir / f"{fmt}.toml", url, mb,
                                          logging={"format": fmt, "level": "DEBUG"}, **common)
            done = harness.busavvik(config, "poll", "--once")
            outputs[f"poll log ({fmt})"] = done.stdout + done.stderr
        config = workdir / "json.toml"
        for name, args in _commands(workdir, cases).items():
            done = harness.busavvik(config, *args)
            outputs[name] = done.stdout + done.stderr
            if done.returncode:
                exits[name] = done.returncode
        for name, (code, text) in _rules_checks(workdir, mails, config, cases).items():
            outputs[name] = text
            if code:
                exits[name] = code
        html, xlsx = workdir / "digest.html", workdir / "report.xlsx"
        outputs["digest html"] = html.read_text(encoding="utf-8") if html.exists() else ""
        outputs["report xlsx"] = _xlsx_text(xlsx) if xlsx.exists() else ""
        reminders = sink.messages()
        outputs["reminder mails (raw)"] = "\n".join(m.data.decode("utf-8", "replace") for m in reminders)
        outputs["reminder mails (decoded)"] = "\n".join(
            f"{m.message()['Subject']}\n{m.message().get_body(('plain',)).get_content()}" for m in reminders)
    return outputs, exits, len(reminders)


def _leaks(outputs: dict[str, str], valid: list[tuple[str, str]]) -> dict[str, int]:
    """Per output, how many valid numbers stand in it in any spelling (date digits, ≤ 3 non-digits, last four)."""
    found = {}
    for name, text in outputs.items():
        n = sum(1 for d, t in valid if re.search(rf"{d}\D{{0,3}}{t}", text))
        if n:
            found[name] = n
    return found


def _flags(db_url: str) -> dict[str, bool]:
    db = Database(db_url)
    with db.session() as s:
        flagged = {(c.form.event_type or ""): "personal_identity_number" in (c.flags or [])
                   for c in s.scalars(select(Case))}
    db.dispose()
    return flagged


NOT_TERMINAL = {"digest html", "report xlsx", "reminder mails (raw)", "reminder mails (decoded)"}  # files, mail


def run(workdir: Path, *, cases: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    PURE.clear()
    mails, valid, invalid, carries = corpus(cases, rng)
    outputs, exits, reminders = _collect(workdir, mails, cases)
    leaks = _leaks(outputs, valid)
    flagged = _flags(f"sqlite:///{workdir / 'privacy.db'}")

    def carried(event: str) -> bool | None:
        return next((v for k, v in carries.items() if event.startswith(k)), None)
    html = outputs["digest html"]
    as_received = {k for k in outputs if k.startswith("export ") and "--redact" not in k}
    terminal = {k: len(RAW_CONTROLS.findall(v)) for k, v in outputs.items() if k not in NOT_TERMINAL}
    return {
        "cases": cases, "spellings": len(SPELLINGS), "valid_numbers": len(valid),
        "invalid_numbers": len(invalid), "cases_stored": len(flagged), "command_exits": exits,
        "outputs_checked": len(outputs), "output_bytes": sum(len(t) for t in outputs.values()),
        "reminders_sent": reminders,
        "leaks_by_output": leaks,
        "leaked_valid_numbers": sum(n for k, n in leaks.items() if k not in as_received),
        "leaked_in_exports_as_received": sum(n for k, n in leaks.items() if k in as_received),
        "invalid_numbers_flagged": sum(1 for e, f in flagged.items() if f and carried(e) is False),
        "valid_numbers_not_flagged": sum(1 for e, f in flagged.items() if not f and carried(e)),
        "one_spelling_cases_not_flagged": sorted({s for e, f in flagged.items() if not f and carried(e)
                                                  for k, s in PURE.items() if e.startswith(k)}),
        "one_spelling_cases": len(PURE),
        "invalid_numbers_shown_in_exports": sum(1 for n in invalid if n in outputs["export deviations json"]),
        "raw_controls_in_terminal_output": sum(terminal.values()),
        "raw_controls_by_output": {k: v for k, v in terminal.items() if v},
        "digest_unescaped_payloads": sum(html.count(p) for p in PAYLOADS),
        "digest_escaped_payloads": html.count("&lt;script&gt;") + html.count("&lt;img"),
    }


def failures(f: dict[str, Any]) -> list[str]:
    """What makes the run FAIL: a number shown, a wrong flag, a raw control character, a failed command."""
    checks = {"leaked_valid_numbers": 0, "invalid_numbers_flagged": 0, "valid_numbers_not_flagged": 0,
              "raw_controls_in_terminal_output": 0, "digest_unescaped_payloads": 0}
    bad = [f"{k} = {f[k]}" for k, want in checks.items() if f[k] != want]
    if f["command_exits"]:
        bad.append(f"commands failed: {f['command_exits']}")
    if f["cases_stored"] != f["cases"]:
        bad.append(f"cases stored {f['cases_stored']} of {f['cases']}")
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="busavvik-privacy-") as tmp:
        figures = run(Path(tmp), cases=args.cases, seed=args.seed)
    harness.print_figures(f"privacy: {args.cases} cases (seed {args.seed})", figures)
    bad = failures(figures)
    print("FAIL: " + "; ".join(bad) if bad else "OK: no number shown, flags right, terminal output plain")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
