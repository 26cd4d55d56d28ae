"""`busavvik rules check FILE`: what the parser reads from a form or a mail, from where, and by which rule."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from busavvik.console import fail, out, styled
from busavvik.context import AppContext
from config.rules import Rules
from parsers.classify import classify
from parsers.form import parse_form
from parsers.pnr import redact
from parsers.types import Address, FormResult

rules_app = typer.Typer(help="Try the rules file on a form or a mail.", no_args_is_help=True)


def _show_form(result: FormResult, rules: Rules, sender: Address | None, recipients: tuple[Address, ...],
               title: str) -> None:
    for problem in result.problems:
        out.print(styled(("problem", "yellow"), f" {problem.code}: {problem.detail}"))
    if result.form is None:
        out.print(f"{title}: no form found" if not result.problems else f"{title}: could not be read")
        return
    table = Table(title=title)
    for col in ("field", "value", "section", "from", "label", "rule"):
        table.add_column(col)
    for t in result.form.trace:
        table.add_row(t.field, redact(t.value)[:80], t.section, t.source, redact(t.label)[:40],
                      redact(t.rule)[:40])
    out.print(table)
    if result.form.has_report:
        c = classify(result.form, sender, recipients, rules)
        out.print(f"classification: reporter {c.reporter_org_type} ({c.reporter_principal}), receivers "
                  f"{', '.join(c.receiver_org_types) or '?'}, relation {c.principal_relation}, "
                  f"themes {', '.join(c.themes)}", markup=False)
        for why in c.rules_used:
            out.print(f"  rule: {why}", markup=False)


def check(ctx: typer.Context, path: Path = typer.Argument(..., help="A .docx form or an .eml mail.")) -> None:
    """Show, field by field, what is read, from where (content control, table cell, typed text), which rule
    matched, and the classification with the rule behind it."""
    app: AppContext = ctx.obj
    rules = app.rules
    if not path.is_file():
        fail(styled(("error:", "red"), f" {path}: no such file"), 2)
    data = path.read_bytes()
    out.print(f"rules: {rules.source}")
    if path.suffix.lower() in (".eml", ".msg", ".txt") or data[:5] in (b"From:", b"Recei", b"Retur", b"Messa"):
        from parsers.mail import parse_email  # here: the mail parser (~20 ms) only for a mail

        mail = parse_email(data, rules)
        out.print(f"subject: {redact(mail.subject)!r} → normalised {redact(mail.normalised_subject)!r}",
                  markup=False)
        out.print(f"auto-reply: {'yes' if mail.auto_reply else 'no'}; thread GUID: {mail.thread_index_guid}; "
                  f"references: {len(mail.references)}; problems: {[p.code for p in mail.problems]}", markup=False)
        for att in mail.attachments:
            _show_form(parse_form(att.data, rules.form, att.filename), rules, mail.sender, (*mail.to, *mail.cc),
                       f"{att.filename}{' (forwarded)' if att.forwarded else ''}")
        return
    _show_form(parse_form(data, rules.form, path.name), rules, None, (), path.name)


rules_app.command("check")(check)


def org(ctx: typer.Context,
        what: str = typer.Argument(..., help="A unit as written in the form, or an e-mail address."),
        day: str | None = typer.Option(None, "--date", help="The day (YYYY-MM-DD) to look up; default today.")) -> None:
    """What the organisation register takes a unit or an address as: type, huvudman, kommun, stadsdel/area,
    mottagning — with successor units after a reorganisation — and why."""
    from config.orgregister import lookup

    app: AppContext = ctx.obj
    when = app.day(day, "--date")
    address = what.strip() if "@" in what and " " not in what.strip() else None
    place = lookup(app.register, app.rules, None if address else what, address, when)
    out.print(f"register: {app.register.source}", markup=False, highlight=False)
    for label, value in (("enhet", place.unit), ("typ", place.type), ("huvudman", place.huvudman),
                         ("kommun", place.kommun), ("stadsdel/område", place.area), ("mottagning", place.mottagning)):
        out.print(f"{label}: {value or '–'}", markup=False, highlight=False)
    for why in place.why:
        out.print(f"  regel: {why}", markup=False, highlight=False)


rules_app.command("org")(org)


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
