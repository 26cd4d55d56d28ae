"""72 odd real-world mails from other projects: all kept, none a deviation, no crash."""
from __future__ import annotations

from config.rules import Rules
from ingest.files import open_source
from pipeline.batch import Pipeline
from store import export
from store.db import Database
from tests.support.shared_corpus import shared_dir


def test_realmail_all_kept_none_a_deviation(db: Database, rules: Rules) -> None:
    realmail = shared_dir("realmail")
    files = sorted(realmail.glob("*.eml"))
    assert len(files) >= 72, f"expected the shared realmail corpus at {realmail}"
    stats = Pipeline(db, rules).ingest(open_source(realmail, "realmail").messages())
    with db.session() as s:
        msgs = export.messages(s)
        devs = export.deviations(s)
    assert devs == []
    assert stats.new + stats.duplicates == len(files)
    assert {m["kind"] for m in msgs} == {"other"}
    assert [m["message_id"] for m in msgs if "internal_error" in m["problems"]] == []   # every one parsed
    synthetic = [m for m in msgs if "mail_no_message_id" in m["problems"]]
    assert synthetic and all(m["message_id"].endswith("@synthetic.busavvik.invalid>") for m in synthetic)
    again = Pipeline(db, rules).ingest(open_source(realmail, "realmail").messages())
    assert again.new == 0
