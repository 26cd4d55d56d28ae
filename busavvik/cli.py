"""The `busavvik` command line: the composition root that wires ingest, parsers, store and notify."""
from __future__ import annotations

import sys
from typing import Optional

import typer
from sqlalchemy.exc import OperationalError

from busavvik import (
    cli_corrections,
    cli_data,
    cli_import,
    cli_notify,
    cli_reparse,
    cli_report,
    cli_rules,
    cli_worker,
)
from busavvik.console import err
from busavvik.context import AppContext
from busavvik.logs import setup_logging
from config.errors import ConfigError

app = typer.Typer(
    help="busavvik — tracks BUS deviation reports (Avvikelseblankett för BUS-samverkan) from the "
         "secretariat mailboxes: import, link answers, remind, digest and report.",
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


@app.callback()
def _global(ctx: typer.Context,
            config: Optional[str] = typer.Option(
                None, "--config", "-c", envvar="BUSAVVIK_CONFIG",
                help="Config file (TOML). Default: $BUSAVVIK_CONFIG, else built-in defaults "
                     "(database sqlite:///busavvik.db). $BUSAVVIK_DATABASE_URL overrides the database.")) -> None:
    ctx.obj = AppContext(config)


cli_import.register(app)
cli_data.register(app)
cli_worker.register(app)
cli_rules.register(app)
cli_reparse.register(app)
cli_report.register(app)
cli_notify.register(app)
cli_corrections.register(app)


def main() -> None:
    setup_logging("text", "WARNING")  # redacting from the first line on; poll/run apply the config's settings
    try:
        app()
    except ConfigError as exc:
        err.print(f"[red]configuration error:[/red] {exc}")
        sys.exit(2)
    except OperationalError as exc:
        err.print(f"[red]database error:[/red] {str(exc.orig).strip() or exc}")
        sys.exit(3)


if __name__ == "__main__":
    main()
