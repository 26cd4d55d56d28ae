"""A small .docx that is huge when read: word/document.xml of 48 MB deflated ~136:1 (0.36 MB attached).

It passes the ratio (200:1) and total-size (50 MB) guards; read, it took 1.6 GB in `import` and `rules check`.
Now the main part is capped (form.max_document_bytes, 5 MB; a real form's is ~11 kB) before anything is
decompressed: attachment_too_large. A long but legal form under the cap is still read.
"""
from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from busavvik.cli import app as cli
from config.rules import Rules
from ingest.types import RawMessage
from parsers.form import parse_form
from pipeline.batch import Pipeline
from store.db import Database
from store.models import Message
from tests.support.formbuilder import build_inflated
from tests.support.mailbuilder import make_mail


def _inflated_mail(xml_mb: int) -> bytes:
    return make_mail(subject="BUS-avvikelse med uppblåst blankett", sender="rapportor@bup.sll.se",
                     to=["chef@example.se"], when=datetime(2026, 3, 2, 9, tzinfo=UTC),
                     message_id=f"<uppblast-{xml_mb}@busavvik.test>",
                     attachments=[("Avvikelseblankett.docx", build_inflated(xml_mb))])


def test_the_inflated_form_is_under_the_old_guards() -> None:
    data = build_inflated(48)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml")
    assert len(data) < 400_000 and info.file_size > 48_000_000
    assert 100 < info.file_size / info.compress_size < 200


def test_a_document_part_over_the_cap_is_too_large_and_not_read(rules: Rules) -> None:
    result = parse_form(build_inflated(48), rules.form, "Avvikelseblankett.docx")
    assert result.form is None
    assert [p.code for p in result.problems] == ["attachment_too_large"]
    assert "limit 5000000" in result.problems[0].detail


def test_a_long_form_under_the_cap_is_read(rules: Rules) -> None:
    result = parse_form(build_inflated(4), rules.form, "Avvikelseblankett.docx")
    assert result.form is not None and result.form.event_type and not result.problems


def test_import_stores_the_inflated_form_as_too_large(db: Database, rules: Rules) -> None:
    with Pipeline(db, rules) as pipeline:
        pipeline.ingest([RawMessage("fil", "INBOX", _inflated_mail(48), None, None)])
    with db.session() as s:
        msg = s.scalars(select(Message)).one()
        assert [p["code"] for p in msg.problems] == ["attachment_too_large"] and msg.form is None


def test_rules_check_says_too_large(tmp_path: Path) -> None:
    path = tmp_path / "Avvikelseblankett.docx"
    path.write_bytes(build_inflated(48))
    done = CliRunner().invoke(cli, ["rules", "check", str(path)])
    assert done.exit_code == 0, done.output
    assert "attachment_too_large" in done.output and "could not be read" in done.output
