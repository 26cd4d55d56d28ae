"""A Maildir file that cannot be read is set aside and never stops its folder (ingest/maildir.py).

Before, the file's PermissionError failed the folder at every poll, and no mail after it was ever stored. The
tests run as root, who reads any file whatever its mode, so the refusal of the one file is injected at
os.open (as the worker, running as its own user, gets it after a mirror run by another user); the files,
the store and the poll are real.
"""
from __future__ import annotations

import errno
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from busavvik.cli import app as cli
from busavvik.context import AppContext
from busavvik.poll import poll_once
from config.settings import MailboxSettings, Settings
from ingest.maildir import file_key
from notify import digest as dg
from store.message_rows import now
from store.models import Message, SetAsideMail
from tests.support.imapsync import mail, message_id
from tests.support.maildirs import write_maildir as _maildir


@pytest.fixture
def refused(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """File names whose opening is refused with EACCES, as a file of another owner with mode 0600 is."""
    names: set[str] = set()
    real_open = os.open

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path).name in names:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(os, "open", open_)
    return names


def _app(db_url: str, root: Path) -> AppContext:
    app = AppContext()
    app.settings = Settings(database_url=db_url, mailboxes=(
        MailboxSettings(name="spegel", type="maildir", path=str(root), batch_size=3),))
    return app


def test_an_unreadable_maildir_file_is_set_aside_shown_and_stored_once_readable(
        db_url: str, tmp_path: Path, refused: set[str]) -> None:
    loaded = [mail(i, "md") for i in range(7)]
    paths = _maildir(tmp_path / "Maildir", loaded)
    refused.add(paths[2].name)
    app = _app(db_url, tmp_path / "Maildir")
    first = poll_once(app)
    assert first[0].error is None and first[0].stats.new == 6 and first[0].set_aside == 1
    with app.db.session() as s:
        rows = [(r.folder, r.uidvalidity, r.uid, r.code, r.reason) for r in s.query(SetAsideMail)]
        assert rows == [("INBOX", 0, file_key(paths[2].name), "unreadable",
                         f"cur/{paths[2].name}: Permission denied")]
    again = poll_once(app)                  # read again at once, still refused: counted once, nothing else
    assert again[0].error is None and again[0].set_aside == 1 and again[0].stats.new == 0
    with app.db.session() as s:
        assert [r.attempts for r in s.query(SetAsideMail)] == [2]
        review = " ".join(" ".join(r.cells) for r in dg.collect(s, now().date()).review)
    assert "brevlådan spegel: en fil i Maildir går inte att läsa (INBOX)" in review
    assert f"filen går inte att läsa (2 försök): cur/{paths[2].name}: Permission denied" in review
    refused.clear()                         # the owner is put right (the mirror renamed the file meanwhile)
    renamed = paths[2].with_name(paths[2].name.replace(":2,S", ":2,RS"))
    paths[2].rename(renamed)
    old = time.time() - 60
    os.utime(renamed, (old, old))
    fixed = poll_once(app)
    assert fixed[0].error is None and fixed[0].stats.new == 1 and fixed[0].set_aside == 0
    with app.db.session() as s:
        assert s.query(SetAsideMail).count() == 0
        assert sorted(m.message_id_header for m in s.query(Message)) == sorted(message_id(d) for d in loaded)


@pytest.mark.usefixtures("own_logging")
def test_status_and_problems_name_the_unreadable_file(db_url: str, tmp_path: Path, refused: set[str]) -> None:
    paths = _maildir(tmp_path / "Maildir", [mail(i, "cli") for i in range(3)])
    refused.add(paths[0].name)
    config = tmp_path / "busavvik.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n[[mailboxes]]\nname = "spegel"\ntype = "maildir"\n'
                      f'path = "{tmp_path / "Maildir"}"\n')
    run: Callable[..., Any] = CliRunner().invoke
    poll = run(cli, ["--config", str(config), "poll", "--once"])
    assert poll.exit_code == 0, poll.output
    assert "new 2" in poll.output and "set aside 1 (not delivered by the server or not readable" in poll.output
    status = run(cli, ["--config", str(config), "status", "--json"])
    assert json.loads(status.output)[0]["set_aside"] == 1 and not json.loads(status.output)[0]["last_error"]
    problems = run(cli, ["--config", str(config), "problems"])
    assert problems.exit_code == 0 and "(file)" in problems.output and "Permission denied" in problems.output


def test_a_set_aside_file_the_mirror_deleted_is_forgotten(db_url: str, tmp_path: Path, refused: set[str]) -> None:
    paths = _maildir(tmp_path / "Maildir", [mail(i, "gone") for i in range(4)])
    refused.add(paths[1].name)
    app = _app(db_url, tmp_path / "Maildir")
    assert poll_once(app)[0].set_aside == 1
    paths[1].unlink()
    after = poll_once(app)
    assert after[0].error is None and after[0].set_aside == 0
    with app.db.session() as s:
        assert s.query(SetAsideMail).count() == 0 and s.query(Message).count() == 3


def _keys(names: Iterator[str]) -> list[int]:
    return [file_key(n) for n in names]


def test_a_file_keeps_its_key_when_the_mirror_renames_it() -> None:
    assert _keys(iter(["1700.M1P1.host", "1700.M1P1.host:2,", "1700.M1P1.host:2,RS"])) == [
        file_key("1700.M1P1.host")] * 3
    assert file_key("1700.M1P1.host") != file_key("1700.M2P1.host")
    assert 0 <= file_key("x") < 2 ** 63
