"""`busavvik` (the console script) and `python -m busavvik`: the command line, imported only when it runs.

The console script's module is this one rather than busavvik.cli because the parser processes are spawned,
and a spawned process first re-runs the script that started its parent. Importing this module costs them
nothing; importing busavvik.cli would load the whole command line (Typer, Rich, SQLAlchemy, Alembic) into
every parser process: ~0.6 s of CPU more at each start and ~20 MB more memory each.
"""
from __future__ import annotations


def main() -> None:
    from busavvik.cli import main as run_cli
    run_cli()


if __name__ == "__main__":
    main()
