"""busavvik report: the summary it prints, bad years and unwritable paths refused (exit code 2)."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
from typer.testing import CliRunner

from busavvik.commands import report as cli_report
from config.rules import default_rules
from store.db import Database
from tests.support.report import filled  # noqa: F401 - fixture


def _app(db: Database) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _ctx(ctx: typer.Context) -> None:
        ctx.obj = SimpleNamespace(db=db, rules=default_rules())

    cli_report.register(app)
    return app


def _plain(output: str) -> str:
    """CLI output without the error panel's frame and line wrapping."""
    return " ".join(output.translate({ord(c): " " for c in "│╭╮╰╯─"}).split())


def test_cli_report(filled: Database, tmp_path: Path) -> None:
    out = tmp_path / "bus.xlsx"
    result = CliRunner().invoke(_app(filled), ["report", "--year", "2021", "--out", str(out),
                                               "--charts", str(tmp_path / "png")])
    assert result.exit_code == 0, result.output
    assert "totalt 127" in result.output
    assert "mellan huvudmän: 106, inom samma huvudman: 18" in result.output
    assert "besvarade: 45 av 127 (35 %)" in result.output
    assert out.exists() and len(list((tmp_path / "png").glob("*.png"))) == 6


@pytest.mark.parametrize("args, message", [
    (["--year", "1899"], "expected a year"),
    (["--year", "abc"], "--year"),
    (["--year", str(date.today().year + 5)], "expected a year"),
])
def test_cli_bad_year(db: Database, tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(_app(db), ["report", *args, "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 2 and message in _plain(result.output)
    assert not (tmp_path / "r.xlsx").exists()


def test_cli_unwritable_paths(db: Database, tmp_path: Path) -> None:
    blocker = tmp_path / "fil.txt"
    blocker.write_text("x")
    for out, charts, message in [(blocker / "r.xlsx", None, "not a writable directory"),
                                 (tmp_path / "r.csv", None, ".xlsx"),
                                 (tmp_path, None, "is a directory"),
                                 (tmp_path / "r.xlsx", blocker, "not a directory")]:
        args = ["report", "--year", "2021", "--out", str(out)] + (["--charts", str(charts)] if charts else [])
        result = CliRunner().invoke(_app(db), args)
        assert result.exit_code == 2, (out, result.output)
        assert message in _plain(result.output), result.output
