"""The `busavvik` command line: the composition root that wires ingest, parsers, store and notify."""
from __future__ import annotations

import sys
from typing import Optional

import typer

from busavvik.commands import LazyGroup
from busavvik.context import AppContext
from busavvik.logs import setup_logging
from config.errors import ConfigError

app = typer.Typer(
    help="busavvik — tracks BUS deviation reports (Avvikelseblankett för BUS-samverkan) from the "
         "secretariat mailboxes: import, link answers, remind, digest and report.",
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False, cls=LazyGroup,
    rich_markup_mode=None)   # the command list in plain text: Rich's help renderer costs ~0.1 s at every start


@app.callback()
def _global(ctx: typer.Context,
            config: Optional[str] = typer.Option(
                None, "--config", "-c", envvar="BUSAVVIK_CONFIG",
                help="Config file (TOML). Default: $BUSAVVIK_CONFIG, else built-in defaults "
                     "(database sqlite:///busavvik.db). $BUSAVVIK_DATABASE_URL overrides the database.")) -> None:
    ctx.obj = AppContext(config)


# The commands themselves are in busavvik/commands/*.py, listed in busavvik/commands/__init__.py and imported
# when run.


def main() -> None:
    setup_logging("text", "WARNING")  # redacting from the first line on; poll/run apply the config's settings
    try:
        app()
    except ConfigError as exc:
        from busavvik.console import err, styled  # here: rich is not needed for `--help`

        err.print(styled(("configuration error:", "red"), f" {exc}"))
        sys.exit(2)
    except Exception as exc:
        if not _is_database_error(exc):
            raise
        from busavvik.console import err, styled

        err.print(styled(("database error:", "red"), f" {str(getattr(exc, 'orig', '')).strip() or exc}"))
        sys.exit(3)


def _is_database_error(exc: Exception) -> bool:
    """SQLAlchemy's OperationalError, without importing SQLAlchemy where no command did."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.OperationalError)


if __name__ == "__main__":
    main()
