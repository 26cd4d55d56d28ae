"""Read-only commands over the store: export, overdue, show, problems."""
from __future__ import annotations

from enum import Enum
from typing import Any, Optional

import typer
from rich.table import Table
from sqlalchemy import select

from busavvik.console import err, out, styled, write_csv, write_json
from busavvik.excel import write_excel_csv
from notify.review import REVIEW_STATES, state_text
from parsers.pnr import redact
from store import export
from store.answers import CHANNEL_LABELS
from store.caseview import CaseView, find_view, views
from store.models import Case, Message, Reminder
from store.review import needs_review
from store.setaside import set_aside_rows

export_app = typer.Typer(help="Export data as JSON or CSV on standard output.", no_args_is_help=True)


class Format(str, Enum):
    json = "json"
    csv = "csv"


class ViewFormat(str, Enum):
    json = "json"
    table = "table"


REDACT_HELP = ("Replace valid personnummer/samordningsnummer with \\[personnummer]. Without it an export is the "
               "data as received (it is personal data: handle it so).")


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    return value


EXCEL_HELP = ("With --format csv: for Swedish Excel (';' between fields, UTF-8 byte order mark, Swedish headers, "
              "outcome columns).")


def _emit(rows: list[dict[str, Any]], fmt: Format, hide: bool = False, excel: str = "") -> None:
    rows = _redacted(rows) if hide else rows
    if excel and fmt != Format.csv:
        err.print("--excel gäller bara --format csv.", markup=False, highlight=False)
        raise typer.Exit(2)
    if excel:
        write_excel_csv(rows, excel)
    else:
        write_json(rows) if fmt == Format.json else write_csv(rows)


@export_app.command("deviations")
def export_deviations(ctx: typer.Context, fmt: Format = typer.Option(Format.json, "--format", "-f"),
                      hide: bool = typer.Option(False, "--redact", help=REDACT_HELP),
                      excel: bool = typer.Option(False, "--excel", help=EXCEL_HELP)) -> None:
    """Every deviation (case) with its linked messages, response, flags and classification."""
    with ctx.obj.db.session() as session:
        _emit(export.deviations(session), fmt, hide, "deviations" if excel else "")


@export_app.command("messages")
def export_messages(ctx: typer.Context, fmt: Format = typer.Option(Format.json, "--format", "-f"),
                    hide: bool = typer.Option(False, "--redact", help=REDACT_HELP),
                    excel: bool = typer.Option(False, "--excel", help=EXCEL_HELP)) -> None:
    """Every stored message: where it was seen, its kind, case, the rule that linked it, problems."""
    with ctx.obj.db.session() as session:
        _emit(export.messages(session), fmt, hide, "messages" if excel else "")


def overdue_cmd(ctx: typer.Context,
                as_of: Optional[str] = typer.Option(None, "--as-of", help="Day to judge by (YYYY-MM-DD); "
                                                                           "default today."),
                fmt: ViewFormat = typer.Option(ViewFormat.table, "--format", "-f")) -> None:
    """Cases without an answer whose due date (first receipt + 2 months) is before the given day."""
    day = ctx.obj.day(as_of)
    with ctx.obj.db.session() as session:
        rows = export.overdue(session, day)
    if fmt == ViewFormat.json:
        write_json(_redacted(rows))
        return
    table = Table(title=f"Overdue on {day.isoformat()}: {len(rows)}")
    for col in ("case_id", "response_due", "days_overdue", "status", "awaiting", "answered"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["case_id"], r["response_due"], str(r["days_overdue"]), r["status"],
                      ", ".join(r["awaiting"]), f"{r['answered']} av {r['expected']}" if r["expected"] else "-")
    out.print(table)


def show_cmd(ctx: typer.Context, case_id: str = typer.Argument(..., metavar="CASE", help="e.g. BUS-2026-0007")) -> None:
    """One case: its fields, its thread and which rule linked each message (personnummer hidden)."""
    with ctx.obj.db.session() as session:
        case = find_view(session, case_id)
        if case is None:
            err.print(styled((f"no case {case_id!r}", "red"), " (see `busavvik export deviations`)"))
            raise typer.Exit(1)
        msgs = session.scalars(select(Message).where(Message.case_pk == case.pk).order_by(Message.date)).all()
        data = export.deviation_dict(case, list(msgs))
        flags = ", ".join(data["flags"]) or "-"
        out.print(styled((case.case_id, "bold"), f"  status {case.status}  due {data['response_due']}  "
                         f"responded: {'ja' if data['responded'] else 'nej'}  flags: {flags}"))
        for key in ("event_type", "units_involved", "description", "proposed_action", "reported_date"):
            out.print(f"  {key}: {data[key]}")
        out.print(f"  classification: {data['classification']}")
        _print_receivers(case)
        table = Table(title="Thread")
        for col in ("date", "kind", "link rule", "from", "subject"):
            table.add_column(col)
        for m in msgs:
            table.add_row(m.date.strftime("%Y-%m-%d %H:%M") if m.date else "?", m.kind, m.link_rule or "-",
                          m.sender or "?", m.subject)
        out.print(table)


