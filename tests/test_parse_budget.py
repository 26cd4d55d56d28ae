"""Each message is parsed within a budget (pipeline/budget.py, pipeline/pool.py): a message past it is stored
unparsed with `parse_timeout` or `too_complex`, its folder goes on, no poll parses it again, and `status`
and the digest name it.

Before, one expensive message kept `poll --once` busy for minutes and the mail after it was never stored.
The slow messages here are real: a legal form whose word/document.xml is 4 MB (well over a 0.2 s budget,
a second or so of CPU) and a 34 MB mail (over a 64 MB memory ceiling; it needs ~110 MB), through the real command line.
"""
from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from busavvik.cli import app as cli
from config.errors import ConfigError
from config.load import parse_settings
from config.localzone import local_day
from config.rules import default_rules
from notify import digest as dg
from pipeline.budget import ParseBudget
from pipeline.reparse import reparse
from store.db import Database
from store.models import Cursor, Message, RawBlob
from tests.support.formbuilder import build_inflated
from tests.support.imapsync import mail
from tests.support.mailbuilder import make_mail
from tests.support.maildirs import write_maildir as _maildir

SLOW_SUBJECT = "Avvikelse med en mycket stor blankett"


def _big_form_mail() -> bytes:
    """A legal deviation whose form is long: 4 MB of XML, under every container limit."""
    return make_mail(subject=SLOW_SUBJECT, sender="rapportor@bup.sll.se", to=["chef@example.se"],
                     cc=["BUS-avvikelser@storsthlm.se"], when=datetime(2026, 3, 1, 9, 2, tzinfo=UTC),
                     message_id="<stor-blankett@busavvik.test>",
                     attachments=[("Avvikelseblankett.docx", build_inflated(4))])


def _config(tmp_path: Path, db_url: str, parsing: str, source: str) -> Path:
    config = tmp_path / "busavvik.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n[parsing]\n{parsing}\n[[mailboxes]]\nname = "spegel"\n'
                      f'type = "maildir"\npath = "{source}"\nbatch_size = 2\n')
    return config


def test_a_message_past_its_cpu_budget_is_stored_named_and_not_parsed_again(db_url: str, tmp_path: Path) -> None:
    loaded = [mail(0, "budget"), _big_form_mail(), mail(2, "budget"), mail(3, "budget"), mail(4, "budget")]
    _maildir(tmp_path / "Maildir", loaded)
    config = _config(tmp_path, db_url, "cpu_seconds = 0.2", str(tmp_path / "Maildir"))
    run = CliRunner().invoke
    poll = run(cli, ["--config", str(config), "poll", "--once"])
    assert poll.exit_code == 0, poll.output
    assert "new 5" in poll.output
    db = Database(db_url)
    try:
        with db.session() as s:
            slow = s.scalars(select(Message).where(Message.message_id == "stor-blankett@busavvik.test")).one()
            assert [p["code"] for p in slow.problems] == ["parse_timeout"]
            assert slow.subject == SLOW_SUBJECT and slow.sender == "rapportor@bup.sll.se" and slow.form is None
            assert s.get(RawBlob, slow.raw_sha256) is not None            # the bytes are kept
            others = s.scalars(select(Message).where(Message.id != slow.id)).all()
            assert len(others) == 4 and not any(m.problems for m in others)
            assert s.scalar(select(func.count()).select_from(Cursor)) == 1
        again = run(cli, ["--config", str(config), "poll", "--once"])
        assert again.exit_code == 0 and "new 0" in again.output       # stored, so never parsed again
        status = run(cli, ["--config", str(config), "status"])
        assert "kunde tolkas inom gränsen för tolkning: 1" in status.output
        assert "parse_timeout" in status.output and SLOW_SUBJECT in status.output
        assert json.loads(run(cli, ["--config", str(config), "status", "--json"]).output)[0]["not_parsed"] == 1
        with db.session() as s:
            review = dg.collect(s, local_day(datetime.now(UTC)) + timedelta(days=1)).review
        row = next(r for r in review if r.cells[2] == SLOW_SUBJECT)
        assert "mejlet tog för lång tid att tolka" in row.cells[0]
        with db.session() as s:   # reparse may try again: with the default budget it is read in full
            reparse(s, default_rules(), workers=1, budget=ParseBudget())
        with db.session() as s:
            slow = s.scalars(select(Message).where(Message.message_id == "stor-blankett@busavvik.test")).one()
            assert slow.problems == [] and slow.form and slow.form.event_type
    finally:
        db.engine.dispose()


def _huge_mail(megabytes: int) -> bytes:
    """A legal mail with one large attachment, written by hand (the email package would need ~10x)."""
    body = base64.encodebytes(os.urandom(megabytes << 20)).replace(b"\n", b"\r\n")
    head = ("From: rapportor@bup.sll.se\r\nTo: chef@example.se\r\nSubject: Stor bilaga\r\n"
            "Message-ID: <stor-bilaga@busavvik.test>\r\nDate: Sun, 01 Mar 2026 09:00:00 +0000\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nSe bilagan.\r\n--b\r\n"
            "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=\"bilaga.pdf\"\r\n\r\n").encode()
    return head + body + b"--b--\r\n"


def test_a_message_past_the_memory_ceiling_is_too_complex_and_the_import_goes_on(db_url: str,
                                                                                   tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "1.eml").write_bytes(mail(1, "minne"))
    (source / "2.eml").write_bytes(_huge_mail(25))
    (source / "3.eml").write_bytes(mail(3, "minne"))
    config = _config(tmp_path, db_url, "memory_mb = 64", str(tmp_path / "none"))
    done = CliRunner().invoke(cli, ["--config", str(config), "import", "-q", str(source)])
    assert done.exit_code == 0, done.output
    assert "new: 3" in done.output and "problem too_complex: 1" in done.output
    db = Database(db_url)
    try:
        with db.session() as s:
            huge = s.scalars(select(Message).where(Message.message_id == "stor-bilaga@busavvik.test")).one()
            assert [p["code"] for p in huge.problems] == ["too_complex"] and huge.subject == "Stor bilaga"
            assert [m.subject for m in s.scalars(select(Message)) if m.problems] == ["Stor bilaga"]
    finally:
        db.engine.dispose()


def test_the_budget_is_configured_and_checked() -> None:
    assert parse_settings({}).parsing.cpu_seconds == 10.0 and parse_settings({}).parsing.memory_mb == 1024
    assert parse_settings({"parsing": {"cpu_seconds": 2, "memory_mb": 512}}).parsing.memory_mb == 512
    for bad, said in (({"cpu_seconds": 0}, "parsing.cpu_seconds"), ({"memory_mb": 10}, "parsing.memory_mb"),
                      ({"seconds": 3}, "unknown key")):
        try:
            parse_settings({"parsing": bad})
        except ConfigError as exc:
            assert said in str(exc)
        else:
            raise AssertionError(f"{bad} accepted")
