"""`busavvik audit`: the access log (who logged in, failed, logged out and opened which case), newest first."""
from __future__ import annotations

import typer

from busavvik.console import out


def audit_cmd(ctx: typer.Context,
              user: str = typer.Option("", "--user", help="Only this name."),
              limit: int = typer.Option(100, "--limit", min=1, max=100_000, help="At most this many rows."),
              page: int = typer.Option(1, "--page", min=1, max=1_000_000, help="Which page of --limit rows.")) -> None:
    """The access log: who logged in, failed, logged out and opened which case, newest first."""
    from store import access_log
    from web.render import when

    with ctx.obj.db.session() as session:
        rows, total = access_log.page(session, (page - 1) * limit, limit, user)
    for e in rows:
        out.print(f"{when(e.at)}  {e.who or '–'}  {access_log.EVENTS.get(e.event, e.event)}  {e.target or '–'}  "
                  f"{e.address or '–'}")
    out.print(f"{len(rows)} av {total} händelser")


def register(app: typer.Typer) -> None:
    app.command("audit")(audit_cmd)
