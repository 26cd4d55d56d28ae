"""Culling (gallring) per owner on a store of several years: plan changes nothing, apply culls what each owner's
decision allows and records it, a mail both boxes hold keeps its bytes while one owner still needs it, a held case
is untouched, every year's report is the same before and after, and verify leaves no culled phrase in the file."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from busavvik.commands import case as case_cmds
from busavvik.commands import holds, retention
from config.rules import Rules
from store.db import Database
from store.models import Case, CaseStatistics, CullingRecord, Message, RawBlob
from store.retention_verify import database_file, search_file
from tests.support.retention import AS_OF, YEARS, Store, build_store, cli, report_cells
from tests.support.retention import phrase as unique

ARGS = ["--as-of", AS_OF.isoformat()]


def _bytes_of(store: Store, label: str) -> int:
    """The raw bytes still stored of the deviation mail of `label`."""
    with store.db.session() as s:
        message = s.get_one(Message, store.messages[label])
        return s.scalar(select(func.length(RawBlob.data)).where(RawBlob.sha256 == message.raw_sha256)) or 0


def _message_bytes(db: Database) -> dict[int, int]:
    with db.session() as s:
        return dict(s.execute(select(Message.id, func.length(RawBlob.data)).join(
            RawBlob, Message.raw_sha256 == RawBlob.sha256)).all())


def _description(store: Store, label: str) -> str | None:
    with store.db.session() as s:
        return s.scalars(select(Case).where(Case.case_id == store.case_ids[label])).one().form.description


def test_plan_apply_verify(db: Database, rules: Rules, tmp_path: Path) -> None:
    store = build_store(db, rules)
    app = cli(db, rules, retention, case_cmds, holds)
    run = CliRunner().invoke
    before = {y: report_cells(db, y, tmp_path, "before") for y in YEARS}
    assert all(_description(store, f"d{y}a") for y in YEARS)

    held = run(app, ["case", "hold", store.case_ids["d2023b"], "--reason", "begäran om allmän handling"])
    assert held.exit_code == 0 and "spärrat" in held.output

    bytes_before = _message_bytes(db)
    plan = run(app, ["retention", "plan", *ARGS])
    assert plan.exit_code == 0, plan.output
    print(plan.output)
    assert "hsf          rå e-post         2024: 4" in plan.output            # d2024a, d2024b, their answers
    assert "storsthlm    rå e-post         2023: 2" in plan.output            # d2023a and its answer
    assert "storsthlm    rå e-post         2024" not in plan.output           # 1000 days not yet run
    assert "storsthlm    övrig e-post      2024: 1" in plan.output            # the newsletter
    assert "2025" not in plan.output                                          # a year from receipt not yet run
    assert "Spärrade för gallring, gallras inte: 1 ärende" in plan.output
    assert "brevlådan hsf innehåller fortfarande 8 meddelanden äldre än perioden (365 dagar)" in plan.output
    assert _message_bytes(db) == bytes_before                                  # the plan changed nothing

    hsf = run(app, ["retention", "apply", "--decision", "RS 2026-0123", "--who", "arkivarie", *ARGS])
    assert hsf.exit_code == 0, hsf.output
    print(hsf.output)
    assert "behålls för storsthlm" in hsf.output
    assert _description(store, "d2024b") is None and _bytes_of(store, "d2024b") == 0   # hsf's own: gone
    assert _description(store, "d2024a") and _bytes_of(store, "d2024a") > 0           # storsthlm still needs it
    assert _description(store, "d2023a") and _bytes_of(store, "d2023a") > 0           # … until its decision is applied
    assert _description(store, "d2023b") and _bytes_of(store, "d2023b") > 0           # held

    sth = run(app, ["retention", "apply", "--decision", "Storsthlm 2026/45", "--who", "arkivarie", *ARGS])
    assert sth.exit_code == 0, sth.output
    print(sth.output)
    assert _description(store, "d2023a") is None and _bytes_of(store, "d2023a") == 0  # both owners released it
    assert _description(store, "d2024a") and _bytes_of(store, "d2024a") > 0           # storsthlm: not before 2026-12
    assert _description(store, "d2025a") and _bytes_of(store, "d2025b") > 0           # not due for anyone
    assert _description(store, "d2023b") and _bytes_of(store, "d2023b") > 0           # held: untouched

    again = run(app, ["retention", "apply", "--decision", "RS 2026-0123", *ARGS])
    assert "Inget att gallra" in again.output                                   # nothing twice

    with db.session() as s:
        records = list(s.scalars(select(CullingRecord).order_by(CullingRecord.id)))
        assert [(r.mailbox, r.decision, r.who, r.kind) for r in records] == [
            ("hsf", "RS 2026-0123", "arkivarie", "cull"), ("storsthlm", "Storsthlm 2026/45", "arkivarie", "cull")]
        assert records[0].counts == {"raw_mail": 6, "free_text": 3, "contacts": 3}   # 2024 (a, b) and d2023a
        assert records[1].counts == {"raw_mail": 2, "free_text": 1, "contacts": 1, "other_mail": 1}
        assert str(records[0].first_day) == "2023-03-10" and str(records[0].last_day) == "2024-03-20"
        gone = [i for r in records for i in r.items if i["state"] == "gallrad"]
        assert gone and all(len(i["sha256"]) == 64 for i in gone)
        assert any(i["state"] == "behålls för storsthlm" for i in records[0].items)
        assert s.scalar(select(func.count()).select_from(CaseStatistics).where(CaseStatistics.frozen)) == 2

    after = {y: report_cells(db, y, tmp_path, "after") for y in YEARS}
    assert after == before                                                      # every year's report unchanged

    verify = run(app, ["retention", "verify", *ARGS, "--search", unique("d2023a")])
    print(verify.output)
    assert verify.exit_code == 0, verify.output
    assert "VACUUM" in verify.output and "OK: inget som passerat sin tid" in verify.output
    path = database_file(db)
    if path is not None:                                                        # SQLite: the file itself
        assert "sökning i busavvik.db: 0 träffar" in verify.output
        for label in ("d2023a", "d2024b", "news"):
            assert search_file(path, store.phrases[label]) == 0, label
        assert search_file(path, unique("d2023a") + "-SVAR") == 0
        for label in ("d2023b", "d2024a", "d2025a"):
            assert search_file(path, store.phrases[label]) > 0, label
    else:
        assert "PostgreSQL: VACUUM FULL" in verify.output


def test_verify_fails_while_something_is_due(db: Database, rules: Rules) -> None:
    build_store(db, rules)
    result = CliRunner().invoke(cli(db, rules, retention), ["retention", "verify", *ARGS])
    assert result.exit_code == 1
    assert "poster har passerat sin tid utan att gallras" in result.output


def test_release_lets_a_held_case_go(db: Database, rules: Rules) -> None:
    store = build_store(db, rules)
    app = cli(db, rules, retention, case_cmds, holds)
    run = CliRunner().invoke
    assert run(app, ["case", "hold", store.case_ids["d2024b"], "--reason", "IVO-ärende"]).exit_code == 0
    run(app, ["retention", "apply", "--decision", "RS 2026-0123", *ARGS])
    assert _description(store, "d2024b")
    assert "spärren hävd" in run(app, ["case", "release", store.case_ids["d2024b"]]).output
    run(app, ["retention", "apply", "--decision", "RS 2026-0123", *ARGS])
    assert _description(store, "d2024b") is None


def test_plan_names_a_rule_for_a_mailbox_never_seen(db: Database, rules: Rules) -> None:
    from dataclasses import replace

    from config.settings import RetentionRule
    from tests.support.retention import SETTINGS

    build_store(db, rules)
    typo = replace(SETTINGS, rules=(*SETTINGS.rules, RetentionRule("hfs", "RS 1", raw_mail_days=1)))
    result = CliRunner().invoke(cli(db, rules, retention, settings=typo), ["retention", "plan", *ARGS])
    assert "obs: ingen lagrad e-post från brevlådan 'hfs'" in result.output
    assert "'hsf'" not in result.output.split("obs:")[1].split("kända")[0]


def test_unknown_decision_is_refused(db: Database, rules: Rules) -> None:
    result = CliRunner().invoke(cli(db, rules, retention), ["retention", "apply", "--decision", "X 1", *ARGS])
    assert result.exit_code == 2 and "inget gallringsbeslut 'X 1'" in result.output


def test_reparse_leaves_culled_mail_alone(db: Database, rules: Rules) -> None:
    """Free text culled while the raw bytes are kept (another period) does not come back on re-parse."""
    from dataclasses import replace

    from pipeline.reparse import reparse
    from tests.support.retention import SETTINGS

    store = build_store(db, rules)
    text_only = replace(SETTINGS, rules=tuple(replace(r, raw_mail_days=None) for r in SETTINGS.rules))
    app = cli(db, rules, retention, settings=text_only)
    assert CliRunner().invoke(app, ["retention", "apply", "--decision", "RS 2026-0123", *ARGS]).exit_code == 0
    assert _description(store, "d2024b") is None and _bytes_of(store, "d2024b") > 0
    with db.session() as s:
        reparse(s, rules, workers=1)
    assert _description(store, "d2024b") is None
    assert _description(store, "d2024a")                                        # storsthlm's: not culled


def test_access_log_rows_go_past_every_owners_period(db: Database, rules: Rules) -> None:
    """Issue 21's access_log (made here by hand in its shape: the table is not in this branch) loses the rows
    older than the longest of the owners' access_log_days; the record counts them."""
    from dataclasses import replace
    from datetime import datetime, timezone

    import sqlalchemy as sa

    from tests.support.retention import SETTINGS

    meta = sa.MetaData()
    log = sa.Table("access_log", meta, sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("at", sa.DateTime(timezone=True)), sa.Column("who", sa.String(200)),
                   sa.Column("event", sa.String(30)), sa.Column("target", sa.String(300)),
                   sa.Column("address", sa.String(64)))
    meta.create_all(db.engine)
    with db.engine.begin() as conn:
        for month in (1, 5, 12):
            conn.execute(log.insert().values(at=datetime(2025, month, 1, 8, tzinfo=timezone.utc), who="sara",
                                             event="case", target="BUS-2025-0001", address="10.0.0.1"))
    hsf, sth = SETTINGS.rules
    periods = replace(SETTINGS, rules=(replace(hsf, access_log_days=180), replace(sth, access_log_days=365)))
    run = CliRunner().invoke
    result = run(cli(db, rules, retention, settings=periods), ["retention", "apply", "--decision", "RS 2026-0123",
                                                                *ARGS])
    assert result.exit_code == 0, result.output
    assert "åtkomstlogg: 2" in result.output                         # before 2025-06-01 (365 days): Jan and May
    with db.engine.connect() as conn:
        assert [r.at.month for r in conn.execute(sa.select(log.c.at))] == [12]
    keep = replace(periods, rules=(periods.rules[0], replace(sth, access_log_days=None)))   # storsthlm keeps it
    with db.engine.begin() as conn:
        conn.execute(log.insert().values(at=datetime(2024, 1, 1, tzinfo=timezone.utc), who="x", event="case",
                                         target="", address=""))
    run(cli(db, rules, retention, settings=keep), ["retention", "apply", "--decision", "RS 2026-0123", *ARGS])
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(log)).scalar() == 2
