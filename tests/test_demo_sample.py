"""The README's demo: the worker's poll cycle over the bundled sample Maildirs, as `scripts/demo.sh` runs it.

The sample must be a Maildir in a fresh clone too (git keeps no empty directory: new/ and tmp/ hold a
.keep file, which the Maildir reader skips as a dot-file)."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.cli_process import Env, run_cli, run_process

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "busavvik" / "sample"


def _cli(cfg: Path, *args: str, process: bool = False) -> subprocess.CompletedProcess[str]:
    """In the test process (`process=False`) or as `python -m busavvik.cli` (tests/support/cli_process.py)."""
    env: Env = {k: None for k in os.environ if k.startswith("BUSAVVIK_")}
    run = run_process if process else run_cli
    return run(["--config", str(cfg), *args], env=env)


def test_sample_maildirs_are_complete_in_git() -> None:
    tracked = subprocess.run(["git", "ls-files", "busavvik/sample"], cwd=ROOT, capture_output=True,
                             text=True).stdout.split()
    for box in ("storsthlm", "hsf"):
        for sub in ("cur", "new", "tmp"):
            assert any(p.startswith(f"busavvik/sample/{box}/{sub}/") for p in tracked), f"{box}/{sub} not in git"


def _config(tmp_path: Path) -> Path:
    cfg = tmp_path / "busavvik.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "demo.db"}"\n'
                   f'[[mailboxes]]\nname = "storsthlm"\ntype = "maildir"\npath = "{SAMPLE / "storsthlm"}"\n'
                   f'[[mailboxes]]\nname = "hsf"\ntype = "maildir"\npath = "{SAMPLE / "hsf"}"\n')
    return cfg


@pytest.mark.integration
def test_demo_poll_as_a_process(tmp_path: Path) -> None:
    """`busavvik poll --once` as scripts/demo.sh starts it: a process of its own."""
    poll = _cli(_config(tmp_path), "poll", "--once", process=True)
    assert poll.returncode == 0, poll.stdout + poll.stderr
    assert "ERROR" not in poll.stdout + poll.stderr
    assert "storsthlm: new 18, duplicates 0, deviations 9, answers 5" in poll.stdout


def test_demo_poll_over_the_bundled_sample(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    poll = _cli(cfg, "poll", "--once")
    assert poll.returncode == 0, poll.stdout + poll.stderr
    assert "ERROR" not in poll.stdout + poll.stderr
    assert "storsthlm: new 18, duplicates 0, deviations 9, answers 5" in poll.stdout
    assert "hsf: new 0, duplicates 17" in poll.stdout
    overdue = _cli(cfg, "overdue", "--as-of", "2026-11-23", "--format", "json")
    assert overdue.returncode == 0, overdue.stderr
    assert len(json.loads(overdue.stdout)) >= 1
