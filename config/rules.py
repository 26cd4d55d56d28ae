"""The rules file: label aliases, placeholders, organisation/theme rules, auto-reply patterns.

The shipped defaults (`config/rules.toml`) are merged with an admin's copy, table by table; the result is
validated and compiled into frozen dataclasses that the pure parsers take as an argument.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from config.errors import ConfigError
from config.localzone import STOCKHOLM, LocalTime

DEFAULT_RULES_PATH = Path(__file__).with_name("rules.toml")

FORM_FIELDS = (
    "event_type", "units_involved", "description", "proposed_action", "personal_data_contact",
    "reported_date", "reporter_unit", "reporter_contact_person", "reporter_email", "reporter_phone",
    "reporter_manager_name", "reporter_manager_unit", "reporter_manager_email", "reporter_manager_phone",
    "response_description", "response_improvements", "response_received_date", "response_manager_name",
    "response_manager_unit", "response_manager_email", "response_manager_phone",
)
PRINCIPALS = ("kommun", "region")


@dataclass(frozen=True)
class SectionRule:
    key: str
    headings: tuple[str, ...]
    fields: tuple[tuple[str, tuple[str, ...]], ...]  # (field name, label aliases) in file order


@dataclass(frozen=True)
class FormRules:
    placeholders: tuple[str, ...]
    sections: tuple[SectionRule, ...]
    max_zip_members: int = 400
    max_uncompressed_bytes: int = 50_000_000
    max_compression_ratio: int = 200
    # word/document.xml is parsed into a tree: its size bounds the parser's memory (~60x it at worst).
    # A real form's is ~11 kB; the largest seen in real Word files ~1 MB.
    max_document_bytes: int = 5_000_000
    # The form's own instruction sentences (prefixes, case-insensitive): never a value.
    instructions: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrgRule:
    type: str
    principal: str
    unit_patterns: tuple[re.Pattern[str], ...]
    domain_patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class SubthemeRule:
    """A kind of failure within a theme (Tabell 8 of the 2021 report): the first whose pattern matches."""
    name: str
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class ThemeRule:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    not_with: tuple[str, ...] = ()                # not given when one of these themes is given too
    subthemes: tuple[SubthemeRule, ...] = ()       # tried in order within a main theme
    subtheme_default: str = "Övrigt"


@dataclass(frozen=True)
class OutcomeRule:
    """Suggests `outcome` for an answer whose section 4 text matches one of `patterns`."""
    name: str
    outcome: str
    patterns: tuple[re.Pattern[str], ...]
    fields: tuple[str, ...] = ("description", "improvements")


OUTCOME_FIELDS = ("description", "improvements")


@dataclass(frozen=True)
class Rules:
    secretariat_addresses: tuple[str, ...]
    own_message_id_domain: str
    subject_prefixes: tuple[str, ...]
    autoreply_subject_patterns: tuple[re.Pattern[str], ...]
    form: FormRules
    organisations: tuple[OrgRule, ...]
    themes: tuple[ThemeRule, ...]
    default_theme: str
    source: str = "defaults"
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    outcome_labels: tuple[str, ...] = ()          # the fixed list of answer outcomes (Swedish labels)
    outcome_rules: tuple[OutcomeRule, ...] = ()   # tried in order; the first that matches suggests
    own_addresses: tuple[str, ...] = ()            # our From address (settings smtp.from_address)
    default_subthemes: tuple[SubthemeRule, ...] = ()   # sub-themes of the default theme ([themes_default])
    local: LocalTime = field(default=STOCKHOLM, compare=False, hash=False, repr=False)   # settings worker.timezone

    def theme_rule(self, name: str) -> ThemeRule | None:
        """The rule of a theme by name; the default theme's as a rule without patterns."""
        for rule in self.themes:
            if rule.name == name:
                return rule
        if name == self.default_theme:
            return ThemeRule(name, (), subthemes=self.default_subthemes)
        return None

    @property
    def message_id_domain(self) -> str:
        """The domain of our Message-IDs: `secretariat.own_message_id_domain` when set, else the domain of
        our From address, else of the first secretariat address."""
        if self.own_message_id_domain:
            return self.own_message_id_domain
        for address in (*self.own_addresses, *self.secretariat_addresses):
            if "@" in address:
                return address.rpartition("@")[2].strip().lower()
        return "busavvik.invalid"

    def with_sender(self, from_address: str) -> Rules:
        """These rules knowing our From address (it gives the default Message-ID domain)."""
        return replace(self, own_addresses=(from_address.strip().lower(),)) if from_address else self

    def with_local(self, local: LocalTime) -> Rules:
        """These rules knowing the local zone (settings worker.timezone): the day a mail came, as the store
        records it (store/cases, store/receivers, store/reparse)."""
        return replace(self, local=local)

    def is_secretariat(self, address: str) -> bool:
        return address.strip().lower() in {a.lower() for a in self.secretariat_addresses}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read rules file {path}: {exc.strerror}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None  # tomllib's message carries line and column


