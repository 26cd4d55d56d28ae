"""`busavvik poll --once`, `busavvik run` and `busavvik status`."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from busavvik.console import err, fail, out, styled, write_json
from busavvik.context import AppContext
from busavvik.logs import setup_logging
from busavvik.status_info import cursor_text, reminder_info, worker_info
from config.localzone import STOCKHOLM, LocalTime
from parsers.pnr import redact
from store.digestruns import runs
from store.models import Cursor, DigestRun, MailboxStatus
from store.setaside import set_aside_counts
from store.unparsed import Unparsed, counts_by_mailbox, unparsed_messages


def _local(moment: datetime | None, zone: LocalTime = STOCKHOLM) -> str:
    """A time as the secretariat reads it: local time (worker.timezone), to the second ("never" when none)."""
    return zone.text(moment) if moment else "never"


def _validated(ctx: typer.Context) -> AppContext:
    app: AppContext = ctx.obj
    from config.load import load_settings
    app.settings = load_settings(app.config_path, check_secrets=True)  # fail early on missing secrets
    setup_logging(app.settings.logging.format, app.settings.logging.level)
    if not app.settings.mailboxes:
        err.print("no [[mailboxes]] configured: nothing to poll", style="yellow")
    return app


def poll_cmd(ctx: typer.Context, once: bool = typer.Option(True, "--once/--no-once",
                                                            help="Run one poll cycle and exit (for cron)."),
             retry_set_aside: bool = typer.Option(
                 False, "--retry-set-aside",
                 help="Ask for every set-aside message again now (after fixing what the server refused), "
                      "not only those due.")) -> None:
    """Poll every configured mailbox once: fetch new mail read-only, store, parse and link it.

    Exit status: 0 all polled; 1 one or more failed (the others still polled); 2 bad configuration; 3 database error.
    """
    from busavvik.poll import poll_once  # here: the mail pipeline only for `poll`

    app = _validated(ctx)
    results = poll_once(app, retry_now=retry_set_aside)
    failed = 0
    for r in results:
        s = r.stats
        line = f"{r.mailbox}: new {s.new}, duplicates {s.duplicates}, deviations {s.deviations}, answers {s.answers}"
        if r.set_aside:
            line += f", set aside {r.set_aside} (not delivered by the server or not readable; see `busavvik problems`)"
        if r.error:
            failed += 1
        out.print(styled(line, (f"  ERROR {r.error_code}: {r.error}" if r.error else "", "red")))
    if failed:   # visible to cron and to a systemd timer, even when the other mailboxes went well
        raise typer.Exit(1)


def run_cmd(ctx: typer.Context) -> None:
    """Run the worker: poll every `worker.poll_minutes`, remind and send the digest on schedule.

    Reminders need reminders.enabled = true, the weekly digest digest.enabled = true; both need smtp.host.
    A digest missed at its hour is sent later that week.

    With PostgreSQL several workers may run: one is the leader, the others stand by.
    A standby takes over within a poll interval. With SQLite a second worker refuses to start."""
    from busavvik.jobs import notify_jobs  # here: the scheduler (APScheduler) and the pipeline only for `run`
    from busavvik.leader import AlreadyRunning
    from busavvik.worker import Worker

    app = _validated(ctx)
    try:
        Worker(app, notify_jobs(app)).run()
    except AlreadyRunning as exc:
        fail(str(exc))


def status_cmd(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Machine-readable."),
               full: bool = typer.Option(False, "--full", help="With --json: an object with the mailboxes, the "
                                         "worker, the reminders and the digest (without: the mailbox list).")
               ) -> None:
    """Each mailbox's last successful poll, cursors, errors and counts; whether the worker is alive; reminders.

    Exit status 0; the text says what is wrong and what to do."""
    app: AppContext = ctx.obj
    now, zone = datetime.now(UTC), app.settings.local
    with app.db.session() as session:
        unparsed = unparsed_messages(session)
        rows = _mailbox_rows(app, session, counts_by_mailbox(unparsed))
        digest = _digest_line(runs(session), app.settings.digest.enabled and bool(app.settings.smtp.host), zone)
        worker = worker_info(session, now, zone)
    reminders = reminder_info(app.db, app.settings)
    if as_json:   # times in UTC, ISO 8601
        doc = {"mailboxes": rows, "worker": worker, "reminders": reminders, "digest": digest} if full else rows
        write_json(doc, default=lambda t: t.isoformat(), ensure_ascii=True)
        return
    table = Table(title=f"Mailboxes (times in {zone.name})")
    for col in ("mailbox", "last success", "last poll", "last error", "errors", "fetched", "set aside", "cursors"):
        table.add_column(col)
    for r in rows:
        error = f"{r['last_error']} (sedan {_local(r['error_since'], zone)})" if r["last_error"] else "-"
        table.add_row(str(r["mailbox"]), _local(r["last_success"], zone), _local(r["last_poll"], zone),
                      error, str(r["errors"]), str(r["fetched"]), str(r["set_aside"]),
                      "; ".join(r["cursors_text"]) or "-")
    out.print(table)
    for line in (worker["text"], reminders["text"], *[f"  att kontrollera: {a}" for a in reminders["attention"]]):
        out.print(line, markup=False, soft_wrap=True)
    _print_unparsed(unparsed, zone=zone)
    out.print(digest)


def _mailbox_rows(app: AppContext, session: Session, not_parsed: dict[str, int]) -> list[dict[str, Any]]:
    statuses = {s.mailbox: s for s in session.scalars(select(MailboxStatus))}
    cursors = session.scalars(select(Cursor).order_by(Cursor.mailbox, Cursor.folder)).all()
    aside = set_aside_counts(session)
    rows = []
    for mb in app.settings.mailboxes:
        st = statuses.get(mb.name)
        mine = [c for c in cursors if c.mailbox == mb.name]
        rows.append({
            "mailbox": mb.name, "type": mb.type,
            "last_poll": st.last_poll_at if st else None, "last_success": st.last_success_at if st else None,
            "last_error": st.last_error if st else None, "errors": st.error_count if st else 0,
            "fetched": st.fetched_total if st else 0, "set_aside": aside.get(mb.name, 0),
            "not_parsed": not_parsed.get(mb.name, 0),
            "cursors": {c.folder: f"{c.uidvalidity}:{c.last_uid}" for c in mine},
            "error_since": st.error_since if st else None,
            "cursors_text": [cursor_text(mb.type, c, app.settings.local) for c in mine] or ["ingen post ännu"],
        })
    return rows


def _print_unparsed(found: list[Unparsed], shown: int = 20, zone: LocalTime = STOCKHOLM) -> None:
    """Mail stored without its parse (parse budget): named, so that a person can look at it."""
    if not found:
        return
    out.print(f"Mejl som inte kunde tolkas inom gränsen för tolkning: {len(found)} (sparade otolkade; "
              "`busavvik reparse` försöker igen, `busavvik problems` visar dem)", markup=False)
    for item in found[:shown]:
        where = ", ".join(f"{mb}/{folder} UID {uid}" for mb, folder, uid in item.places[:3]) or "?"
        why = "tog för lång tid" if item.code == "parse_timeout" else "för komplext"
        out.print(f"  {_local(item.first_seen, zone)}  {item.code} ({why})  {where}  från {item.sender or '?'}  "
                  f"ämne {redact(item.subject)[:80]!r}", markup=False)
    if len(found) > shown:
        out.print(f"  … och {len(found) - shown} till", markup=False)


def _digest_line(done: list[DigestRun], mailed: bool, zone: LocalTime = STOCKHOLM) -> str:
    """The weekly digest's last scheduled run, and any not sent (store/digestruns.py)."""
    if not mailed:
        return "Weekly digest: not mailed by the worker (needs digest.enabled = true and smtp.host)"
    if not done:
        return "Weekly digest: none scheduled yet"
    last = done[-1]
    line = f"Weekly digest of {_local(last.scheduled_for, zone)}: {last.status} ({last.attempts} attempt(s))"
    if last.last_error:
        line += f" – {last.last_error[:200]}"
    recent = last.scheduled_for - timedelta(days=28)    # older misses were said in the digests of their time
    unsent = [r for r in done[:-1] if r.status in ("failed", "unknown") and r.scheduled_for >= recent]
    if unsent:
        line += "; not sent: " + ", ".join(f"{_local(r.scheduled_for, zone)} ({r.status})" for r in unsent[-5:])
    return line


def register(app: typer.Typer) -> None:
    app.command("poll")(poll_cmd)
    app.command("run")(run_cmd)
    app.command("status")(status_cmd)


