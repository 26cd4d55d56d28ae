"""The organisation register: units, addresses and domains → organisation type, huvudman, kommun, area
(stadsdel) and mottagning, with reorganisations (valid-from/to and successor units), and the county's totals the
report's geography is measured against ("från 8 av 26 kommuner").

The shipped default is config/organisations.toml; an admin's copy (`[rules] organisations = PATH`) replaces it.
`lookup` is pure: it takes the register, the rules (organisation types for what the register does not name) and
a day, and says why (`Place.why`) — `busavvik rules org` prints that.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from config.errors import ConfigError, read_toml
from config.rules import Rules

DEFAULT_REGISTER_PATH = Path(__file__).with_name("organisations.toml")
HUVUDMAN = ("kommun", "region")


@dataclass(frozen=True)
class Unit:
    name: str
    type: str
    huvudman: str
    kommun: str = ""
    area: str = ""
    mottagning: str = ""
    patterns: tuple[re.Pattern[str], ...] = ()
    addresses: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None
    successor: str = ""

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Kommun:
    name: str
    domains: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class Register:
    units: tuple[Unit, ...] = ()
    kommuner: tuple[Kommun, ...] = ()
    kommuner_total: int = 0
    areas_total: dict[str, int] = field(default_factory=dict)        # kommun -> stadsdelar
    mottagningar_total: dict[str, int] = field(default_factory=dict)  # type -> mottagningar
    source: str = "defaults"

    def unit(self, name: str) -> Unit | None:
        return next((u for u in self.units if u.name.casefold() == name.casefold()), None)


@dataclass(frozen=True)
class Place:
    """What a unit name or an address is taken as.  `unit` is the register's unit (or the name as written)."""
    unit: str = ""
    type: str = ""
    huvudman: str = ""
    kommun: str = ""
    area: str = ""
    mottagning: str = ""
    why: tuple[str, ...] = ()


def _domain_match(domain: str, patterns: Iterable[str]) -> bool:
    domain = domain.lower()
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in patterns)


def _kommun_of(text: str, domain: str, register: Register) -> tuple[Kommun | None, str, str]:
    """(kommun, area, why) from the unit name (an area or the kommun's name in it) or the address's domain."""
    low = text.casefold()
    for k in register.kommuner:
        for area in k.areas:
            if area and area.casefold() in low:
                return k, area, f"stadsdel/område {area!r} i namnet → {k.name}"
    for k in register.kommuner:
        if low and re.search(rf"\b{re.escape(k.name.casefold())}s?\b", low):
            return k, "", f"kommunnamnet {k.name!r} i namnet"
    if domain:
        for k in register.kommuner:
            if _domain_match(domain, k.domains):
                return k, "", f"domänen {domain} → {k.name}"
    return None, "", ""


def _find_unit(text: str, address: str, register: Register) -> tuple[Unit | None, str]:
    domain = address.rpartition("@")[2].lower() if "@" in address else ""
    for u in register.units:
        if address and address.lower() in (a.lower() for a in u.addresses):
            return u, f"adressen {address} → enheten {u.name!r}"
    for u in register.units:
        for p in u.patterns:
            if text and p.search(text):
                return u, f"namnet matchar {p.pattern!r} → enheten {u.name!r}"
    for u in register.units:
        if domain and _domain_match(domain, u.domains):
            return u, f"domänen {domain} → enheten {u.name!r}"
    return None, ""


def _successor(unit: Unit, day: date, register: Register, why: list[str]) -> Unit:
    seen = {unit.name}
    while not unit.valid_on(day) and unit.successor:
        nxt = register.unit(unit.successor)
        if nxt is None or nxt.name in seen:
            why.append(f"efterföljaren {unit.successor!r} saknas i registret")
            break
        why.append(f"{unit.name!r} gäller till {unit.valid_to}; ersatt av {nxt.name!r}")
        seen.add(nxt.name)
        unit = nxt
    return unit


