"""The real-world files of ../shared/realfiles and ../shared/realmail, imported the way a user would.

`busavvik import DIR` on the db_url database: every .docx sent as the attachment of a mail to the
secretariat, every TNEF stream as a mail's winmail.dat, the Outlook .msg and .eml files as they are. None
may crash the import or hang it, every one is kept (a message row each), none is taken for a deviation.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from store import export
from store.db import Database
from tests.support.mailbuilder import SECRETARIAT, make_mail
from tests.support.shared_corpus import shared_dir

pytestmark = [pytest.mark.shared("realfiles"), pytest.mark.shared("realmail")]
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _tnef_mail(name: str, data: bytes, when: datetime, n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"avsandare{n}@example.org"
    msg["To"] = SECRETARIAT[0]
    msg["Subject"] = f"Vidarebefordrat: {name}"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<tnef-{n}@example.org>"
    msg.set_content("Se bifogad fil.")
    msg.add_attachment(data, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    return bytes(msg)


def corpus_dir(target: Path) -> dict[str, int]:
    """The import directory: wrapped .docx and TNEF, .msg and .eml as they are. Files per kind."""
    realfiles, realmail = shared_dir("realfiles"), shared_dir("realmail")
    target.mkdir()
    counts: Counter[str] = Counter()
    for n, path in enumerate(sorted((realfiles / "docx").glob("*.docx"))):
        mail = make_mail(subject=f"Bifogat dokument {path.stem}", sender=f"avsandare{n}@example.org",
                         to=[SECRETARIAT[0]], when=START + timedelta(minutes=n),
                         attachments=[(path.name, path.read_bytes())],
                         message_id=f"<docx-{n}@example.org>")
        (target / f"docx-{n:03d}.eml").write_bytes(mail)
        counts["docx"] += 1
    for n, path in enumerate(sorted((realfiles / "tnef").glob("*.tnef"))):
        mail = _tnef_mail(path.name, path.read_bytes(), START + timedelta(hours=4, minutes=n), n)
        (target / f"tnef-{n:03d}.eml").write_bytes(mail)
        counts["tnef"] += 1
    for kind, folder, pattern in (("msg", realfiles / "msg", "*.msg"), ("eml", realfiles / "eml", "*.eml"),
                                  ("realmail", realmail, "*.eml")):
        for path in sorted(folder.glob(pattern)):
            shutil.copy(path, target / f"{kind}-{path.name}")
            counts[kind] += 1
    return dict(counts)


def test_real_files_imported_kept_and_none_a_deviation(db_url: str, tmp_path: Path) -> None:
    counts = corpus_dir(tmp_path / "realfiles")
    assert counts["docx"] >= 153 and counts["msg"] >= 31 and counts["tnef"] >= 20 and counts["realmail"] >= 72
    env = {**os.environ, "BUSAVVIK_DATABASE_URL": db_url}
    env.pop("BUSAVVIK_CONFIG", None)
    done = subprocess.run([sys.executable, "-m", "busavvik.cli", "import", "-q", str(tmp_path / "realfiles")],
                          capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "internal_error" not in done.stdout, done.stdout + done.stderr[-3000:]
    db = Database(db_url)
    try:
        with db.session() as s:
            msgs = export.messages(s)
            devs = export.deviations(s)
    finally:
        db.dispose()
    files = sum(counts.values())
    problems = Counter(code for m in msgs for code in m["problems"])
    print(f"\nrealfiles: {counts} files={files} stored={len(msgs)} cases={len(devs)} problems={dict(problems)}")
    assert f"new: {len(msgs)}" in done.stdout
    assert len(msgs) + _duplicates(done.stdout) == files
    assert [d["case_id"] for d in devs] == []
    assert {m["kind"] for m in msgs} <= {"other"}
    assert problems["internal_error"] == 0


def _duplicates(summary: str) -> int:
    return int(summary.split("duplicates:")[1].split()[0])
