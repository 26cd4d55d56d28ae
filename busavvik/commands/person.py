"""`busavvik person ADDRESS-OR-NAME [--format json] [--erase]`: a register extract for one person, and erasure
where the owners' rules allow it (store/person.py)."""
from __future__ import annotations

import getpass
from typing import Any, Optional

import typer

from busavvik.console import out, usage_error, write_json
from busavvik.options import parse_day


def _text(extract: dict[str, Any]) -> None:
    out.print(f"Registerutdrag: {extract['person']}", highlight=False)
    out.print(f"Ärenden: {len(extract['cases'])}", highlight=False)
    for case in extract["cases"]:
        out.print(f"  {case['case_id']} ({case['first_received']}, {case['status']}): {', '.join(case['roles'])}; "
                  f"ägare: {', '.join(case['owners']) or 'okänd'}", highlight=False)
    out.print(f"Meddelanden: {len(extract['messages'])}", highlight=False)
    for m in extract["messages"]:
        out.print(f"  {m['date'][:10]} {m['subject']} [{m['kind']}{', ' + m['case_id'] if m['case_id'] else ''}]: "
                  f"{', '.join(m['roles'])}; ägare: {', '.join(m['owners']) or 'okänd'}", highlight=False)
    out.print(f"Rättelser: {len(extract['corrections'])}", highlight=False)
    for c in extract["corrections"]:
        out.print(f"  {c['at'][:10]} {c['case_id'] or ''} {c['field']} av {c['who']}", highlight=False)
    out.print(f"Konton på webbsidorna: {len(extract['accounts'])}", highlight=False)
    for a in extract["accounts"]:
        out.print(f"  {a['name']} ({a['role']}{', avstängt' if a['disabled'] else ''})", highlight=False)
    log = extract["access_log"]
    if isinstance(log, str):
        out.print(f"Åtkomstlogg: {log}", highlight=False)
        return
    out.print(f"Åtkomstlogg: {len(log)}", highlight=False)
    for row in log:
        out.print(f"  {row['at'][:16]} {row['event']} {row['target']}", highlight=False)


def person_cmd(ctx: typer.Context,
               person: str = typer.Argument(..., metavar="ADDRESS-OR-NAME",
                                            help="An e-mail address (exact) or a name (part of a name field)."),
               fmt: str = typer.Option("text", "--format", help="text (a readable extract) or json."),
               erase: bool = typer.Option(False, "--erase", help="Pseudonymise the person where every owner's "
                                                                 "rule allows it; refused, with the reason, where "
                                                                 "archive law keeps it."),
               as_of: Optional[str] = typer.Option(None, "--as-of", help="The day of the request (YYYY-MM-DD)."),
               who: Optional[str] = typer.Option(None, "--who", help="Who handles the request.")) -> None:
    """Everything held about one person (a register extract); --erase pseudonymises where allowed."""
    from store.person import erase as erase_person
    from store.person import extract

    if fmt not in ("text", "json"):
        usage_error(f"--format: text eller json, fick {fmt!r}")
    if len(person.strip()) < 3:
        usage_error("ange minst tre tecken av en adress eller ett namn")
    with ctx.obj.db.session() as session:
        found = extract(session, person).as_dict()
        if not erase:
            write_json(found) if fmt == "json" else _text(found)
            return
        result = erase_person(session, ctx.obj.settings.retention, person, who or getpass.getuser(),
                              parse_day(as_of, local=ctx.obj.rules.local))
        report = {"person": found["person"], "pseudonymised": result.done,
                  "refused": [{"item": item, "reason": why} for item, why in result.refused],
                  "record": result.record.id if result.record is not None else None}
    if fmt == "json":
        write_json(report)
        return
    out.print(f"Pseudonymiserat: {len(result.done)}" + (f" (gallringsprotokoll {report['record']})"
                                                        if report["record"] else ""), highlight=False)
    for item in result.done:
        out.print(f"  {item}", highlight=False)
    out.print(f"Nekat: {len(result.refused)}", highlight=False)
    for item, why in result.refused:
        out.print(f"  {item}: {why}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("person")(person_cmd)
