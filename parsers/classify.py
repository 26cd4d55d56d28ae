"""Organisation type, principal (kommun/region) and themes of a deviation, from the rules file."""
from __future__ import annotations

from collections.abc import Iterable

from config.rules import OrgRule, Rules
from parsers.themes import without_excluded
from parsers.types import Address, Classification, FormData


def org_of_unit(unit: str, rules: Rules) -> OrgRule | None:
    for org in rules.organisations:
        if any(p.search(unit) for p in org.unit_patterns):
            return org
    return None


def org_of_domain(domain: str, rules: Rules) -> OrgRule | None:
    for org in rules.organisations:
        if any(p.search(domain) for p in org.domain_patterns):
            return org
    return None


def _org(units: Iterable[str | None], domains: Iterable[str], rules: Rules) -> tuple[OrgRule | None, str]:
    for unit in units:
        if unit and (org := org_of_unit(unit, rules)):
            return org, f"unit {unit!r} → {org.type}"
    for domain in domains:
        if domain and (org := org_of_domain(domain, rules)):
            return org, f"domain {domain} → {org.type}"
    return None, ""


def _same_unit(a: str, b: str | None) -> bool:
    return bool(b) and " ".join(a.split()).casefold() == " ".join((b or "").split()).casefold()


def receiver_units(form: FormData) -> tuple[str, ...]:
    """Section 2's units except the reporting unit itself (the form asks for *all* units involved)."""
    mine = (form.reporter_unit, form.reporter_manager_unit)
    units = tuple(u for u in form.units_involved if not any(_same_unit(u, m) for m in mine))
    return units or form.units_involved


def theme_text(form: FormData) -> str:
    """The text the theme rules read: event type, description and proposed action."""
    return "\n".join(t for t in (form.event_type, form.description, form.proposed_action) if t)


def themes_of(form: FormData, rules: Rules) -> tuple[str, ...]:
    text = theme_text(form)
    found = tuple(t.name for t in rules.themes if any(p.search(text) for p in t.patterns))
    return without_excluded(found, rules) or (rules.default_theme,)


def classify(form: FormData, sender: Address | None, recipients: tuple[Address, ...],
             rules: Rules) -> Classification:
    used: list[str] = []
    sender_domains = [sender.domain] if sender else []
    rep, why = _org((form.reporter_unit, form.reporter_manager_unit), sender_domains, rules)
    used.append(f"reporter: {why or 'no rule matched'}")
    receivers: list[OrgRule] = []
    for unit in receiver_units(form):
        org, why = _org((unit,), (), rules)
        used.append(f"receiver: {why or f'{unit!r}: no rule matched'}")
        if org:
            receivers.append(org)
    if not receivers:
        outside = [a.domain for a in recipients if not rules.is_secretariat(a.email)]
        org, why = _org((), outside, rules)
        if org:
            receivers.append(org)
            used.append(f"receiver: {why}")
    principals = tuple(dict.fromkeys(o.principal for o in receivers))
    relation = None
    if rep and principals:
        relation = "within" if all(p == rep.principal for p in principals) else "between"
    return Classification(
        reporter_org_type=rep.type if rep else None,
        reporter_principal=rep.principal if rep else None,
        receiver_org_types=tuple(dict.fromkeys(o.type for o in receivers)),
        receiver_principals=principals,
        principal_relation=relation,
        themes=themes_of(form, rules),
        rules_used=tuple(used),
    )
