"""`busavvik case …`: an admin's decisions on a case (close, pause, reopen).

Closed and paused cases get no reminders.  Every change is recorded as a `Correction` (who, when).
"""
from __future__ import annotations

import getpass
from datetime import UTC, datetime

import typer

from busavvik.console import fail, out, styled
from store.caseview import case_by_id
from store.models import CaseStatus, Correction

case_app = typer.Typer(help="An admin's decisions on a case: close, pause, reopen, set a field, link a message, "
                            "a receiver, an outcome, open one by hand.", no_args_is_help=True)

CASE_ARG = typer.Argument(..., metavar="CASE", help="Case id, e.g. BUS-2026-0007")
WHO_OPT = typer.Option(None, "--who", help="Who makes the change (default: the logged-in user).")
LABELS = {"open": "öppet", "closed": "stängt", "paused": "pausat"}


def set_status(ctx: typer.Context, case_id: str, status: CaseStatus, who: str | None) -> None:
    with ctx.obj.db.session() as session:
        case = case_by_id(session, case_id)
        if case is None:
            fail(styled((f"inget ärende {case_id!r}", "red"), " (se `busavvik cases`)"))
        old = case.status
        if old == status:
            out.print(f"{case.case_id} är redan {LABELS[status]}.")
            return
        case.status = status
        session.add(Correction(case_pk=case.id, field="status", old_value=old, new_value=status,
                               who=who or getpass.getuser(), at=datetime.now(UTC)))
        out.print(f"{case.case_id}: {LABELS.get(old, old)} → {LABELS[status]}")


@case_app.command("close")
def close_cmd(ctx: typer.Context, case_id: str = CASE_ARG, who: str | None = WHO_OPT) -> None:
    """Close the case: no more reminders, no longer counted as overdue."""
    set_status(ctx, case_id, "closed", who)


@case_app.command("pause")
def pause_cmd(ctx: typer.Context, case_id: str = CASE_ARG, who: str | None = WHO_OPT) -> None:
    """Pause the case: no reminders until it is reopened."""
    set_status(ctx, case_id, "paused", who)


@case_app.command("reopen")
def reopen_cmd(ctx: typer.Context, case_id: str = CASE_ARG, who: str | None = WHO_OPT) -> None:
    """Reopen a closed or paused case."""
    set_status(ctx, case_id, "open", who)


def register(app: typer.Typer) -> None:
    """The `case` group; commands/corrections.py, receivers.py and review.py add their commands to it."""
    app.add_typer(case_app, name="case")
