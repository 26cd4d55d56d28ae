"""`busavvik case set` and `busavvik case link`: human corrections for the review list.

A correction is recorded with who and when and wins over the parser, also after `busavvik reparse`."""
from __future__ import annotations

import getpass

import typer

from busavvik.commands.case import CASE_ARG, WHO_OPT, case_app
from busavvik.console import fail, out
from parsers.pnr import redact
from store.fields import FIELDS


@case_app.command("set")
def set_cmd(ctx: typer.Context, case_id: str = CASE_ARG,
            field: str = typer.Argument(..., help=f"One of: {', '.join(FIELDS)}. Lists: separate with ';'."),
            value: str = typer.Argument(..., help="The new value (true/false for responded)."),
            who: str | None = WHO_OPT) -> None:
    """Correct a field of a case by hand (e.g. receiver_org_types "BUP; BUMM"); the parser never overwrites it."""
    from store.corrections import CorrectionError, set_field

    try:
        with ctx.obj.db.session() as session:
            old, new = set_field(session, case_id, field, value, who or getpass.getuser(), ctx.obj.rules)
    except CorrectionError as exc:
        fail(str(exc))
    out.print(f"{case_id.upper()} {field}: {redact(str(old))} → {redact(str(new))}", markup=False)


@case_app.command("link")
def link_cmd(ctx: typer.Context,
             message_id: str = typer.Argument(..., metavar="MESSAGE", help="The mail's Message-ID."),
             case_id: str = CASE_ARG, who: str | None = WHO_OPT) -> None:
    """Link a mail from the review list to a case by hand (it becomes an answer, follow-up or auto-reply)."""
    from store.corrections import CorrectionError, link

    try:
        with ctx.obj.db.session() as session:
            kind = link(session, message_id, case_id, who or getpass.getuser(), ctx.obj.rules)
    except CorrectionError as exc:
        fail(str(exc))
    out.print(f"{message_id} → {case_id.upper()} as {kind}", markup=False)


def register(app: typer.Typer) -> None:
    """The commands are added to `case_app`, which commands/case.py registers; importing is enough."""
