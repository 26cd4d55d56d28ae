"""`busavvik reparse`: re-run parsing, classification and linking with the current rules."""
from __future__ import annotations

from typing import Optional

import typer
from rich.progress import Progress

from busavvik.console import err, out
from busavvik.context import AppContext
from busavvik.options import parse_day
from parsers.pnr import redact
from pipeline.reparse import reparse


def _short(value: object) -> str:
    text = redact(str(value)).replace("\n", " ⏎ ")
    return text if len(text) <= 60 else text[:57] + "…"


def reparse_cmd(ctx: typer.Context,
                since: Optional[str] = typer.Option(None, "--since", help="Only mail dated on or after this day."),
                dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing."),
                workers: int = typer.Option(2, "--workers", min=1, help="Parser processes.")) -> None:
    """Re-parse stored raw mail with the current rules and show what changes (field, old → new).

    Cases corrected by hand (`busavvik case set`, `case link`) keep their corrections."""
    app: AppContext = ctx.obj
    day = parse_day(since, "--since") if since else None
    with app.db.factory() as session, session.begin():
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("re-parsing", total=None)
            changes = reparse(session, app.rules, since=day, due_months=app.settings.reminders.due_months,
                              workers=workers, progress=lambda n: progress.advance(task, n),
                              budget=app.budget)
        for c in changes:
            out.print(f"{c.target}  {c.field}: {_short(c.old)} → {_short(c.new)}", markup=False)
        out.print(f"{len(changes)} change(s){' (dry run: nothing written)' if dry_run else ' written'}")
        if dry_run:
            session.rollback()


def register(app: typer.Typer) -> None:
    app.command("reparse")(reparse_cmd)
