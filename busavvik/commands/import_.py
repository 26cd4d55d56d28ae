"""`busavvik import`: backfill from .eml directories, mbox files and Maildirs."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from busavvik.console import err, fail, out, styled
from busavvik.context import AppContext
from ingest.files import SourceError, open_source
from pipeline.batch import Pipeline
from pipeline.intake import StoreIntake
from store.stats import IngestStats


def import_cmd(ctx: typer.Context,
               paths: list[Path] = typer.Argument(..., help="Directories of .eml files (searched recursively), "
                                                           "mbox files or Maildirs."),
               mailbox: Optional[str] = typer.Option(None, "--mailbox", "-m",
                                                     help="Name of the source mailbox "
                                                          "(default: the directory's name)."),
               quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar.")) -> None:
    """Import mail files. Idempotent: importing the same mail again adds nothing."""
    app: AppContext = ctx.obj
    try:
        sources = [open_source(p, mailbox) for p in paths]
    except SourceError as exc:
        fail(styled(("error:", "red"), f" {exc}"), 2)
    total = IngestStats()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    pipeline = Pipeline(app.db, app.rules, app.settings.reminders.due_months, budget=app.budget)
    with pipeline, Progress(*columns, console=err, disable=quiet, transient=True) as progress:
        for source in sources:
            task = progress.add_task(f"{source.path.name} ({source.kind})", total=source.count())
            intake = StoreIntake(app.db, pipeline, source.mailbox)
            source.feed(intake, progress=_advance(progress, task))
            total.add(intake.stats)
    _summary(total)


def _advance(progress: Progress, task: TaskID) -> Callable[[int], None]:
    def advance(n: int) -> None:
        progress.advance(task, n)
    return advance


def _summary(stats: IngestStats) -> None:
    out.print(f"new: {stats.new}  duplicates: {stats.duplicates}  with problems: {stats.with_problems}  "
              f"new deviations: {stats.deviations}  answers: {stats.answers}")
    for code, n in sorted(stats.problem_codes.items()):
        out.print(f"  problem {code}: {n}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
