"""The scheduled notify jobs (reminders, weekly digest) the worker runs besides polling.

The weekly digest runs at its hour, and is tried again hourly and when the worker starts: one missed at its
hour (the worker stopped, the database or the SMTP server down) still goes out that week, and none twice
(store/digestruns.py).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from busavvik.context import AppContext
from busavvik.worker import NotifyJob
from config.settings import ReminderSettings
from store.digestruns import claim, finish

log = logging.getLogger("busavvik.jobs")
_DIGEST = threading.Lock()     # the digest's two jobs (at its hour, hourly) never send at the same time
SendDigest = Callable[[AppContext, date], object]


def digest_trigger(app: AppContext) -> CronTrigger:
    d = app.settings.digest
    return CronTrigger(day_of_week=d.day_of_week, hour=d.hour, minute=d.minute, timezone=app.settings.local.zone)


def reminder_schedule(reminders: ReminderSettings) -> dict[str, object]:
    """The reminder job's cron fields (local time, worker.timezone): Monday–Friday, hourly inside the sending
    window (reminders.window_start–window_end), first five minutes after it opens (08:00–16:00: 08:05 … 15:05).
    Holidays and the window itself are checked again by the job (notify/policy.py)."""
    opens = reminders.window_start
    start = datetime.combine(date(2000, 1, 3), opens.replace(second=0, microsecond=0))
    if opens.second or opens.microsecond:
        start += timedelta(minutes=1)             # opening at 08:00:30: the first whole minute inside it
    end = datetime.combine(start.date(), reminders.window_end)
    first = start + timedelta(minutes=5) if end - start > timedelta(minutes=5) else start
    runs = [first]
    while runs[-1] + timedelta(hours=1) < end:
        runs.append(runs[-1] + timedelta(hours=1))
    hours = str(first.hour) if len(runs) == 1 else f"{first.hour}-{runs[-1].hour}"
    return {"trigger": "cron", "minute": str(first.minute), "hour": hours, "day_of_week": "mon-fri"}


def last_fire(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The trigger's latest time at or before `now`, within the last eight days."""
    found, moment = None, trigger.get_next_fire_time(None, now - timedelta(days=8))
    while moment is not None and moment <= now:
        found, moment = moment, trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return found


def run_digest(app: AppContext, now: datetime, send: SendDigest) -> str:
    """Send the digest last scheduled at or before `now` unless it was sent: "sent", "failed", or why not."""
    due = last_fire(digest_trigger(app), now)
    if due is None:
        return "not scheduled"
    with _DIGEST:
        with app.db.session(write=True) as session:
            state = claim(session, due, now)
        if state == "stuck":
            log.warning("the weekly digest of %s may or may not have gone out (the worker stopped while sending "
                        "it); check, and send it with `busavvik digest --as-of %s --send` if needed",
                        due.isoformat(), due.date().isoformat())
        if state != "claimed":
            return state
        error = None
        day = app.settings.local.day(due)
        try:
            result = send(app, day)
            sent_to = getattr(result, "sent_to", None) or app.settings.digest.recipients
            log.info("the weekly digest of %s (as of %s) was sent to %s", due.isoformat(), day.isoformat(),
                     ", ".join(sent_to))
        except Exception as exc:  # noqa: BLE001 - recorded; the hourly try sends it again
            error = f"{type(exc).__name__}: {exc}"
            log.error("the weekly digest of %s was not sent (%s); it is tried again within the hour",
                      due.isoformat(), error)
        with app.db.session(write=True) as session:
            finish(session, due, now, error)
        return "failed" if error else "sent"


def notify_jobs(app: AppContext) -> dict[str, tuple[NotifyJob, dict[str, object]]]:
    jobs: dict[str, tuple[NotifyJob, dict[str, object]]] = {}
    try:
        from notify.service import run_reminders, send_digest
    except ImportError:  # notify not installed in this build
        return jobs
    if not app.settings.smtp.host:
        log.warning("no smtp.host in the configuration: the worker sends no reminders and no weekly digest")
        return jobs
    d = app.settings.digest

    def remind(ctx: AppContext, now: datetime) -> None:
        run_reminders(ctx, now, True)

    def digest(ctx: AppContext, now: datetime) -> None:
        run_digest(ctx, now, lambda a, day: send_digest(a, day))

    jobs["reminders"] = (remind, reminder_schedule(app.settings.reminders))
    if not d.enabled:
        log.info("digest.enabled = false: the worker does not mail the weekly digest")
        return jobs
    jobs["digest"] = (digest, {"trigger": "cron", "day_of_week": d.day_of_week, "hour": d.hour, "minute": d.minute})
    jobs["digest-catch-up"] = (digest, {"trigger": "interval", "minutes": 60, "run_at_start": True})
    return jobs
