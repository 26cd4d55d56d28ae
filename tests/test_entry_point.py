"""The console script's module is light: spawned parser processes re-run it and must not load the CLI.

A spawned process first re-runs the script that started its parent. With the console script importing
busavvik.cli, every parser process loaded Typer, Rich, SQLAlchemy and Alembic (85 MB instead of ~40 MB
each, ~0.6 s of CPU at each start).
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("typer", "rich", "sqlalchemy", "alembic")


def test_the_console_script_runs_the_light_entry_module() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["busavvik"] == "busavvik.__main__:main"


def test_importing_the_entry_module_loads_none_of_the_command_line() -> None:
    code = f"import sys, busavvik.__main__; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# What pip writes as the `busavvik` console script, then a parse on the parser processes; each process
# reports whether SQLAlchemy's compiled extension is mapped into it.
_SCRIPT = textwrap.dedent('''
    import re
    import sys
    from busavvik.__main__ import main

    def _check() -> None:
        from bench.busmail import realistic_bus_messages
        from config.rules import load_rules
        from parsers.pool import ParserPool
        pool = ParserPool(load_rules(None), workers=2, min_parallel=2)
        raws = list(realistic_bus_messages(16, seed=5))
        assert len(list(pool.parse(raws, len(raws)))) == 16
        pids = list(pool._executor()._processes)
        loaded = ["sqlalchemy" in open(f"/proc/{pid}/maps").read() for pid in pids]
        pool.close()
        print(len(pids), any(loaded))

    if __name__ == "__main__":
        _check()
''')


def test_parser_processes_started_from_the_console_script_do_not_load_the_store(tmp_path: Path) -> None:
    script = tmp_path / "busavvik"
    script.write_text(_SCRIPT)
    out = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-2000:]
    started, loaded = out.stdout.split()
    assert int(started) >= 1 and loaded == "False"
