"""Reminder policy: pure functions that say which reminder step, if any, is due for a case on a day.

Steps (defaults from `ReminderSettings`):
  * ``notice``      `notice_days_before` days before the due date, a friendly notice; off (0) by default;
  * ``first``       on the response due date (first receipt + 2 calendar months, `Case.response_due`);
  * ``second``      `second_after_days` (14) after the due date;
  * ``escalation``  `escalation_after_days` (30) after the due date, only when `escalation_address` is set.

A step whose date has passed is sent on the next Swedish working day.  Only the latest step whose date has
passed is ever a candidate: a case that is already weeks late when first seen gets ONE reminder (the latest
due step), never a burst of every step; earlier steps are then superseded and never sent.  A later step also
waits until `MIN_GAP_DAYS` after the previous reminder so that two reminders never go out days apart.

Working days: Monday–Friday except Swedish public holidays (`holidays.Sweden`, category "public") and the
de-facto off days Midsommarafton, julafton and nyårsafton (not public holidays by law, but offices are closed
and the `holidays` package lists them only in its "bank" category).  We compute those three ourselves so the
decision does not depend on the package's category names.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from config.localzone import STOCKHOLM, LocalTime
from config.settings import ReminderSettings

STEPS = ("notice", "first", "second", "escalation")
MIN_GAP_DAYS = 7


@dataclass(frozen=True)
class CaseFacts:
    """What the policy needs to know about a case (built by the outbox from a `Case` row)."""
    case_id: str
    first_received: datetime
    response_due: date
    responded: bool
    status: str                                  # open | closed | paused
    existing_steps: tuple[tuple[str, date], ...] = ()  # (step, due_on) of reminders already created
    existing_status: tuple[tuple[str, str], ...] = ()  # (step, status) of those reminders, when known


@dataclass(frozen=True)
class Decision:
    """The step to create today, or None with the reason why nothing is due."""
    case_id: str
    step: str | None
    due_on: date | None
    reason: str


def _midsummer_eve(year: int) -> date:
    june19 = date(year, 6, 19)          # Midsommarafton: the Friday between 19 and 25 June
    return june19 + timedelta(days=(4 - june19.weekday()) % 7)


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> dict[date, str]:
    cal = holidays.country_holidays("SE", years=year, categories=("public",), language="sv")
    days = {d: str(name) for d, name in cal.items() if d.weekday() < 5}
    days.setdefault(_midsummer_eve(year), "Midsommarafton")
    days.setdefault(date(year, 12, 24), "Julafton")
    days.setdefault(date(year, 12, 31), "Nyårsafton")
    return days


def day_off_reason(day: date) -> str | None:
    """Why no reminder goes out on `day` (Swedish), or None for a working day."""
    if day.weekday() >= 5:
        return "helg (lördag/söndag)"
    name = _public_holidays(day.year).get(day)
    return f"helgdag: {name}" if name else None


def is_working_day(day: date) -> bool:
    return day_off_reason(day) is None


def in_window(moment: datetime, settings: ReminderSettings, zone: LocalTime = STOCKHOLM) -> bool:
    """Is `moment` inside the sending window (local time in worker.timezone, end exclusive)?"""
    local: time = moment.astimezone(zone.zone).time()
    return settings.window_start <= local < settings.window_end


def step_dates(response_due: date, settings: ReminderSettings) -> list[tuple[str, date]]:
    """Every step of the policy and its nominal date, in order."""
    before = settings.notice_days_before
    out = [("notice", response_due - timedelta(days=before))] if before > 0 else []
    out += [("first", response_due),
           ("second", response_due + timedelta(days=settings.second_after_days))]
    if settings.escalation_address:
        out.append(("escalation", response_due + timedelta(days=settings.escalation_after_days)))
    return out


def _excluded(case: CaseFacts, settings: ReminderSettings, zone: LocalTime) -> str | None:
    if case.status != "open":
        return f"ärendet är {'stängt' if case.status == 'closed' else 'pausat'}"
    if case.responded:
        return "svar har kommit"
    if settings.start_date and zone.day(case.first_received) < settings.start_date:
        return f"mottaget före startdatum {settings.start_date.isoformat()}"
    return None


def _latest_due(case: CaseFacts, day: date, settings: ReminderSettings) -> tuple[str, date] | None:
    passed = [(s, d) for s, d in step_dates(case.response_due, settings) if d <= day]
    return passed[-1] if passed else None


def decide(case: CaseFacts, day: date, settings: ReminderSettings, zone: LocalTime = STOCKHOLM) -> Decision:
    """Which step (if any) to create for `case` on `day`; `day` is assumed to be a working day."""
    reason = _excluded(case, settings, zone)
    if reason:
        return Decision(case.case_id, None, None, reason)
    latest = _latest_due(case, day, settings)
    if latest is None:
        return Decision(case.case_id, None, None, f"inte förfallet (svar senast {case.response_due})")
    step, due_on = latest
    order = {s: i for i, s in enumerate(STEPS)}
    done = dict(case.existing_steps)
    blocking = [s for s in done if order.get(s, -1) >= order[step]]
    if blocking:
        last = max(blocking, key=lambda s: order.get(s, -1))
        status = dict(case.existing_status).get(last)
        return Decision(case.case_id, None, None, existing_reason(last, status, case.case_id))
    gap = [d for s, d in done.items() if s != "notice"]   # a notice never holds back the first reminder
    if gap and (day - max(gap)).days < MIN_GAP_DAYS:
        return Decision(case.case_id, None, None, f"föregående påminnelse för mindre än {MIN_GAP_DAYS} dagar sedan")
    return Decision(case.case_id, step, day, f"steg '{step}' (datum {due_on.isoformat()})")


EXISTING = {
    "sent": "påminnelse '{step}' redan skickad",
    "pending": "påminnelse '{step}' är skapad men inte skickad än: nytt försök vid nästa körning",
    "sending": "påminnelse '{step}' skickas just nu (avbröts den tas den om hand vid nästa körning)",
    "delivering": "påminnelse '{step}' skickas just nu (avbröts den tas den om hand vid nästa körning)",
    "failed": ("påminnelse '{step}' kunde inte skickas och skickas inte igen av sig själv: rätta felet och kör "
               "`busavvik remind-resolve {case} {step} --resend` (eller --sent om den gått ut på annat sätt)"),
    "unknown": ("påminnelse '{step}' kanske skickades (förbindelsen bröts): kontrollera skickad post och kör "
                "`busavvik remind-resolve {case} {step} --sent` eller `--resend`"),
    "held": ("påminnelse '{step}' stoppades: för många mottagare – granska ärendet "
             "(`busavvik problems`)"),
}


def existing_reason(step: str, status: str | None, case: str = "ÄRENDE") -> str:
    """Why no new reminder: the state of the one already made for `step`, and what happens next (Swedish)."""
    return EXISTING.get(status or "", "påminnelse '{step}' redan skapad").format(step=step, case=case)


def decide_all(cases: Iterable[CaseFacts], day: date, settings: ReminderSettings,
               zone: LocalTime = STOCKHOLM) -> list[Decision]:
    """Decisions for every case on `day`; nothing at all on a weekend or public holiday."""
    off = day_off_reason(day)
    if off:
        return [Decision(c.case_id, None, None, off) for c in cases]
    return [decide(c, day, settings, zone) for c in cases]
