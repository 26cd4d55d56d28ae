"""Privacy and escaping: a corpus full of personnummer and samordningsnummer and HTML injection, through every
output busavvik has; grep for the numbers.

    .venv/bin/python tests/support/privacy.py [--cases 40] [--seed 1]

Numbers: valid (Luhn) personnummer and samordningsnummer (day + 60) written as YYMMDD-NNNN, YYMMDDNNNN,
YYYYMMDD-NNNN, YYYYMMDDNNNN and YYMMDD+NNNN, and the same with a wrong check digit (invalid).  They are put
in the subject, the sender's display name, the body, the attachment's filename and the form's fields; so is
an HTML/script payload.  Half of the cases carry only invalid numbers.

The corpus goes through the real command line: `poll --once` from a Maildir with DEBUG logging, once as JSON
and once as text (stderr captured), `digest --out`, `remind --dry-run`, `remind` (into an SMTP sink),
`report --out .xlsx` (read back with openpyxl), `export deviations|messages` (json and csv), `cases`,
`show`, `problems`, `overdue`, `status`.  Figures: valid numbers found per output (must be 0), cases with
only invalid numbers that were flagged (must be 0), cases with a valid number not flagged, unescaped
payloads in the digest (must be 0) and escaped ones found.
"""
from __future__ import annotations

import argparse
import mailbox
import random
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import select  # noqa: E402

from store.db import Database  # noqa: E402
from store.models import Case  # noqa: E402
from tests.formbuilder import SAMPLE_VALUES, build_form  # noqa: E402
from tests.mailbuilder import SECRETARIAT, make_mail  # noqa: E402
from tests.servers.smtpsink import SmtpSink  # noqa: E402
from tests.support import harness  # noqa: E402

PAYLOADS = ('<script>alert("bus")</script>', '"><img src=x onerror=alert(1)>')
AS_OF = date(2026, 4, 20)          # a Monday; cases from January are overdue, March ones are due soon


def _luhn_digit(nine: str) -> int:
    total = 0
    for i, ch in enumerate(nine):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10


def numbers(rng: random.Random, valid: bool) -> list[str]:
    """One number in each written form (personnummer and samordningsnummer)."""
    out = []
    for form in range(6):
        year = rng.randint(2005, 2020)
        month, day = rng.randint(1, 12), rng.randint(1, 28) + (60 if form == 5 else 0)
        yymmdd = f"{year % 100:02d}{month:02d}{day:02d}"
        serial = f"{rng.randint(0, 999):03d}"
        check = _luhn_digit(yymmdd + serial)
        tail = serial + str(check if valid else (check + rng.randint(1, 9)) % 10)
        out.append([f"{yymmdd}-{tail}", f"{yymmdd}{tail}", f"{year}{yymmdd[2:]}-{tail}", f"{year}{yymmdd[2:]}{tail}",
                    f"{yymmdd}+{tail}", f"{yymmdd}-{tail}"][form])
    return out


