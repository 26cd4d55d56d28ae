"""`busavvik retention plan|apply|verify|purge-pnr`: culling (gallring) per owner, as the owners' decisions say.

The rules are `[retention.MAILBOX]` in the config (config/retention.py); the work is store/retention.py (what is
due), store/culling.py (what goes and the records), store/retention_verify.py and store/pnr_purge.py. Statistics
rows are refreshed first (notify/statistics.py) so that every year's report stays the same. busavvik never
deletes anything in the mailboxes: `plan` and `verify` say how much the owner still holds there.
"""
from __future__ import annotations

import getpass
from collections import defaultdict
from typing import TYPE_CHECKING, Optional

import typer

from busavvik.console import fail, out, styled
from busavvik.options import parse_day

if TYPE_CHECKING:
    from datetime import date

    from sqlalchemy.orm import Session

retention_app = typer.Typer(help="Culling (gallring) per owner: plan, apply a decision, verify, purge personnummer.",
                            no_args_is_help=True)
AS_OF = typer.Option(None, "--as-of", help="The day to judge by (YYYY-MM-DD; default today).")
WHO = typer.Option(None, "--who", help="Who culls (default: the logged-in user).")
CLASS_NAMES = {"raw_mail": "rå e-post", "free_text": "fritext", "contacts": "kontaktuppgifter",
               "own_mail": "egen e-post", "other_mail": "övrig e-post", "access_log": "åtkomstlogg"}


def _rules_or_fail(ctx: typer.Context) -> None:
    if not ctx.obj.settings.retention.rules:
        fail("inga gallringsregler: lägg till [retention.BREVLÅDA] i konfigurationen (docs/config.example.toml); "
             "utan regel behålls allt")


def _print_plan(result: object) -> None:
    from store.retention import Plan

    assert isinstance(result, Plan)
    counts = result.counts()
    if not counts:
        out.print(f"Inget att gallra per {result.as_of.isoformat()}.")
    for (owner, cls, year), n in counts.items():
        out.print(f"  {owner:<12} {CLASS_NAMES[cls]:<17} {year}: {n}", highlight=False)
    if result.held:
        cases = sorted({i.case_pk for i in result.held if i.case_pk is not None})
        from notify.swedish import count
        out.print(f"Spärrade för gallring, gallras inte: {count(len(cases), 'ärende')}", highlight=False)


def _print_unknown_boxes(ctx: typer.Context, session: Session) -> None:
    """A rule whose mailbox the store has never seen mail from is most likely a misspelt name."""
    from sqlalchemy import select

    from store.models import Location

    seen = set(session.scalars(select(Location.mailbox).distinct()))
    for rule in ctx.obj.settings.retention.rules:
        if rule.mailbox not in seen:
            out.print(f"obs: ingen lagrad e-post från brevlådan {rule.mailbox!r} — stämmer namnet med "
                      f"[[mailboxes]] / import --mailbox? (kända: {', '.join(sorted(seen)) or 'inga'})",
                      highlight=False)


def _print_backlog(ctx: typer.Context, session: Session, as_of: date) -> None:
    from store.retention_verify import mailbox_backlog

    for mailbox, n, days in mailbox_backlog(session, ctx.obj.settings.retention, as_of):
        if n:
            out.print(f"brevlådan {mailbox} innehåller fortfarande {n} meddelanden äldre än perioden ({days} dagar); "
                      "busavvik raderar aldrig i brevlådan — ägaren gallrar i Exchange", highlight=False)


@retention_app.command("plan")
def plan_cmd(ctx: typer.Context, as_of: Optional[str] = AS_OF) -> None:
    """What would go on that day: counts per owner, class and year. Changes nothing."""
    from store.retention import plan

    _rules_or_fail(ctx)
    day = parse_day(as_of, local=ctx.obj.rules.local)
    with ctx.obj.db.session() as session:
        result = plan(session, ctx.obj.settings.retention, day, zone=ctx.obj.rules.local)
        out.print(f"Gallringsplan per {day.isoformat()} (ändrar ingenting):", highlight=False)
        _print_plan(result)
        _print_backlog(ctx, session, day)
        _print_unknown_boxes(ctx, session)


