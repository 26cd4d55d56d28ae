"""worker.timezone is honoured everywhere: the day a moment falls on, the sending window, the reminder job's
schedule and the times printed (config/localzone.py). The zone is passed (a LocalTime from the settings), never
set process-wide."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from busavvik import jobs
from busavvik.context import AppContext
from config import localzone
from config.errors import ConfigError
from config.load import load_settings, parse_settings
from config.localzone import DEFAULT_ZONE, STOCKHOLM, LocalTime, local_day
from config.settings import ReminderSettings, Settings, SmtpSettings, WorkerSettings
from notify import service
from notify.policy import in_window
from store.cases import local_date
from web.render import environment, when

NEW_YORK = "America/New_York"
LATE_EVENING = datetime(2026, 1, 13, 3, 30, tzinfo=UTC)   # 04:30 on the 13th in Stockholm, 22:30 on the 12th in NY


NY = LocalTime.named(NEW_YORK)


def _app(reminders: ReminderSettings | None = None, zone: str = DEFAULT_ZONE) -> AppContext:
    app = AppContext()
    app.settings = Settings(reminders=reminders or ReminderSettings(enabled=True), worker=WorkerSettings(timezone=zone))
    return app


def test_default_zone_is_stockholm() -> None:
    assert STOCKHOLM.name == Settings().local.name == DEFAULT_ZONE == "Europe/Stockholm"
    assert local_day(LATE_EVENING) == local_date(LATE_EVENING) == date(2026, 1, 13)


def _globals() -> dict[str, object]:
    return {k: v for k, v in vars(localzone).items() if not k.startswith("__")}


def test_loading_the_settings_changes_no_global(tmp_path: Path) -> None:
    """The loader returns the zone in the settings; nothing process-wide moves (no set_local_zone)."""
    path = tmp_path / "c.toml"
    path.write_text(f'[worker]\ntimezone = "{NEW_YORK}"\n')
    before = _globals()
    settings = load_settings(path)
    assert settings.worker.timezone == NEW_YORK and settings.local.zone == ZoneInfo(NEW_YORK)
    assert _globals() == before and not hasattr(localzone, "set_local_zone")
    assert local_day(LATE_EVENING) == local_date(LATE_EVENING) == date(2026, 1, 13)      # Stockholm still
    assert when(LATE_EVENING) == "2026-01-13 04:30"
    assert parse_settings({"worker": {"timezone": NEW_YORK}}).local == NY


def test_two_zones_coexist_in_one_process() -> None:
    fixed = datetime(2026, 1, 13, 3, 30, tzinfo=UTC)
    ny, sthlm = LocalTime(ZoneInfo(NEW_YORK), clock=lambda: fixed), LocalTime(clock=lambda: fixed)
    assert (ny.today(), sthlm.today()) == (date(2026, 1, 12), date(2026, 1, 13))
    assert (ny.text(fixed, "%H:%M"), sthlm.text(fixed, "%H:%M")) == ("22:30", "04:30")
    assert ny.at(date(2026, 1, 13)).astimezone(UTC) == datetime(2026, 1, 13, 5, 0, tzinfo=UTC)
    assert sthlm.at(date(2026, 1, 13)).astimezone(UTC) == datetime(2026, 1, 12, 23, 0, tzinfo=UTC)
    assert ny != sthlm and ny.name == NEW_YORK and sthlm == STOCKHOLM
    with pytest.raises(ZoneInfoNotFoundError):
        LocalTime.named("Mars/Olympus_Mons")


def test_another_zone_moves_the_day_boundary() -> None:
    assert local_day(LATE_EVENING, NY) == local_date(LATE_EVENING, NY) == date(2026, 1, 12)
    assert when(LATE_EVENING, NY) == "2026-01-12 22:30"
    assert environment(NY).filters["when"](LATE_EVENING) == "2026-01-12 22:30"
    assert environment().filters["when"](LATE_EVENING) == "2026-01-13 04:30"


def test_another_zone_moves_the_sending_window() -> None:
    s = ReminderSettings()                                          # 08:00–16:00 local
    stockholm_morning = datetime(2026, 1, 13, 8, 30, tzinfo=ZoneInfo(DEFAULT_ZONE))   # 02:30 in NY
    assert not in_window(stockholm_morning, s, NY)
    assert in_window(stockholm_morning, s)
    assert in_window(datetime(2026, 1, 13, 14, 0, tzinfo=UTC), s, NY)  # 09:00 in NY, 15:00 in Stockholm
    assert not in_window(datetime(2026, 1, 13, 21, 30, tzinfo=UTC), s, NY)   # 16:30 in NY


def test_reminder_time_follows_the_zone() -> None:
    assert service.as_of_moment(date(2026, 1, 13), _app(zone=NEW_YORK)) == datetime(2026, 1, 13, 13, 0, tzinfo=UTC)
    assert service.as_of_moment(date(2026, 1, 13), _app()) == datetime(2026, 1, 13, 7, 0, tzinfo=UTC)


def test_outside_the_window_names_the_configured_zone() -> None:
    summary = service.run_reminders(_app(zone=NEW_YORK), datetime(2026, 1, 13, 8, 0, tzinfo=UTC),
                                    respect_window=True)
    assert summary.skipped_reason == "utanför sändningsfönstret 08:00–16:00 (America/New_York)"


def test_digest_schedule_is_in_the_zone() -> None:
    assert jobs.digest_trigger(_app(zone=NEW_YORK)).timezone == ZoneInfo(NEW_YORK)
    assert jobs.digest_trigger(_app()).timezone == ZoneInfo(DEFAULT_ZONE)


@pytest.mark.parametrize(("start", "end", "minute", "hour"), [
    (time(8, 0), time(16, 0), "5", "8-15"),            # the default: 08:05 … 15:05 as before
    (time(7, 30), time(12, 0), "35", "7-11"),
    (time(9, 0), time(9, 4), "0", "9"),                # shorter than five minutes: at the opening
    (time(16, 0), time(16, 6), "5", "16"),
    (time(8, 0, 30), time(10, 0), "6", "8-9"),         # never before the window opens
    (time(8, 0), time(9, 5), "5", "8"),                # 09:05 is the end: not inside (end exclusive)
])
def test_reminder_schedule_follows_the_window(start: time, end: time, minute: str, hour: str) -> None:
    schedule = jobs.reminder_schedule(ReminderSettings(window_start=start, window_end=end))
    assert schedule == {"trigger": "cron", "minute": minute, "hour": hour, "day_of_week": "mon-fri"}


def test_window_must_not_be_empty() -> None:
    with pytest.raises(ConfigError, match="reminders.window_end: must be later than window_start"):
        parse_settings({"reminders": {"window_start": "16:00", "window_end": "08:00"}})


def test_the_worker_schedules_reminders_in_the_window() -> None:
    app = AppContext()
    app.settings = Settings(smtp=SmtpSettings(host="127.0.0.1", security="none"),
                            reminders=ReminderSettings(window_start=time(7, 0), window_end=time(10, 0)))
    _job, schedule = jobs.notify_jobs(app)["reminders"]
    assert schedule == {"trigger": "cron", "minute": "5", "hour": "7-9", "day_of_week": "mon-fri"}


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])   # UTC+14 and UTC-11
def test_today_of_a_command_is_in_the_configured_zone(tmp_path: Path, zone: str) -> None:
    """`overdue`, `remind`, `digest` without --as-of judge by today in worker.timezone, not the machine's."""
    path = tmp_path / "c.toml"
    path.write_text(f'[worker]\ntimezone = "{zone}"\n')
    before = datetime.now(ZoneInfo(zone)).date()
    day = AppContext(str(path)).day(None)
    assert day in (before, datetime.now(ZoneInfo(zone)).date())


def test_the_composition_root_hands_the_zone_on(tmp_path: Path) -> None:
    """The CLI's context gives the configured zone to the settings' users and, through the rules, to the store."""
    path = tmp_path / "c.toml"
    path.write_text(f'[worker]\ntimezone = "{NEW_YORK}"\n')
    app = AppContext(str(path))
    assert app.settings.local == app.rules.local == NY
    plain = tmp_path / "plain.toml"
    plain.write_text("[worker]\n")
    assert AppContext(str(plain)).rules.local == STOCKHOLM
    assert local_date(LATE_EVENING, app.rules.local) == date(2026, 1, 12)
