"""Dates nobody meant and settings nobody could use, through the real command line on SQLite and PostgreSQL.

A mail dated year 0001 (the stdlib reads "0001" as 2001, "0000" as 2000) opened case BUS-2000-0001; a date
before 1990 or after next year is now unknown: the arrival time stands in, with problem `date_implausible`.
`digest --as-of 0001-01-01` and a database URL that is not one ended in tracebacks: one line, exit 2."""
from __future__ import annotations

import json
import re
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from tests.support.cli_process import cli, cli_process
from tests.support.formbuilder import build_form
from tests.support.mailbuilder import make_mail

WHEN = datetime(2025, 3, 4, 9, 0, tzinfo=timezone.utc)
NEXT_YEAR = date.today().year + 1


def _mail(folder: Path, name: str, date_header: str, received: str | None, reported: object) -> None:
    form = build_form({"event_type": "Uteblivet SIP-möte", "units_involved": ["BUP Globen"],
                       "description": f"Avvikelse {name}", "reported_date": reported,
                       "reporter_unit": "Socialtjänsten Farsta"}, date_style="iso")
    raw = make_mail(subject=f"Avvikelse {name}", sender="Anna Andersson <anna.andersson@stockholm.se>",
                    to=["BUS-avvikelser@storsthlm.se", "bup.globen@regionstockholm.se"], when=WHEN,
                    attachments=[("Avvikelseblankett.docx", form)])
    raw = re.sub(rb"(?m)^Date: .*\r?\n", b"Date: " + date_header.encode() + b"\n", raw, count=1)
    if received:
        raw = b"Received: " + received.encode() + b"\n" + raw
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.eml").write_bytes(raw)


def test_implausible_dates_are_unknown_and_the_arrival_time_is_used(db_url: str, tmp_path: Path) -> None:
    box = tmp_path / "storsthlm"
    _mail(box, "year-0001", "Mon, 01 Jan 0001 00:00:00 +0100",
          "from mx.storsthlm.se by imap.storsthlm.se; Tue, 4 Mar 2025 10:00:00 +0100", "0001-01-01")
    _mail(box, "year-0000", "Sat, 01 Jan 0000 00:00:00 +0000", None, date(2025, 3, 1))
    _mail(box, "far-future", f"Fri, 01 Jan {NEXT_YEAR + 3} 10:00:00 +0000", None, f"{NEXT_YEAR + 3}-01-01")
    _mail(box, "plausible", "Wed, 5 Mar 2025 10:00:00 +0100", None, "1989-12-31")
    done = cli("import", "--quiet", str(box), db_url=db_url)
    assert done.returncode == 0, done.stderr
    cases = {d["description"]: d for d in json.loads(cli("export", "deviations", db_url=db_url).stdout)}
    now_year = date.today().year
    assert cases["Avvikelse year-0001"]["case_id"].startswith("BUS-2025-")      # the Received time
    assert cases["Avvikelse year-0001"]["first_received"].startswith("2025-03-04T09:00")
    assert cases["Avvikelse year-0000"]["case_id"].startswith(f"BUS-{now_year}-")   # stored now
    assert cases["Avvikelse far-future"]["case_id"].startswith(f"BUS-{now_year}-")
    assert cases["Avvikelse plausible"]["case_id"].startswith("BUS-2025-")
    assert not any(d["case_id"].startswith(("BUS-2000-", "BUS-2001-")) for d in cases.values())
    assert cases["Avvikelse year-0001"]["reported_date"] is None
    assert cases["Avvikelse far-future"]["reported_date"] is None
    assert cases["Avvikelse plausible"]["reported_date"] is None          # 1989: before 1990
    assert cases["Avvikelse year-0000"]["reported_date"] == "2025-03-01"
    problems = {m["subject"]: m["problems"] for m in json.loads(cli("problems", "--format", "json",
                                                                   db_url=db_url).stdout)}
    for name in ("year-0001", "year-0000", "far-future", "plausible"):
        assert "date_implausible" in problems[f"Avvikelse {name}"], (name, problems)
    case = cases["Avvikelse year-0000"]["case_id"]
    refused = cli("case", "set", case, "reported_date", "0001-01-01", db_url=db_url)
    assert refused.returncode == 1 and "before 1990" in refused.stderr, refused.stderr
    assert cli("case", "set", case, "reported_date", "2025-02-28", db_url=db_url).returncode == 0


def _one_line_error(done: subprocess.CompletedProcess[str], *, code: int = 2) -> str:
    assert done.returncode == code, (done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.stderr


@pytest.mark.parametrize("args", [
    ("digest", "--as-of", "0001-01-01"), ("digest", "--as-of", "0001-01-07"), ("digest", "--as-of", "9999-12-31"),
    ("digest", "--as-of", "2026-02-30"), ("overdue", "--as-of", "0001-01-01"),
    ("remind", "--as-of", "0001-01-01", "--dry-run"), ("reparse", "--since", "0001-01-01"),
])
def test_day_options_out_of_range_are_one_line_and_exit_2(db_url: str, args: tuple[str, ...]) -> None:
    stderr = _one_line_error(cli(*args, db_url=db_url))
    assert stderr.startswith("fel: --") and ("1990" in stderr or "2026-03-01" in stderr), stderr


@pytest.mark.parametrize("url", ["nonsense", "postgresql://:::", "mysql://u:hemligt@db.test/bus",
                                 "postgresql://u:hemligt@127.0.0.1:99999/x", "sqlite://:x:"])
@pytest.mark.parametrize("args", [("cases",), ("digest", "--as-of", "2026-01-05"), ("status",)])
def test_a_database_url_that_is_not_one_is_one_line_and_exit_2(url: str, args: tuple[str, ...]) -> None:
    stderr = _one_line_error(cli(*args, db_url=url))
    assert "database URL" in stderr and "hemligt" not in stderr, stderr


@pytest.mark.integration
def test_out_of_range_and_bad_url_as_a_process(db_url: str) -> None:
    """The same one-line errors from `python -m busavvik.cli` as a real process."""
    stderr = _one_line_error(cli_process("digest", "--as-of", "0001-01-01", db_url=db_url))
    assert stderr.startswith("fel: --") and "1990" in stderr, stderr
    stderr = _one_line_error(cli_process("cases", db_url="mysql://u:hemligt@db.test/bus"))
    assert "database URL" in stderr and "hemligt" not in stderr, stderr
