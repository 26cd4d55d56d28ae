"""`busavvik remind`, `remind-resolve` and `digest`; the runs themselves are
notify/service.py's (the worker schedules the same functions)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from busavvik.console import err, out
from busavvik.context import AppContext
from notify import digest as dg
from notify import outbox, review
from notify import swedish as sv
from notify.policy import day_off_reason
from notify.service import NoSmtpHost, RemindSummary, as_of_moment, attention, run_reminders, send_digest


def say(text: str) -> None:
    """Plain output (case ids and steps are in brackets; busavvik.console reads no markup), no wrapping."""
    out.print(text, soft_wrap=True, highlight=False)


def _step(step: str) -> str:
    """A reminder step as the secretariat reads it ("påminnelse 1"), not its code ("first")."""
    return dg.STEP_LABELS.get(step, "påminnelse")


def _print_planned(planned: list[outbox.Planned], verb: str, swedish: bool = False) -> None:
    for p in planned:
        cc = f"  kopia: {', '.join(p.cc)}" if p.cc else ""
        step = f"({_step(p.step)})" if swedish else f"[{p.step}]"
        say(f"{verb} {p.case_id} {step} till: {', '.join(p.to)}{cc}")


def _dry_run(app: AppContext, day: date) -> None:
    off = day_off_reason(day)
    if off:
        say(f"Inget skickas {day.isoformat()}: {off}.")
        return
    planned = outbox.plan(app.db, day, as_of_moment(day, app), app.settings, app.rules, dry_run=True)
    say(f"Provkörning {day.isoformat()}: {sv.count(len(planned), 'påminnelse')} skulle skickas"
              f"{'' if app.settings.reminders.enabled else ' (påminnelser är avstängda)'}.")
    _print_planned([p for p in planned if not p.held], "skulle skicka", swedish=True)
    for p in planned:
        if p.held:
            say(f"  ingen påminnelse {p.case_id} ({_step(p.step)}): {p.held}")
    for case_id, reason in outbox.skipped(app.db, day, app.settings, app.rules):
        say(f"  ingen påminnelse {case_id}: {reason}")
    for line in attention(app):
        say(f"  att kontrollera: {line}")


def remind_cmd(ctx: typer.Context,
               as_of: str = typer.Option(..., "--as-of", help="Day (YYYY-MM-DD) to send for."),
               dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be sent and to whom.")
               ) -> None:
    """Send the reminders due on that day (as if inside the sending window). Needs reminders.enabled.

    Exit status: 0 every reminder due went out (or none was due); 1 one or more did not (refused, deferred,
    unknown, or held back for too many recipients: see the lines printed), or reminders are disabled."""
    app: AppContext = ctx.obj
    day = app.day(as_of)
    if dry_run:
        _dry_run(app, day)
        return
    if not app.settings.reminders.enabled:
        err.print("Påminnelser är avstängda: sätt reminders.enabled = true i konfigurationen "
                  "(eller använd --dry-run för att se vad som skulle skickas).")
        raise typer.Exit(1)
    from pipeline.facts import fill_in  # here: the parser pool only when a case's form was never kept
    fill_in(app.db, app.rules, app.budget)
    try:
        summary = run_reminders(app, as_of_moment(day, app), respect_window=False)
    except NoSmtpHost as exc:
        raise typer.BadParameter(str(exc)) from None
    _print_summary(summary)
    if summary.not_delivered():
        n = len(summary.not_delivered())
        err.print(f"{sv.count(n, 'påminnelse')} som skulle ha gått ut {day.isoformat()} kom inte "
                  "fram: se raderna ovan.", markup=False, highlight=False)
        raise typer.Exit(1)


RECOVERED = {"requeued": "åter i kö", "sent": "bekräftade som skickade", "unknown": "med okänt utfall",
             "failed": "misslyckade"}


def _print_summary(summary: RemindSummary) -> None:
    if summary.skipped_reason:
        say(f"Inget skickas: {summary.skipped_reason}.")
        return
    for key, n in summary.recovered.items():
        if n:
            say(f"Efter ett avbrott: {sv.count(n, 'påminnelse')} {RECOVERED.get(key, key)}")
    _print_planned([p for p in summary.planned if p.created and not p.held], "planerad")
    sent = [d for d in summary.deliveries if d.status == "sent"]
    failed = summary.not_delivered()
    line = f"{summary.day.isoformat()}: {sv.count(len(sent), 'påminnelse')} {sv.form(len(sent), 'skickad')}"
    say(line + (f", {len(failed)} kom inte fram." if failed else "."))
    for d in summary.deliveries:
        tries = f" (försök {d.attempts} av {outbox.MAX_ATTEMPTS})" if d.status != "sent" and d.attempts else ""
        detail = f" – orsak: {d.detail}" if d.detail and d.status != "sent" else ""
        say(f"  {d.case_id} [{d.step}]: {review.state_text(d.status, d.case_id, d.step)}{tries}{detail}")
    shown = {f"{d.case_id} [{d.step}]" for d in summary.deliveries}
    for p in summary.planned:
        if p.held and p.created:
            shown.add(f"{p.case_id} [{p.step}]")
            say(f"  {p.case_id} [{p.step}]: {review.state_text('held', p.case_id, p.step)} – {p.held}")
    for line in summary.attention:   # rows of earlier runs that still wait for a human
        if not line.startswith(tuple(shown)):
            say(f"  att kontrollera: {line}")


def resolve_cmd(ctx: typer.Context, case_id: str = typer.Argument(..., metavar="CASE"),
                step: str = typer.Argument(..., help="notice | first | second | escalation"),
                sent: bool = typer.Option(False, "--sent", help="The reminder did arrive: mark it sent."),
                resend: bool = typer.Option(False, "--resend", help="It did not arrive: send it again.")) -> None:
    """Settle a reminder left unknown/failed (after checking the sent mail): --sent or --resend."""
    if sent == resend:
        raise typer.BadParameter("ange exakt en av --sent och --resend")
    try:
        status = outbox.resolve(ctx.obj.db, case_id, step, sent, datetime.now(UTC), ctx.obj.settings, ctx.obj.rules)
    except LookupError as exc:
        err.print(str(exc), style="red", highlight=False)
        raise typer.Exit(1) from None
    say(f"{case_id.upper()} [{step}]: {status}")


def digest_cmd(ctx: typer.Context,
               as_of: str = typer.Option(..., "--as-of", help="Day (YYYY-MM-DD); the week is the 7 days before it."),
               out_file: Annotated[Path | None, typer.Option("--out", help="Write the HTML to this file.")] = None,
               send: bool = typer.Option(False, "--send", help="Mail it to digest.recipients.")) -> None:
    """The weekly digest for the secretariat (Swedish HTML with a plain-text alternative)."""
    app: AppContext = ctx.obj
    if out_file is None and not send:
        say(dg.render_text(_collect(app, app.day(as_of)), app.settings.digest.templates_dir,
                           app.settings.web.base_url))
        return
    try:
        result = send_digest(app, app.day(as_of), out_file, send)
    except NoSmtpHost as exc:
        raise typer.BadParameter(str(exc)) from None
    except RuntimeError as exc:
        err.print(str(exc), style="red", highlight=False)
        raise typer.Exit(1) from None
    if result.out:
        say(f"Skrev {result.out}")
    if result.sent_to:
        say(f"Skickade till {', '.join(result.sent_to)}")
        if _mark_sent_by_hand(app, app.day(as_of)):
            say("Den schemalagda veckosammanfattningen för dagen, som inte hade gått ut, är nu markerad som skickad.")


def _mark_sent_by_hand(app: AppContext, day: date) -> int:
    """That day's scheduled digest, failed or cut short (store/digestruns.py), is done now."""
    from store.digestruns import sent_by_hand
    start = app.settings.local.at(day)
    with app.db.session(write=True) as session:
        return sent_by_hand(session, start, start + timedelta(days=1), datetime.now(UTC))


def _collect(app: AppContext, day: date) -> dg.Digest:
    with app.db.session() as session:
        return dg.collect(session, day, app.settings.local)


def register(app: typer.Typer) -> None:
    app.command("remind")(remind_cmd)
    app.command("remind-resolve")(resolve_cmd)
    app.command("digest")(digest_cmd)
