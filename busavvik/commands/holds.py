"""`busavvik case hold CASE --reason TEXT` / `case release CASE`: a legal hold stops all culling of the case."""
from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Optional

import typer

from busavvik.commands.case import CASE_ARG, WHO_OPT, case_app
from busavvik.console import fail, out, styled

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from store.models import Case


def _case(session: Session, case_id: str) -> Case:
    from store.caseview import case_by_id

    case = case_by_id(session, case_id)
    if case is None:
        fail(styled((f"inget ärende {case_id!r}", "red"), " (se `busavvik cases`)"))
    return case


@case_app.command("hold")
def hold_cmd(ctx: typer.Context, case_id: str = CASE_ARG,
             reason: str = typer.Option(..., "--reason", help="Why (e.g. a request for public records, a JO/IVO "
                                                             "matter)."),
             who: Optional[str] = WHO_OPT) -> None:
    """Put the case under legal hold: nothing of it is culled until it is released."""
    from store.holds import active_hold, hold

    if not reason.strip():
        fail("ange ett skäl med --reason (t.ex. en begäran om allmän handling, ett JO- eller IVO-ärende)", 2)
    with ctx.obj.db.session() as session:
        case = _case(session, case_id)
        row = hold(session, case, reason, who or getpass.getuser())
        if row is None:
            first = active_hold(session, case.id)
            out.print(f"{case.case_id} är redan spärrat: {first.reason if first else ''}", highlight=False)
            return
        out.print(f"{case.case_id}: spärrat för gallring ({row.reason})", highlight=False)


@case_app.command("release")
def release_cmd(ctx: typer.Context, case_id: str = CASE_ARG, who: Optional[str] = WHO_OPT) -> None:
    """Release the case's legal hold: it is culled again when its time comes."""
    from store.holds import release

    with ctx.obj.db.session() as session:
        case = _case(session, case_id)
        row = release(session, case, who or getpass.getuser())
        out.print(f"{case.case_id}: spärren hävd" if row is not None else f"{case.case_id} är inte spärrat",
                  highlight=False)


def register(app: typer.Typer) -> None:
    """The commands are added to `case_app`, which commands/case.py registers; importing is enough."""