def _line_of(path: Path | None, key: str) -> str:
    """Best-effort 'line N' for a key in the admin's file, for readable errors."""
    if path is None or not path.exists():
        return ""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if key in line:
            return f" (line {number})"
    return ""


def merge(defaults: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Table-by-table merge: nested tables merge, arrays and scalars replace."""
    merged = dict(defaults)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class _Builder:
    """Validates a merged rules dict and compiles it; errors name the key and the admin file's line."""

    def __init__(self, data: dict[str, Any], admin_path: Path | None) -> None:
        self.data = data
        self.admin_path = admin_path

    def fail(self, key: str, message: str) -> ConfigError:
        where = self.admin_path or DEFAULT_RULES_PATH
        return ConfigError(f"{where}{_line_of(self.admin_path, key.split('.')[-1])}: {key}: {message}")

    def strings(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "expected a list of strings")
        return tuple(value)

    def patterns(self, value: Any, key: str) -> tuple[re.Pattern[str], ...]:
        compiled = []
        for text in self.strings(value, key):
            try:
                compiled.append(re.compile(text, re.IGNORECASE))
            except re.error as exc:
                raise self.fail(key, f"bad regular expression {text!r}: {exc}") from None
        return tuple(compiled)

    def table(self, key: str) -> dict[str, Any]:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "expected a table")
        return value

    def sections(self) -> tuple[SectionRule, ...]:
        out = []
        for key, sec in self.table("form").get("sections", {}).items():
            fields = sec.get("fields", {})
            for name in fields:
                if name not in FORM_FIELDS:
                    raise self.fail(f"form.sections.{key}.fields.{name}",
                                    f"unknown field; known fields: {', '.join(FORM_FIELDS)}")
            out.append(SectionRule(
                key=key,
                headings=self.strings(sec.get("headings", []), f"form.sections.{key}.headings"),
                fields=tuple((n, self.strings(v, f"form.sections.{key}.fields.{n}")) for n, v in fields.items()),
            ))
        return tuple(out)

    def form(self) -> FormRules:
        form = self.table("form")
        ints = {}
        for name in ("max_zip_members", "max_uncompressed_bytes", "max_compression_ratio", "max_document_bytes"):
            value = form.get(name, getattr(FormRules, name))
            if not isinstance(value, int) or value <= 0:
                raise self.fail(f"form.{name}", "expected a positive integer")
            ints[name] = value
        return FormRules(placeholders=self.strings(form.get("placeholders", []), "form.placeholders"),
                         sections=self.sections(),
                         instructions=self.strings(form.get("instructions", []), "form.instructions"), **ints)

    def organisations(self) -> tuple[OrgRule, ...]:
        out = []
        for i, org in enumerate(self.data.get("organisations", [])):
            key = f"organisations[{i}]"
            if org.get("principal") not in PRINCIPALS:
                raise self.fail(f"{key}.principal", f"must be one of {PRINCIPALS}")
            if not isinstance(org.get("type"), str):
                raise self.fail(f"{key}.type", "expected a string")
            out.append(OrgRule(org["type"], org["principal"],
                               self.patterns(org.get("unit_patterns", []), f"{key}.unit_patterns"),
                               self.patterns(org.get("domain_patterns", []), f"{key}.domain_patterns")))
        return tuple(out)

    def _subthemes(self, value: Any, key: str) -> tuple[SubthemeRule, ...]:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, "expected an array of tables ([[themes.subthemes]])")
        out = []
        for j, sub in enumerate(value):
            if not isinstance(sub.get("name"), str) or not sub["name"].strip():
                raise self.fail(f"{key}[{j}].name", "expected a name")
            out.append(SubthemeRule(sub["name"], self.patterns(sub.get("patterns", []), f"{key}[{j}].patterns")))
        return tuple(out)

    def themes(self) -> tuple[ThemeRule, ...]:
        out = []
        for i, t in enumerate(self.data.get("themes", [])):
            key = f"themes[{i}]"
            out.append(ThemeRule(
                t.get("name", ""), self.patterns(t.get("patterns", []), f"{key}.patterns"),
                not_with=self.strings(t.get("not_with", []), f"{key}.not_with"),
                subthemes=self._subthemes(t.get("subthemes", []), f"{key}.subthemes"),
                subtheme_default=str(t.get("subtheme_default", "Övrigt"))))
        return tuple(out)

    def _outcome_rule(self, i: int, rule: Any, labels: tuple[str, ...]) -> OutcomeRule:
        key = f"outcomes.rules[{i}]"
        if not isinstance(rule, dict) or rule.get("outcome") not in labels:
            raise self.fail(f"{key}.outcome", f"must be one of the labels: {', '.join(labels)}")
        fields = self.strings(rule.get("fields", list(OUTCOME_FIELDS)), f"{key}.fields")
        if not set(fields) <= set(OUTCOME_FIELDS):
            raise self.fail(f"{key}.fields", f"known fields: {', '.join(OUTCOME_FIELDS)}")
        return OutcomeRule(str(rule.get("name") or rule["outcome"]), rule["outcome"],
                           self.patterns(rule.get("patterns", []), f"{key}.patterns"), fields)

    def outcomes(self) -> tuple[tuple[str, ...], tuple[OutcomeRule, ...]]:
        table = self.table("outcomes")
        labels = self.strings(table.get("labels", []), "outcomes.labels")
        rules = table.get("rules", [])
        if not isinstance(rules, list):
            raise self.fail("outcomes.rules", "expected an array of tables ([[outcomes.rules]])")
        return labels, tuple(self._outcome_rule(i, r, labels) for i, r in enumerate(rules))

    def build(self, source: str) -> Rules:
        known = {"secretariat", "subject", "autoreply", "form", "organisations", "themes", "themes_default",
                 "outcomes", "body_answer"}    # body_answer: read by nothing; older rules files keep loading
        for key in self.data:
            if key not in known:
                raise self.fail(key, f"unknown table; known: {', '.join(sorted(known))}")
        sec = self.table("secretariat")
        labels, outcome_rules = self.outcomes()
        return Rules(
            secretariat_addresses=self.strings(sec.get("addresses", []), "secretariat.addresses"),
            own_message_id_domain=str(sec.get("own_message_id_domain", "")).strip(),
            subject_prefixes=self.strings(self.table("subject").get("prefixes", []), "subject.prefixes"),
            autoreply_subject_patterns=self.patterns(self.table("autoreply").get("subject_patterns", []),
                                                     "autoreply.subject_patterns"),
            form=self.form(),
            organisations=self.organisations(),
            themes=self.themes(),
            default_theme=str(self.table("themes_default").get("name", "Övrig samverkan runt individ")),
            source=source,
            raw=self.data,
            outcome_labels=labels,
            outcome_rules=outcome_rules,
            default_subthemes=self._subthemes(self.table("themes_default").get("subthemes", []),
                                              "themes_default.subthemes"),
        )


def load_rules(admin_path: Path | str | None = None) -> Rules:
    """Load the shipped defaults, overlaid by the admin's rules file when one is given."""
    data = _read_toml(DEFAULT_RULES_PATH)
    path = Path(admin_path) if admin_path else None
    if path is not None:
        data = merge(data, _read_toml(path))
    return _Builder(data, path).build(str(path) if path else "defaults")


_DEFAULT: Rules | None = None


def default_rules() -> Rules:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_rules()
    return _DEFAULT