@retention_app.command("apply")
def apply_cmd(ctx: typer.Context,
              decision: str = typer.Option(..., "--decision", help="The culling decision's reference (dnr), as in "
                                                                   "[retention.MAILBOX] decision: its owners cull."),
              as_of: Optional[str] = AS_OF, who: Optional[str] = WHO) -> None:
    """Cull what is due under one decision; writes a culling record per owner (kept for ever)."""
    from notify.statistics import refresh_statistics
    from store.culling import apply_owner
    from store.retention import plan

    _rules_or_fail(ctx)
    settings = ctx.obj.settings.retention
    rules = [r for r in settings.rules if r.decision == decision.strip()]
    if not rules:
        known = ", ".join(sorted({r.decision for r in settings.rules}))
        fail(f"inget gallringsbeslut {decision!r} i konfigurationen (kända: {known})", 2)
    day = parse_day(as_of, local=ctx.obj.rules.local)
    principals = {o.type: o.principal for o in ctx.obj.rules.organisations}
    with ctx.obj.db.session(write=True) as session:
        refreshed = refresh_statistics(session, principals, rules=ctx.obj.rules,
                                       register=getattr(ctx.obj, "register", None), zone=ctx.obj.rules.local)
        result = plan(session, settings, day, zone=ctx.obj.rules.local)
        released: set[tuple[str, str, str]] = set()
        records = [r for r in (apply_owner(session, result, rule, who or getpass.getuser(), released, settings)
                               for rule in rules) if r is not None]
        out.print(f"statistikrader uppdaterade: {refreshed}", highlight=False)
        if not records:
            out.print(f"Inget att gallra per {day.isoformat()} enligt {decision}.", highlight=False)
        for record in records:
            _print_record(record)
    out.print("Kör `busavvik retention verify` för att skriva om databasfilen (VACUUM).", highlight=False)


def _print_record(record: object) -> None:
    from store.models import CullingRecord

    assert isinstance(record, CullingRecord)
    gone = sum(1 for i in record.items if i.get("state") == "gallrad")
    out.print(f"Gallringsprotokoll {record.id}: {record.mailbox}, beslut {record.decision}, av {record.who}, "
              f"{record.first_day} – {record.last_day}", highlight=False)
    for cls, n in sorted(record.counts.items()):
        out.print(f"  {CLASS_NAMES.get(cls, cls)}: {n}", highlight=False)
    waiting: dict[str, int] = defaultdict(int)
    for item in record.items:
        if item.get("state") != "gallrad":
            waiting[str(item.get("state"))] += 1
    out.print(f"  borta nu: {gone}" + "".join(f"; {state}: {n}" for state, n in sorted(waiting.items())),
              highlight=False)


@retention_app.command("verify")
def verify_cmd(ctx: typer.Context, as_of: Optional[str] = AS_OF,
               search: Optional[str] = typer.Option(None, "--search", help="A culled phrase to look for in the "
                                                                            "SQLite database file afterwards.")
               ) -> None:
    """Nothing past its time remains; VACUUM rewrites the database file so that culled bytes leave it."""
    from store.retention_verify import database_file, search_file, vacuum, verify

    _rules_or_fail(ctx)
    day = parse_day(as_of, local=ctx.obj.rules.local)
    with ctx.obj.db.session() as session:
        checked = verify(session, ctx.obj.settings.retention, day, ctx.obj.rules.local)
        _print_backlog(ctx, session, day)
    out.print(vacuum(ctx.obj.db), highlight=False)
    failed = not checked.ok
    if checked.due:
        out.print(f"FEL: {checked.due} poster har passerat sin tid utan att gallras (kör `retention apply`)",
                  highlight=False)
    for item in checked.not_gone[:20]:
        out.print(f"FEL: {item} är frisläppt av alla ägare men finns kvar", highlight=False)
    if search is not None:
        path = database_file(ctx.obj.db)
        if path is None:
            out.print("sökning i filen: bara för SQLite (PostgreSQL: VACUUM FULL ovan)", highlight=False)
        else:
            found = search_file(path, search)
            failed = failed or found > 0
            out.print(f"sökning i {path.name}: {found} träffar", highlight=False)
    if failed:
        raise typer.Exit(1)
    out.print(f"OK: inget som passerat sin tid per {day.isoformat()} finns kvar.", highlight=False)


@retention_app.command("purge-pnr")
def purge_pnr_cmd(ctx: typer.Context,
                  decision: str = typer.Option("blankettens regel: personnummer får inte skickas", "--decision",
                                               help="The reference the purge is made under."),
                  case: Optional[str] = typer.Option(None, "--case", help="Only this case's mail."),
                  as_of: Optional[str] = AS_OF, who: Optional[str] = WHO) -> None:
    """Replace the raw bytes of stored mail that carries a personnummer with a redacted copy (hash kept)."""
    from store.caseview import case_by_id
    from store.pnr_purge import purge_pnr

    day = parse_day(as_of, local=ctx.obj.rules.local)
    with ctx.obj.db.session(write=True) as session:
        only = None
        if case is not None:
            found = case_by_id(session, case)
            if found is None:
                fail(styled((f"inget ärende {case!r}", "red"), " (se `busavvik cases`)"))
            only = {found.id}
        result = purge_pnr(session, ctx.obj.rules, decision, who or getpass.getuser(), day, only)
        if result.record is None:
            out.print("Inga lagrade meddelanden med personnummer kvar att rensa.", highlight=False)
            return
        out.print(f"Gallringsprotokoll {result.record.id}: {len(result.messages)} meddelanden ersatta med rensade "
                  "kopior (originalens sha256 sparade)", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")
