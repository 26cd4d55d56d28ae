"""Admin tools: rules check, reparse with a changed rules file, human corrections that win."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from config.rules import Rules, load_rules
from ingest.files import open_source
from pipeline.batch import Pipeline
from pipeline.reparse import reparse
from store import export
from store.corrections import CorrectionError, link, set_field
from store.db import Database
from tests.support.cli_process import Env, run_cli
from tests.support.corpus import write_corpus
from tests.support.formbuilder import build_form


def _run(*args: str, env: Env) -> subprocess.CompletedProcess[str]:
    return run_cli(args, env=env)


@pytest.fixture
def loaded(db: Database, rules: Rules, tmp_path: Path) -> Database:
    write_corpus(tmp_path / "mail")
    with Pipeline(db, rules) as pipeline:
        for box in ("storsthlm", "hsf"):
            pipeline.ingest(open_source(tmp_path / "mail" / box, box).messages())
    return db


def test_rules_check_shows_field_source_and_rule(tmp_path: Path) -> None:
    form = tmp_path / "form.docx"
    form.write_bytes(build_form({"event_type": "Uteblivet SIP-möte", "units_involved": ["BUP Globen"],
                                 "reporter_unit": "Socialtjänsten Farsta", "description": "BUP kom inte"},
                                shape="tables"))
    env: Env = {"BUSAVVIK_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    out = _run("rules", "check", str(form), env=env)
    assert out.returncode == 0, out.stderr
    assert "units_involved" in out.stdout and "BUP Globen" in out.stdout and "table_cell" in out.stdout
    assert "reporter Socialtjänst (kommun)" in out.stdout and "receivers BUP" in out.stdout
    missing = _run("rules", "check", str(tmp_path / "nope.docx"), env=env)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_reparse_applies_a_new_rule_but_keeps_human_corrections(loaded: Database, tmp_path: Path) -> None:
    with loaded.session() as s:
        before = {d["case_id"]: d for d in export.deviations(s)}
        hagaskolan = next(c for c, d in before.items() if d["reporter"]["unit"] == "Hagaskolan")
        farsta = next(c for c, d in before.items() if d["classification"]["reporter_org_type"] == "BUP")
        set_field(s, farsta, "reporter_org_type", "Habilitering", "tester")
    custom = tmp_path / "rules.toml"
    custom.write_text('[[organisations]]\ntype = "Friskola"\nprincipal = "kommun"\n'
                      'unit_patterns = ["hagaskolan", "skola"]\ndomain_patterns = []\n'
                      '[[organisations]]\ntype = "BUP"\nprincipal = "region"\nunit_patterns = ["BUP"]\n'
                      'domain_patterns = []\n[[organisations]]\ntype = "Socialtjänst"\nprincipal = "kommun"\n'
                      'unit_patterns = ["socialtjänst", "stadsdelsförvaltning"]\ndomain_patterns = []\n')
    new_rules = load_rules(custom)
    with loaded.factory() as s, s.begin():
        dry = reparse(s, new_rules, workers=1)
        s.rollback()
    assert any(c.target == hagaskolan and c.field == "reporter_org_type" and c.new == "Friskola" for c in dry)
    with loaded.session() as s:  # the dry run wrote nothing
        assert {d["case_id"]: d for d in export.deviations(s)}[hagaskolan]["classification"] == \
            before[hagaskolan]["classification"]
        reparse(s, new_rules, workers=1)
    with loaded.session() as s:
        after = {d["case_id"]: d for d in export.deviations(s)}
    assert after[hagaskolan]["classification"]["reporter_org_type"] == "Friskola"
    assert after[farsta]["classification"]["reporter_org_type"] == "Habilitering"  # the human wins


def test_manual_link_and_bad_corrections(loaded: Database, rules: Rules) -> None:
    with loaded.session() as s:
        msgs = export.messages(s)
        newsletter = next(m for m in msgs if m["subject"] == "Nyhetsbrev juni")
        case_id = export.deviations(s)[0]["case_id"]
        kind = link(s, newsletter["message_id"], case_id, "tester", rules)
        with pytest.raises(CorrectionError, match="unknown field"):
            set_field(s, case_id, "colour", "blue", "tester")
        with pytest.raises(CorrectionError, match="expected one of between, within"):
            set_field(s, case_id, "principal_relation", "sideways", "tester")
        with pytest.raises(CorrectionError, match="no case"):
            set_field(s, "BUS-1999-0001", "themes", "SIP", "tester")
    assert kind in ("answer", "follow_up")
    with loaded.session() as s:
        linked = next(m for m in export.messages(s) if m["message_id"] == newsletter["message_id"])
        reparse(s, rules, workers=1)
    assert (linked["case_id"], linked["link_rule"]) == (case_id, "manual")
    with loaded.session() as s:
        again = next(m for m in export.messages(s) if m["message_id"] == newsletter["message_id"])
    assert (again["case_id"], again["link_rule"]) == (case_id, "manual")
