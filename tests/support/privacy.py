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
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import select  # noqa: E402

from store.db import Database  # noqa: E402
from store.models import Case  # noqa: E402
from tests.support import harness  # noqa: E402
from tests.support.privacy_corpus import (  # noqa: E402, F401 - re-exported
    AS_OF,
    PAYLOADS,
    PURE,
    RAW_CONTROLS,
    SLOTS,
    SPELLINGS,
    TERMINAL,
    corpus,
    numbers,
)
from tests.support.servers.smtpsink import SmtpSink  # noqa: E402


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
