"""The local time zone (config `worker.timezone`): the zone the secretariat's days, sending window and
printed times are in.

No process-wide state: the composition root (CLI, worker, web app) builds one frozen `LocalTime` from the
settings (`settings.local`) and hands it to whatever needs the local day, the local "today" or local printing.
`STOCKHOLM` is the default (worker.timezone's default), used where no settings are at hand."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Europe/Stockholm"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class LocalTime:
    """A zone and a clock: the local day of a moment, today in the zone, a moment as the secretariat reads it."""
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_ZONE))
    clock: Callable[[], datetime] = field(default=_utc_now, compare=False)

    @classmethod
    def named(cls, name: str = DEFAULT_ZONE) -> LocalTime:
        """The zone `name` (e.g. "Europe/Stockholm"); an unknown name raises ZoneInfoNotFoundError."""
        return cls(ZoneInfo(name))

    @property
    def name(self) -> str:
        """The zone's name as the config writes it, e.g. "Europe/Stockholm"."""
        return self.zone.key

    def now(self) -> datetime:
        """The clock's moment, in the local zone."""
        return self.clock().astimezone(self.zone)

    def today(self) -> date:
        """Today in the local zone (not the host's)."""
        return self.now().date()

    def day(self, moment: datetime) -> date:
        """The calendar day `moment` falls on in the local zone."""
        return moment.astimezone(self.zone).date()

    def at(self, day: date, when: time = time(0)) -> datetime:
        """`when` on `day`, local time (aware)."""
        return datetime.combine(day, when, self.zone)

    def text(self, moment: datetime, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
        """`moment` as the secretariat reads it: local time, formatted."""
        return moment.astimezone(self.zone).strftime(fmt)


STOCKHOLM = LocalTime()


def local_day(moment: datetime, local: LocalTime = STOCKHOLM) -> date:
    """The calendar day `moment` falls on in `local`'s zone."""
    return local.day(moment)


def local_text(moment: datetime, fmt: str = "%Y-%m-%d %H:%M:%S", local: LocalTime = STOCKHOLM) -> str:
    """`moment` as the secretariat reads it: local time, formatted."""
    return local.text(moment, fmt)
