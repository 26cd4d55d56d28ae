"""The whole pipeline on the realistic corpus: every link, kind, response, flag and classification."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from config.rules import Rules, default_rules
from ingest.files import open_source
from pipeline.batch import Pipeline
from store import export
from store.db import Database
from tests.support.corpus import Corpus, write_corpus


def _import(db: Database, rules: Rules, root: Path) -> list:
    pipeline = Pipeline(db, rules)
    return [pipeline.ingest(open_source(root / box, box).messages()) for box in ("storsthlm", "hsf")]


@pytest.fixture(scope="module")
def imported(module_db: Database, tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, Corpus, list]:
    """The corpus imported once for the module's tests, which only read it."""
    root = tmp_path_factory.mktemp("corpus")
    corpus = write_corpus(root / "mail")
    stats = _import(module_db, default_rules(), root / "mail")
    return module_db, corpus, stats


@pytest.fixture
def imported_here(db: Database, rules: Rules, tmp_path: Path) -> tuple[Database, Corpus, list]:
    """The corpus imported for one test that writes (imports again)."""
    corpus = write_corpus(tmp_path / "mail")
    stats = _import(db, rules, tmp_path / "mail")
    return db, corpus, stats


def _by_source(db: Database) -> dict[str, dict]:
    with db.session() as s:
        return {d["source_message_id"]: d for d in export.deviations(s)}


def test_every_deviation_found_once_with_its_case_id(imported: tuple) -> None:
    db, corpus, _ = imported
    devs = _by_source(db)
    assert sorted(devs) == sorted(e.source for e in corpus.expect)
    ids = [d["case_id"] for d in devs.values()]
    assert len(set(ids)) == len(ids) and all(i.startswith("BUS-2026-") for i in ids)


def test_same_mail_in_both_mailboxes_is_one_message_seen_twice(imported: tuple) -> None:
    db, corpus, stats = imported
    with db.session() as s:
        msgs = {m["message_id"]: m for m in export.messages(s)}
    assert len(msgs) == len({name for name, _, _ in corpus.mails})
    assert stats[1].new == 0 or stats[1].duplicates > 0
    for e in corpus.expect:
        assert msgs[e.source]["mailboxes"] == ["hsf", "storsthlm"]


def test_links_kinds_and_rules(imported: tuple) -> None:
    db, corpus, _ = imported
    with db.session() as s:
        msgs = {m["message_id"]: m for m in export.messages(s)}
    devs = _by_source(db)
    for e in corpus.expect:
        assert msgs[e.source]["kind"] == "deviation"
        for mid, (kind, rule) in e.links.items():
            assert (msgs[mid]["kind"], msgs[mid]["link_rule"], msgs[mid]["case_id"]) == \
                   (kind, rule, devs[e.source]["case_id"]), e.case


def test_responses_and_responded_flag(imported: tuple) -> None:
    db, corpus, _ = imported
    devs = _by_source(db)
    for e in corpus.expect:
        dev = devs[e.source]
        assert dev["responded"] is e.responded, e.case
        if e.response_description:
            assert dev["response"]["description"] == e.response_description
    body_only = devs[next(e.source for e in corpus.expect if e.case == "d5")]["response"]
    assert body_only["description"].startswith("Hej,\n\nVi har tagit del av avvikelsen.")
    assert "gammal text" not in body_only["description"]


def test_classification(imported: tuple) -> None:
    db, corpus, _ = imported
    devs = _by_source(db)
    for e in corpus.expect:
        c = devs[e.source]["classification"]
        assert c["reporter_org_type"] == e.reporter_org_type, e.case
        assert c["receiver_org_types"] == e.receiver_org_types, e.case
        assert c["principal_relation"] == e.relation, e.case
        assert any(t.startswith(e.themes_include) for t in c["themes"]), (e.case, c["themes"])


def test_flags_and_fields(imported: tuple) -> None:
    db, corpus, _ = imported
    devs = _by_source(db)
    for e in corpus.expect:
        assert devs[e.source]["flags"] == e.flags, e.case
    d1 = devs[corpus.expect[0].source]
    assert d1["units_involved"] == ["BUP Farsta"]
    assert d1["reported_date"] == "2026-01-12"
    assert d1["response_due"] == "2026-03-12"
    assert d1["reporter"]["email"] == "anna.berg@farsta.stockholm.se"
    assert d1["response"]["manager"]["email"] == "per.lind@sll.se"
    assert d1["response"]["received_date"] == "2026-02-18"


def test_other_mail_and_unreadable_attachment(imported: tuple) -> None:
    db, corpus, _ = imported
    with db.session() as s:
        msgs = {m["message_id"]: m for m in export.messages(s)}
    unreadable, newsletter = (msgs[m] for m in corpus.others)
    assert unreadable["kind"] == "other" and "attachment_unreadable" in unreadable["problems"]
    assert newsletter["kind"] == "other" and newsletter["case_id"] is None


def test_overdue_list(imported: tuple) -> None:
    db, corpus, _ = imported
    with db.session() as s:
        rows = export.overdue(s, date(2026, 11, 23))
    d6, d7 = (next(e.source for e in corpus.expect if e.case == c) for c in ("d6", "d7"))
    assert [r["source_message_id"] for r in rows] == [d6, d7]
    assert rows[0]["response_due"] == "2026-07-18" and rows[0]["days_overdue"] == 128
    assert rows[1]["response_due"] == "2026-11-01" and rows[1]["days_overdue"] == 22
    with db.session() as s:
        assert [r["case_id"] for r in export.overdue(s, date(2026, 11, 1))] == [rows[0]["case_id"]]


def test_second_import_adds_nothing(imported_here: tuple, rules: Rules, tmp_path: Path) -> None:
    db, corpus, _ = imported_here
    again = _import(db, rules, tmp_path / "mail")
    assert sum(s.new for s in again) == 0
    assert sum(s.duplicates for s in again) == sum(len(b) for _, _, b in corpus.mails)
