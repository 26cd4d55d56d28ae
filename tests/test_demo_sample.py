"""The README's demo: the worker's poll cycle over the bundled sample Maildirs, as `scripts/demo.sh` runs it.

The sample must be a Maildir in a fresh clone too (git keeps no empty directory: new/ and tmp/ hold a
.keep file, which the Maildir reader skips as a dot-file)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "busavvik" / "sample"


def _cli(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUSAVVIK_")}
    return subprocess.run([sys.executable, "-m", "busavvik.cli", "--config", str(cfg), *args], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_sample_maildirs_are_complete_in_git() -> None:
    tracked = subprocess.run(["git", "ls-files", "busavvik/sample"], cwd=ROOT, capture_output=True,
                             text=True).stdout.split()
    for box in ("storsthlm", "hsf"):
        for sub in ("cur", "new", "tmp"):
            assert any(p.startswith(f"busavvik/sample/{box}/{sub}/") for p in tracked), f"{box}/{sub} not in git"


def test_demo_poll_over_the_bundled_sample(tmp_path: Path) -> None:
    cfg = tmp_path / "busavvik.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "demo.db"}"\n'
                   f'[[mailboxes]]\nname = "storsthlm"\ntype = "maildir"\npath = "{SAMPLE / "storsthlm"}"\n'
                   f'[[mailboxes]]\nname = "hsf"\ntype = "maildir"\npath = "{SAMPLE / "hsf"}"\n')
    poll = _cli(cfg, "poll", "--once")
    assert poll.returncode == 0, poll.stdout + poll.stderr
    assert "ERROR" not in poll.stdout + poll.stderr
    assert "storsthlm: new 18, duplicates 0, deviations 9, answers 5" in poll.stdout
    assert "hsf: new 0, duplicates 17" in poll.stdout
    overdue = _cli(cfg, "overdue", "--as-of", "2026-11-23", "--format", "json")
    assert overdue.returncode == 0, overdue.stderr
    assert len(json.loads(overdue.stdout)) >= 1
