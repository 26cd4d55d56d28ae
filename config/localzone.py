"""The local time zone (config `worker.timezone`): the zone the secretariat's days, sending window and
printed times are in.  The settings loader (config/load.py) sets it; until then it is Europe/Stockholm."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Europe/Stockholm"
_zone = ZoneInfo(DEFAULT_ZONE)


def local_zone() -> ZoneInfo:
    """The configured zone (worker.timezone)."""
    return _zone


def set_local_zone(name: str = DEFAULT_ZONE) -> ZoneInfo:
    """Make `name` (e.g. "Europe/Stockholm") the local zone; an unknown name raises ZoneInfoNotFoundError."""
    global _zone
    _zone = ZoneInfo(name)
    return _zone


def zone_name() -> str:
    """The zone's name as the config writes it, e.g. "Europe/Stockholm"."""
    return _zone.key


def local_day(moment: datetime) -> date:
    """The calendar day `moment` falls on in the local zone."""
    return moment.astimezone(_zone).date()


def local_text(moment: datetime, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """`moment` as the secretariat reads it: local time, formatted."""
    return moment.astimezone(_zone).strftime(fmt)
