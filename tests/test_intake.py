"""The seam between a mail source and the store (ingest/sink.py `MailSink`, pipeline/intake.py `StoreIntake`).

A source asks its sink where a folder stands and what to ask for again, and hands it each batch; the store
commits the batch, what it set aside and the cursor in one transaction. The sources never import the store.
"""
from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config.rules import Rules
from config.settings import MailboxSettings
from ingest.maildir import poll_maildir
from ingest.sink import MailSink, StopRequested
from ingest.types import Batch, FolderCursor, RawMessage, SetAside
from pipeline.ahead import ParseAhead
from pipeline.batch import Pipeline
from pipeline.intake import StoreIntake
from store.db import Database
from store.models import Message, SetAsideMail
from tests.support.mailbuilder import make_mail

ROOT = Path(__file__).resolve().parent.parent
WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _mail(n: int) -> bytes:
    return make_mail(subject=f"Mail {n}", sender="a@solna.se", to=["b@sll.se"], when=WHEN,
                     message_id=f"<intake{n}@x.se>", body="Hej")


def _raws(uids: range) -> tuple[RawMessage, ...]:
    return tuple(RawMessage("storsthlm", "INBOX", _mail(n), 7, n) for n in uids)


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def pipeline(db: Database, rules: Rules) -> Iterator[Pipeline]:
    with Pipeline(db, rules, workers=1) as p:
        yield p


def test_the_store_is_a_mail_sink(db: Database, pipeline: Pipeline) -> None:
    assert isinstance(StoreIntake(db, pipeline, "storsthlm"), MailSink)


def test_a_batch_what_it_set_aside_and_its_cursor_are_committed(db: Database, pipeline: Pipeline) -> None:
    sink = StoreIntake(db, pipeline, "storsthlm")
    assert sink.cursor("INBOX") is None and list(sink.retries_due("INBOX")) == []
    batch = Batch(_raws(range(1, 4)), FolderCursor(7, 5), set_aside=(SetAside(4, "refused", "NO"),))
    sink.commit("INBOX", batch)
    assert sink.cursor("INBOX") == FolderCursor(7, 5) and sink.cursor("Arkiv") is None
    assert (sink.stats.new, sink.set_aside) == (3, 1)
    assert _count(db, Message) == 3 and _count(db, SetAsideMail) == 1
    assert list(sink.retries_due("INBOX")) == []     # set aside just now: asked for again after an hour
    # asked for again only when due; `every_retry` (a Maildir, `poll --retry-now`): at once
    assert list(StoreIntake(db, pipeline, "storsthlm", every_retry=True).retries_due("INBOX")) == [(7, 4)]


def test_a_failing_cursor_write_takes_the_batch_with_it(db: Database, pipeline: Pipeline,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("disk full")
    monkeypatch.setattr("pipeline.intake.set_cursor", broken)
    sink = StoreIntake(db, pipeline, "storsthlm")
    with pytest.raises(RuntimeError):
        sink.commit("INBOX", Batch(_raws(range(1, 4)), FolderCursor(7, 3)))
    monkeypatch.undo()
    assert _count(db, Message) == 0 and sink.cursor("INBOX") is None


def test_the_head_start_goes_back_with_its_batch(db: Database, pipeline: Pipeline) -> None:
    sink = StoreIntake(db, pipeline, "storsthlm")
    raws = _raws(range(1, 6))
    ahead = sink.ahead(raws)
    assert isinstance(ahead, ParseAhead) and sorted(ahead.slots) == [0, 1, 2, 3, 4]
    sink.commit("INBOX", Batch(raws, FolderCursor(7, 5)), ahead)
    assert sink.stats.new == 5 and sink.cursor("INBOX") == FolderCursor(7, 5)
    assert sink.ahead(()) is None


def test_a_stop_ends_the_poll_after_the_batch_is_committed(db: Database, pipeline: Pipeline) -> None:
    stop = threading.Event()
    stop.set()
    sink = StoreIntake(db, pipeline, "storsthlm", stop=stop)
    with pytest.raises(StopRequested):
        sink.commit("INBOX", Batch(_raws(range(1, 3)), FolderCursor(7, 2)))
    assert _count(db, Message) == 2 and sink.cursor("INBOX") == FolderCursor(7, 2)


def test_a_maildir_polled_into_the_store_resumes_from_its_cursor(db: Database, pipeline: Pipeline,
                                                                 tmp_path: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (tmp_path / "md" / sub).mkdir(parents=True)
    for n in range(1, 4):
        (tmp_path / "md" / "new" / f"{n}.x.host").write_bytes(_mail(n))
    mb = MailboxSettings(name="md", type="maildir", path=str(tmp_path / "md"))
    first = StoreIntake(db, pipeline, "md", every_retry=True)
    assert poll_maildir(mb, first).ok and first.stats.new == 3
    mark = first.cursor("INBOX")
    assert mark is not None and mark.uidvalidity == 0
    again = StoreIntake(db, pipeline, "md", every_retry=True)
    assert poll_maildir(mb, again).ok
    assert again.stats.new == 0 and _count(db, Message) == 3    # at most duplicates, never a second row


def test_the_sources_do_not_import_the_store() -> None:
    code = ("import sys, ingest.imap, ingest.maildir, ingest.files, ingest.sink; "
            "print(sorted(m for m in sys.modules if m == 'store' or m.startswith(('store.', 'busavvik'))))")
    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_a_file_import_goes_through_the_same_seam(db: Database, pipeline: Pipeline, tmp_path: Path) -> None:
    """`busavvik import`: the files' batches reach the store through MailSink.commit, and leave no cursor."""
    from ingest.files import open_source
    from store.models import Cursor

    for n in range(5):
        (tmp_path / f"{n}.eml").write_bytes(_mail(100 + n))
    intake = StoreIntake(db, pipeline, "arkiv")
    committed: list[int] = []
    real_commit = intake.commit

    def commit(folder: str, batch: Batch, ahead: ParseAhead | None = None) -> None:
        committed.append(len(batch.messages))
        real_commit(folder, batch, ahead)

    intake.commit = commit  # type: ignore[method-assign]
    open_source(tmp_path, "arkiv").feed(intake)
    assert committed == [5] and intake.stats.new == 5
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 5
        assert s.scalar(select(func.count()).select_from(Cursor)) == 0