def lookup(register: Register, rules: Rules | None, unit: str | None = None, address: str | None = None,
           day: date | None = None) -> Place:
    """What `unit` (a name as written in the form) and/or `address` are taken as on `day` (default: today)."""
    day = day or date.today()
    text, addr = (unit or "").strip(), (address or "").strip()
    why: list[str] = []
    found, reason = _find_unit(text, addr, register)
    if found is not None:
        why.append(reason)
        found = _successor(found, day, register, why)
        if not found.valid_on(day):
            why.append(f"obs: {found.name!r} gäller inte {day}")
        return Place(found.name, found.type, found.huvudman, found.kommun, found.area, found.mottagning or found.name,
                     tuple(why))
    domain = addr.rpartition("@")[2].lower() if "@" in addr else ""
    org_type, huvudman = "", ""
    if rules is not None:
        from parsers.classify import org_of_domain, org_of_unit

        org = (org_of_unit(text, rules) if text else None) or (org_of_domain(domain, rules) if domain else None)
        if org is not None:
            org_type, huvudman = org.type, org.principal
            why.append(f"typ {org.type} ({org.principal}) från regelfilens organisationstyper")
    kommun, area, kwhy = _kommun_of(text, domain, register)
    if kwhy:
        why.append(kwhy)
    if not why:
        why.append("finns inte i registret och ingen regel matchar")
    name = text or domain      # never a person's address: the report prints unit names
    return Place(name, org_type, huvudman, kommun.name if kommun else "", area, name if org_type else "", tuple(why))


# --- loading -------------------------------------------------------------------------------------------------


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key}: expected a list of strings")
    return tuple(value)


def _day(value: Any, key: str, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {key}: expected a date (YYYY-MM-DD), got {value!r}") from None


def _unit(i: int, raw: Any, where: str) -> Unit:
    key = f"units[{i}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
        raise ConfigError(f"{where}: {key}.name: expected a name")
    if raw.get("huvudman") not in HUVUDMAN:
        raise ConfigError(f"{where}: {key}.huvudman: must be one of {HUVUDMAN}")
    patterns = []
    for text in _strings(raw.get("patterns", []), f"{key}.patterns", where):
        try:
            patterns.append(re.compile(text, re.IGNORECASE))
        except re.error as exc:
            raise ConfigError(f"{where}: {key}.patterns: bad regular expression {text!r}: {exc}") from None
    return Unit(raw["name"].strip(), str(raw.get("type", "")), raw["huvudman"], str(raw.get("kommun", "")),
                str(raw.get("area", "")), str(raw.get("mottagning", "")), tuple(patterns),
                _strings(raw.get("addresses", []), f"{key}.addresses", where),
                _strings(raw.get("domains", []), f"{key}.domains", where),
                _day(raw.get("valid_from"), f"{key}.valid_from", where),
                _day(raw.get("valid_to"), f"{key}.valid_to", where), str(raw.get("successor", "")))


def _counts(value: Any, key: str, where: str) -> dict[str, int]:
    if not isinstance(value, dict) or not all(isinstance(v, int) and v >= 0 for v in value.values()):
        raise ConfigError(f"{where}: {key}: expected a table of whole numbers")
    return {str(k): int(v) for k, v in value.items()}


def parse_register(data: dict[str, Any], where: str) -> Register:
    unknown = set(data) - {"totals", "kommuner", "units"}
    if unknown:
        raise ConfigError(f"{where}: unknown table(s) {', '.join(sorted(unknown))}; known: kommuner, totals, units")
    totals = data.get("totals", {})
    if not isinstance(totals, dict):
        raise ConfigError(f"{where}: totals: expected a table")
    kommuner = tuple(Kommun(str(k.get("name", "")), _strings(k.get("domains", []), f"kommuner[{i}].domains", where),
                            _strings(k.get("areas", []), f"kommuner[{i}].areas", where))
                     for i, k in enumerate(data.get("kommuner", [])))
    units = tuple(_unit(i, u, where) for i, u in enumerate(data.get("units", [])))
    names = {u.name for u in units}
    for u in units:
        if u.successor and u.successor not in names:
            raise ConfigError(f"{where}: units: {u.name!r}: successor {u.successor!r} is not a unit of the register")
    return Register(units, kommuner, int(totals.get("kommuner", len(kommuner))),
                    _counts(totals.get("stadsdelar", {}), "totals.stadsdelar", where),
                    _counts(totals.get("mottagningar", {}), "totals.mottagningar", where), where)


def load_register(path: Path | str | None = None) -> Register:
    """The admin's register at `path`, else the shipped default."""
    file = Path(path) if path else DEFAULT_REGISTER_PATH
    data = read_toml(file, "organisation register")
    return parse_register(data, str(file) if path else "defaults")