def corpus(n: int, rng: random.Random) -> tuple[list[bytes], list[str], list[str], dict[str, bool]]:
    """(mails, valid numbers, invalid numbers, {event type: carries a valid number})."""
    mails, valid_all, invalid_all, carries = [], [], [], {}
    for i in range(n):
        valid = i % 2 == 0
        nums = numbers(rng, valid)
        (valid_all if valid else invalid_all).extend(nums)
        payload = PAYLOADS[i % 2]
        # overdue (January), due within 14 days (March) or new in the digest's week (April 13-19)
        received = (datetime(2026, 1, 8, 9, tzinfo=UTC), datetime(2026, 2, 25, 9, tzinfo=UTC),
                    datetime(2026, 4, 13, 9, tzinfo=UTC))[i % 3] + timedelta(days=i // 3 % 6)
        event = f"Händelse {i} {payload} gäller barn {nums[0]}"
        carries[f"Händelse {i} "] = valid
        values = dict(SAMPLE_VALUES, event_type=event,
                      description=f"Barnet {nums[1]} {payload}\nSyskon {nums[2]}",
                      units_involved=[f"BUP {payload}", f"Skolan {nums[3]}"], reporter_unit=f"Enhet {payload}",
                      personal_data_contact=f"Kontakt {nums[4]}", reported_date=received.date())
        mails.append(make_mail(
            subject=f"BUS-avvikelse {nums[5]} {payload}",
            sender=f'"Chef {payload} {nums[0]}" <rapportor{i}@bup.sll.se>',
            to=[f"mottagare{i}@socialtjanst.stockholm.se"], cc=list(SECRETARIAT), when=received,
            message_id=f"<privacy-{i}@{harness.DOMAIN}>", body=f"Gäller {nums[1]} och {nums[2]}. {payload}",
            attachments=[(f"Avvikelse {nums[3]} {payload}.docx", build_form(values))]))
        week = datetime(2026, 4, 14, 10, tzinfo=UTC) + timedelta(hours=i)
        if i % 6 == 0:      # an answer this week, and a mail nobody can link, both carrying the same
            source = f"<privacy-{i}@{harness.DOMAIN}>"
            mails.append(make_mail(
                subject=f"SV: BUS-avvikelse {nums[5]} {payload}", to=[f"rapportor{i}@bup.sll.se"],
                sender=f'"Svar {payload}" <mottagare{i}@socialtjanst.stockholm.se>', cc=list(SECRETARIAT),
                when=week, message_id=f"<privacy-answer-{i}@x.se>", in_reply_to=source, references=[source],
                body=f"Vi har utrett. Barnet {nums[1]}. {payload}"))
            mails.append(make_mail(
                subject=f"Fråga om {nums[2]} {payload}", sender=f'"Okänd {payload}" <okand{i}@example.se>',
                to=list(SECRETARIAT), when=week, message_id=f"<privacy-other-{i}@x.se>", body=f"{nums[0]} {payload}"))
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


def run(workdir: Path, *, cases: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    mails, valid, invalid, carries = corpus(cases, rng)
    maildir = _maildir(workdir, mails)
    outputs: dict[str, str] = {}
    db_url = f"sqlite:///{workdir / 'privacy.db'}"
    with SmtpSink(workdir / "sink") as sink:
        common = {"smtp": {"host": "127.0.0.1", "port": sink.port, "security": "none", "retries": 0},
                  "reminders": {"enabled": True, "start_date": "2026-01-01"}}
        mb = [{"name": "storsthlm", "type": "maildir", "path": str(maildir)}]
        for fmt in ("text", "json"):
            url = db_url if fmt == "json" else f"sqlite:///{workdir / 'privacy-text.db'}"
            config = harness.write_config(workdir / f"{fmt}.toml", url, mb,
                                          logging={"format": fmt, "level": "DEBUG"}, **common)
            done = harness.busavvik(config, "poll", "--once")
            outputs[f"poll log ({fmt})"] = done.stdout + done.stderr
        config = workdir / "json.toml"
        digest_file, report_file = workdir / "digest.html", workdir / "report.xlsx"
        commands = {
            "digest": ("digest", "--as-of", AS_OF.isoformat(), "--out", str(digest_file)),
            "digest (text)": ("digest", "--as-of", AS_OF.isoformat()),
            "remind --dry-run": ("remind", "--as-of", AS_OF.isoformat(), "--dry-run"),
            "remind": ("remind", "--as-of", AS_OF.isoformat()),
            "report": ("report", "--year", "2026", "--out", str(report_file)),
            "export deviations json": ("export", "deviations"), "export deviations csv": ("export", "deviations",
                                                                                          "--format", "csv"),
            "export messages json": ("export", "messages"), "export messages csv": ("export", "messages", "--format",
                                                                                    "csv"),
            "cases": ("cases",), "show": ("show", "BUS-2026-0001"), "problems": ("problems",),
            "overdue": ("overdue", "--as-of", AS_OF.isoformat()), "status": ("status",),
        }
        exits = {}
        for name, args in commands.items():
            done = harness.busavvik(config, *args)
            outputs[name] = done.stdout + done.stderr
            exits[name] = done.returncode
        outputs["digest html"] = digest_file.read_text(encoding="utf-8") if digest_file.exists() else ""
        outputs["report xlsx"] = _xlsx_text(report_file) if report_file.exists() else ""
        reminders = sink.messages()
        outputs["reminder mails (raw)"] = "\n".join(m.data.decode("utf-8", "replace") for m in reminders)
        outputs["reminder mails (decoded)"] = "\n".join(
            f"{m.message()['Subject']}\n{m.message().get_body(('plain',)).get_content()}" for m in reminders)
    digits = {n: n.replace("-", "").replace("+", "") for n in valid}
    leaks = {name: sorted({n for n in valid if n in text or (len(digits[n]) >= 10 and digits[n] in text)})
             for name, text in outputs.items()}
    db = Database(db_url)
    with db.session() as s:
        flagged = {c.form.get("event_type", ""): "personal_identity_number" in (c.flags or [])
                   for c in s.scalars(select(Case))}
    db.dispose()
    def carried(event: str) -> bool | None:
        return next((v for k, v in carries.items() if event.startswith(k)), None)
    html = outputs["digest html"]
    return {
        "cases": cases, "valid_numbers": len(valid), "invalid_numbers": len(invalid),
        "cases_stored": len(flagged), "command_exits": {k: v for k, v in exits.items() if v},
        "outputs_checked": len(outputs), "output_bytes": sum(len(t) for t in outputs.values()),
        "reminders_sent": len(reminders),
        "leaks_by_output": {k: len(v) for k, v in leaks.items() if v},
        "leaked_valid_numbers": sum(len(v) for k, v in leaks.items() if not k.startswith("export")),
        "leaked_in_exports": sum(len(v) for k, v in leaks.items() if k.startswith("export")),
        "invalid_numbers_flagged": sum(1 for e, f in flagged.items() if f and carried(e) is False),
        "valid_numbers_not_flagged": sum(1 for e, f in flagged.items() if not f and carried(e)),
        "invalid_numbers_shown_in_exports": sum(1 for n in invalid if n in outputs["export deviations json"]),
        "digest_unescaped_payloads": sum(html.count(p) for p in PAYLOADS),
        "digest_escaped_payloads": html.count("&lt;script&gt;") + html.count("&lt;img"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="busavvik-privacy-") as tmp:
        figures = run(Path(tmp), cases=args.cases, seed=args.seed)
    harness.print_figures(f"privacy: {args.cases} cases (seed {args.seed})", figures)


if __name__ == "__main__":
    main()