def _print_receivers(case: CaseView) -> None:
    states = {"awaited": "väntar", "answered": "har svarat", "not_expected": "förväntas inte svara"}
    for r in case.receivers:
        by = f" ({r.changed_by} {r.changed_at:%Y-%m-%d})" if r.changed_by and r.changed_at else ""
        out.print(f"  mottagare {r.email} [{redact(r.unit or '?')}]: {states.get(r.state, r.state)}{by}", markup=False)
    for a in case.answers:
        rule = f", regel {a.outcome_rule}" if a.outcome_source == "suggested" else f", {a.outcome_by}"
        outcome = f"{a.outcome} ({'föreslaget' if a.outcome_source == 'suggested' else 'satt'}{rule})" \
            if a.outcome else "inget utfall"
        what = a.message_id if a.message_id else f"via {CHANNEL_LABELS.get(a.channel, a.channel)} {a.received_date}"
        out.print(f"  svar {what} från {a.receiver_email or '? (granska)'}: {outcome}", markup=False)


SETTLE_HINT = ("Avgör varje mejl med `busavvik case link`, `busavvik case open` (blanketten gick inte att läsa) "
               "eller `busavvik review dismiss` (ej avvikelse) och dess Message-ID "
               "(`busavvik problems --format json`).")


def problems_cmd(ctx: typer.Context, fmt: ViewFormat = typer.Option(ViewFormat.table, "--format", "-f")) -> None:
    """Messages with problems, unlinked mail that needs review, and mail the server would not deliver."""
    with ctx.obj.db.session() as session:
        rows = [export.message_dict(m) for m in session.scalars(select(Message).order_by(Message.id))
                if needs_review(m)]
        aside = [{"kind": "set_aside", "mailbox": a.mailbox, "folder": a.folder, "uidvalidity": a.uidvalidity,
                  "uid": a.uid, "reason": a.reason, "since": a.first_at.isoformat(), "attempts": a.attempts,
                  "summary": a.summary}
                 for a in set_aside_rows(session)]
        reminders = _reminder_rows(session)
    if fmt == ViewFormat.json:   # a view like the table: personnummer hidden (an export may show them)
        write_json(_redacted(rows + aside + reminders))
        return
    table = Table(title=f"Needs review: {len(rows)}")
    for col in ("date", "kind", "problems", "from", "subject"):
        table.add_column(col)
    for r in rows:
        table.add_row((r["date"] or "?")[:16], r["kind"], ", ".join(r["problems"]) or "-", r["from"] or "?",
                      redact(r["subject"] or "")[:60])
    out.print(table)
    if rows:
        out.print(SETTLE_HINT, markup=False, soft_wrap=True)
    if aside:
        _print_set_aside(aside)
    for r in reminders:
        out.print(f"Påminnelse {r['case_id']} [{r['step']}]: {r['what']} ({r['reason']})", markup=False,
                  soft_wrap=True)


def _reminder_rows(session: Any) -> list[dict[str, Any]]:
    """Reminders a human must look at: held back (too many recipients), failed, unknown (notify/review.py)."""
    found = session.execute(select(Case.case_id, Reminder).join(Case, Case.id == Reminder.case_pk)
                            .where(Reminder.status.in_(REVIEW_STATES)).order_by(Reminder.id)).tuples()
    return [{"kind": "reminder", "case_id": cid, "step": r.step, "status": r.status, "attempts": r.attempts,
             "what": state_text(r.status, cid, r.step), "reason": redact(r.last_error or "")} for cid, r in found]


def _print_set_aside(aside: list[dict[str, Any]]) -> None:
    table = Table(title=f"Set aside: {len(aside)} (the IMAP server would not deliver them: asked for again "
                        "after 1, 2, 4… hours, at least daily, or now with `poll --once --retry-set-aside`; "
                        "a Maildir file that cannot be read: read again at every poll)")
    for col in ("mailbox", "folder", "uid", "since", "attempts", "message", "reason"):
        table.add_column(col)
    for a in aside:
        uid = str(a["uid"]) if a["uidvalidity"] else "(file)"   # a Maildir file: its name is in the reason
        table.add_row(a["mailbox"], a["folder"], uid, a["since"][:16], str(a["attempts"]),
                      redact(a["summary"] or "")[:80] or "?", a["reason"])
    out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.command("overdue")(overdue_cmd)
    app.command("show")(show_cmd)
    app.command("problems")(problems_cmd)
    app.command("cases")(cases_cmd)


def cases_cmd(ctx: typer.Context) -> None:
    """All cases: received, reporter → receivers, answered, and the messages linked to each (rule).

    A person's corrections are applied, as `show` and the export apply them."""
    with ctx.obj.db.session() as session:
        table = Table(title="Avvikelser (cases)")
        for col in ("case", "received", "reporter → receivers", "relation", "answered", "due", "thread"):
            table.add_column(col)
        for case in views(session):
            msgs = session.scalars(select(Message).where(Message.case_pk == case.pk).order_by(Message.date)).all()
            c = case.classification
            thread = ", ".join(f"{m.kind}({m.link_rule})" for m in msgs)
            table.add_row(case.case_id, case.first_received.date().isoformat(),
                          f"{c.reporter_org_type or '?'} → {', '.join(c.receiver_org_types or ['?'])}",
                          c.principal_relation or "?", "ja" if case.responded else "nej",
                          case.response_due.isoformat(), thread)
        out.print(table)
