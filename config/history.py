"""Published figures of earlier years (config/history.toml, or `[rules] history = PATH`), merged with years
counted from the store: a year listed in the file is taken from it ("publicerad"), any other is counted
("beräknad").  Pure: the caller hands over the counted figures."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.errors import ConfigError, read_toml

DEFAULT_HISTORY_PATH = Path(__file__).with_name("history.toml")
PUBLISHED = "publicerad"
COMPUTED = "beräknad"
INTS = ("total", "between", "within", "answered", "sip", "remiss", "reporter_kommun", "reporter_region")
SHARES = ("sip_share", "remiss_share")
TABLES = ("reporters", "receivers", "themes")


@dataclass(frozen=True)
class YearFigures:
    year: int
    origin: str                         # PUBLISHED or COMPUTED
    source: str = ""                    # the published report, or "busavvik"
    total: int | None = None
    between: int | None = None
    within: int | None = None
    answered: int | None = None
    sip: int | None = None
    remiss: int | None = None
    reporter_kommun: int | None = None
    reporter_region: int | None = None
    sip_share_given: float | None = None
    remiss_share_given: float | None = None
    reporters: Mapping[str, int] = field(default_factory=dict)
    receivers: Mapping[str, int] = field(default_factory=dict)
    themes: Mapping[str, int] = field(default_factory=dict)

    def _share(self, given: float | None, part: int | None) -> float | None:
        if given is not None:
            return given
        if part is not None and self.between:
            return part / self.between
        return None

    @property
    def sip_share(self) -> float | None:
        return self._share(self.sip_share_given, self.sip)

    @property
    def remiss_share(self) -> float | None:
        return self._share(self.remiss_share_given, self.remiss)


@dataclass(frozen=True)
class History:
    years: Mapping[int, YearFigures] = field(default_factory=dict)
    source: str = "defaults"


def _year(i: int, raw: Any, where: str) -> YearFigures:
    key = f"years[{i}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("year"), int):
        raise ConfigError(f"{where}: {key}.year: expected a year")
    unknown = set(raw) - {"year", "source", *INTS, *SHARES, *TABLES}
    if unknown:
        raise ConfigError(f"{where}: {key}: unknown key(s) {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name in INTS:
        if name in raw:
            if not isinstance(raw[name], int) or raw[name] < 0:
                raise ConfigError(f"{where}: {key}.{name}: expected a whole number")
            values[name] = raw[name]
    for name in SHARES:
        if name in raw:
            if not isinstance(raw[name], (int, float)) or not 0 <= raw[name] <= 1:
                raise ConfigError(f"{where}: {key}.{name}: expected a share between 0 and 1 (0.43 for 43 %)")
            values[f"{name}_given"] = float(raw[name])
    for name in TABLES:
        table = raw.get(name, {})
        if not isinstance(table, dict) or not all(isinstance(v, int) for v in table.values()):
            raise ConfigError(f"{where}: {key}.{name}: expected a table of whole numbers")
        values[name] = dict(table)
    return YearFigures(raw["year"], PUBLISHED, str(raw.get("source", "")), **values)


def parse_history(data: dict[str, Any], where: str) -> History:
    years = [_year(i, y, where) for i, y in enumerate(data.get("years", []))]
    return History({y.year: y for y in sorted(years, key=lambda y: y.year)}, where)


def load_history(path: Path | str | None = None) -> History:
    file = Path(path) if path else DEFAULT_HISTORY_PATH
    data = read_toml(file, "history file")
    return parse_history(data, str(file) if path else "defaults")


def merged(history: History, computed: Mapping[int, YearFigures], first: int, last: int) -> list[YearFigures]:
    """Years `first`..`last`: the published figures where the file has the year, else the counted ones;
    `last` (the report's own year) is always counted.  Years with neither are left out."""
    out = []
    for year in range(first, last + 1):
        pick = computed.get(year) if year == last else history.years.get(year) or computed.get(year)
        if pick is not None:
            out.append(pick)
    return out
