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
        from tests.support.busmail import realistic_bus_messages
        from config.rules import load_rules
        from pipeline.pool import ParserPool
        pool = ParserPool(load_rules(None), workers=2, min_parallel=2)
        raws = list(realistic_bus_messages(16, seed=5))
        assert len(list(pool.parse(raws, len(raws)))) == 16
        pids = pool.pids()
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


def test_help_lists_every_command_without_importing_the_store() -> None:
    """`busavvik --help` comes from busavvik/commands/__init__.py: no SQLAlchemy, Alembic, python-docx or matplotlib."""
    heavy = ("sqlalchemy", "alembic", "docx", "matplotlib", "openpyxl", "apscheduler", "busavvik.commands.data")
    code = ("import sys; sys.argv = ['busavvik', '--help']\nfrom busavvik.__main__ import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print('LOADED', [m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert "LOADED []" in out.stdout, out.stdout[-300:]
    from busavvik.commands import COMMANDS
    for name in COMMANDS:
        assert f" {name} " in out.stdout


def test_the_command_table_agrees_with_the_commands() -> None:
    """Every command a module registers is in the table, with the one-line help the command itself has."""
    import importlib

    import typer
    from typer.core import TyperGroup

    from busavvik.commands import COMMANDS, load

    modules = sorted({m for mods, _ in COMMANDS.values() for m in mods})
    app = typer.Typer()
    app.callback()(lambda: None)
    for module in modules:
        importlib.import_module(module).register(app)
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    assert sorted(group.commands) == sorted(COMMANDS)
    for name, (_, short) in COMMANDS.items():
        real = load(name)
        assert (real.help or "").strip().splitlines()[0] == short, name
