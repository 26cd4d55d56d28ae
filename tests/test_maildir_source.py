"""The Maildir source on real files: reads everything, changes nothing, cursors that never miss a file."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.maildir import poll_maildir, sync_maildir, sync_maildir_folder
from ingest.types import Batch
from tests.support.imapsync import Store, mail, message_id

pytestmark = pytest.mark.integration


# ---- the Maildir source ------------------------------------------------------------------------------------
def _maildir(root: Path, subs: tuple[str, ...] = ()) -> None:
    for folder in (root, *(root / f".{s}" for s in subs)):
        for d in ("cur", "new", "tmp"):
            (folder / d).mkdir(parents=True, exist_ok=True)


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_size)
            for p in sorted(root.rglob("*"))}


def test_maildir_source_reads_everything_and_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    _maildir(root, ("Sent", "Arkiv.2025"))
    (root / "new" / "1.a.host").write_bytes(mail(1))
    (root / "cur" / "2.b.host:2,S").write_bytes(mail(2))
    (root / ".Sent" / "cur" / "3.c.host:2,").write_bytes(mail(3))
    (root / ".Arkiv.2025" / "new" / "4.d.host").write_bytes(mail(4))
    (root / "tmp" / "5.e.host").write_bytes(mail(5))            # still being delivered: not a message
    before = _snapshot(root)
    store = Store()
    for folder, batch in sync_maildir("md", root, store.cursors.get, batch_size=1):
        store.handle(folder, batch)
    assert sorted(store.ids()) == [f"<m-{i}@busavvik.test>" for i in range(1, 5)]
    assert sorted({f for f, _b in store.batches}) == ["Arkiv.2025", "INBOX", "Sent"]
    assert all(b.cursor.uidvalidity == 0 and m.uid is None for _f, b in store.batches for m in b.messages)
    assert _snapshot(root) == before


def _ids(batches: list[Batch]) -> list[str]:
    return [message_id(m.data) for b in batches for m in b.messages]


def test_maildir_cursor_gives_new_files_and_never_misses_one(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    _maildir(root)
    (root / "cur" / "1.a:2,").write_bytes(mail(1))
    later = lambda: time.time_ns() + 10 * 10**9          # noqa: E731 - "the scan runs 10 s later"
    cursor = list(sync_maildir_folder("md", root, "INBOX", None, clock=later))[-1].cursor
    assert list(sync_maildir_folder("md", root, "INBOX", cursor, clock=later)) == []      # idle
    (root / "new" / "2.b").write_bytes(mail(2))                  # arrives after the first sync
    assert _ids(list(sync_maildir_folder("md", root, "INBOX", cursor, clock=later))) == ["<m-2@busavvik.test>"]
    # scanned right when 2.b arrived: delivered now, and again next time (within the safety margin)
    now = (root / "new" / "2.b").stat().st_ctime_ns
    near = list(sync_maildir_folder("md", root, "INBOX", cursor, clock=lambda: now))
    assert _ids(near) == ["<m-2@busavvik.test>"]
    assert _ids(list(sync_maildir_folder("md", root, "INBOX", near[-1].cursor, clock=later))) == \
        ["<m-2@busavvik.test>"]


def test_maildir_resuming_after_any_batch_misses_nothing(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    _maildir(root)
    for i in range(12):                                          # many share a ctime (coarse clock)
        (root / "cur" / f"{i}.x:2,").write_bytes(mail(i))
    later = lambda: time.time_ns() + 10 * 10**9          # noqa: E731
    batches = list(sync_maildir_folder("md", root, "INBOX", None, batch_size=3, clock=later))
    assert len(_ids(batches)) == 12
    for k, batch in enumerate(batches):
        resumed = _ids(batches[:k + 1]) + _ids(list(sync_maildir_folder(
            "md", root, "INBOX", batch.cursor, batch_size=3, clock=later)))
        assert sorted(set(resumed)) == sorted(_ids(batches)), k


def test_poll_maildir_reports_a_missing_maildir(tmp_path: Path) -> None:
    from config.settings import MailboxSettings
    report = poll_maildir(MailboxSettings(name="md", type="maildir", path=str(tmp_path / "nope")), Store())
    assert not report.ok and "not a Maildir" in report.errors[0]
