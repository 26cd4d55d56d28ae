"""Backfill from files: .eml directories, mbox, Maildir, Outlook .msg; the CLI's summary and errors."""
from __future__ import annotations

import mailbox
import subprocess
from pathlib import Path

import pytest

from config.rules import Rules
from ingest.files import SourceError, open_source
from pipeline.batch import Pipeline
from store import export
from store.db import Database
from tests.support.cli_process import Env, run_cli, run_process
from tests.support.corpus import build


def _mails() -> list[bytes]:
    return [data for _, data, _ in build().mails]


def test_mbox_and_maildir_give_the_same_messages(db: Database, rules: Rules, tmp_path: Path) -> None:
    box = mailbox.mbox(str(tmp_path / "all.mbox"))
    md = mailbox.Maildir(str(tmp_path / "md"))
    for data in _mails():
        box.add(data)
        md.add(data)
    box.close()
    first = Pipeline(db, rules).ingest(open_source(tmp_path / "all.mbox", "mbox").messages())
    second = Pipeline(db, rules).ingest(open_source(tmp_path / "md", "md").messages())
    assert first.new == len(_mails()) and second.new == 0 and second.duplicates == len(_mails())
    with db.session() as s:
        assert {tuple(m["mailboxes"]) for m in export.messages(s)} == {("mbox", "md")}


def test_unreadable_outlook_msg_is_kept(db: Database, rules: Rules, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "broken.msg").write_bytes(b"\xd0\xcf\x11\xe0 not really an outlook file")
    (tmp_path / "in" / "a.eml").write_bytes(_mails()[0])
    stats = Pipeline(db, rules).ingest(open_source(tmp_path / "in").messages())
    assert stats.new == 2
    with db.session() as s:
        kinds = sorted(m["kind"] for m in export.messages(s))
    assert kinds == ["deviation", "other"]


def test_source_errors_are_readable(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        open_source(tmp_path / "missing")
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(SourceError, match="not an .eml"):
        open_source(tmp_path / "x.pdf")


def _cli(*args: str, env: Env) -> subprocess.CompletedProcess[str]:
    return run_cli(args, env=env)


def test_cli_import_twice_and_bad_path(tmp_path: Path) -> None:
    (tmp_path / "storsthlm").mkdir()
    for i, data in enumerate(_mails()):
        (tmp_path / "storsthlm" / f"{i}.eml").write_bytes(data)
    env: Env = {"BUSAVVIK_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}", "BUSAVVIK_CONFIG": None}
    first = _cli("import", "-q", str(tmp_path / "storsthlm"), env=env)
    assert first.returncode == 0, first.stderr
    assert f"new: {len(_mails())}" in first.stdout and "problem attachment_unreadable: 1" in first.stdout
    again = _cli("import", "-q", str(tmp_path / "storsthlm"), env=env)
    assert "new: 0" in again.stdout and f"duplicates: {len(_mails())}" in again.stdout
    bad = _cli("import", str(tmp_path / "nope"), env=env)
    assert bad.returncode == 2 and "no such file" in bad.stderr and "Traceback" not in bad.stderr
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[databse]\nurl = 'x'\n")
    broken = _cli("--config", str(cfg), "cases", env={**env, "BUSAVVIK_DATABASE_URL": ""})
    assert broken.returncode == 2 and "unknown table(s) databse" in broken.stderr


def test_export_redact_hides_personnummer(tmp_path: Path) -> None:
    from tests.support.corpus import write_corpus
    write_corpus(tmp_path / "mail")
    env: Env = {"BUSAVVIK_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}", "BUSAVVIK_CONFIG": None}
    assert _cli("import", "-q", str(tmp_path / "mail" / "storsthlm"), env=env).returncode == 0
    plain = _cli("export", "deviations", env=env).stdout
    hidden = _cli("export", "deviations", "--redact", env=env).stdout
    assert "120101-2380" in plain and "120101-2380" not in hidden and "[personnummer]" in hidden


def test_import_and_poll_name_maildir_folders_alike(tmp_path: Path) -> None:
    """`busavvik import` and the Maildir poll share one naming rule: ".A.B" → "A.B", a plain "Sent" → "Sent"."""
    from ingest.maildir import maildir_folders

    root = mailbox.Maildir(str(tmp_path / "md"))
    for name in (".Projekt.BUS", "Sent"):
        sub = mailbox.Maildir(str(tmp_path / "md" / name))
        sub.add(b"Subject: x\r\nMessage-ID: <" + name.encode() + b"@x>\r\n\r\nbody\r\n")
    root.add(b"Subject: y\r\nMessage-ID: <inbox@x>\r\n\r\nbody\r\n")
    imported = {m.folder for m in open_source(tmp_path / "md", "md").messages()}
    polled = {name for name, _ in maildir_folders(tmp_path / "md")}
    assert imported == polled == {"INBOX", "Projekt.BUS", "Sent"}


@pytest.mark.integration
def test_cli_import_as_a_process(tmp_path: Path) -> None:
    """The same import and a usage error through `python -m busavvik.cli` as a real process."""
    (tmp_path / "storsthlm").mkdir()
    for i, data in enumerate(_mails()):
        (tmp_path / "storsthlm" / f"{i}.eml").write_bytes(data)
    env: Env = {"BUSAVVIK_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}", "BUSAVVIK_CONFIG": None}
    first = run_process(["import", "-q", str(tmp_path / "storsthlm")], env=env)
    assert first.returncode == 0, first.stderr
    assert f"new: {len(_mails())}" in first.stdout and "problem attachment_unreadable: 1" in first.stdout
    bad = run_process(["import", str(tmp_path / "nope")], env=env)
    assert bad.returncode == 2 and "no such file" in bad.stderr and "Traceback" not in bad.stderr
