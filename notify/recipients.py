"""Who a reminder goes to, and the cap on how many (`reminders.max_recipients`).

The receivers come from the deviation's To: (`Case.receivers`), which the sender of the deviation chose: a
deviation addressed to thousands must not make one reminder to thousands. A reminder whose To and Cc together
(the secretariat's copies included) would exceed the cap is not sent; its row is `held` and the case is
listed for review (`busavvik problems`, the digest's "Behöver granskas").
"""
from __future__ import annotations

from config.rules import Rules
from config.settings import Settings
from store.caseview import CaseView


def recipients(case: CaseView, step: str, settings: Settings, rules: Rules) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(to, cc): the receivers, copy to the secretariat; an escalation goes to the escalation address."""
    sec = tuple(rules.secretariat_addresses)
    receivers = tuple(a for a in case.to_remind if not rules.is_secretariat(a))  # awaited, not bounced
    if step == "escalation":
        return (settings.reminders.escalation_address,), tuple(dict.fromkeys((*receivers, *sec)))
    return receivers, sec


def count(to: tuple[str, ...], cc: tuple[str, ...]) -> int:
    """Envelope recipients, as the SMTP server would see them (case-insensitive, each once)."""
    return len({a.lower() for a in (*to, *cc)})


def over_cap(to: tuple[str, ...], cc: tuple[str, ...], settings: Settings) -> str | None:
    """Why a reminder to (to, cc) is held back (Swedish), or None when it may go."""
    n, cap = count(to, cc), settings.reminders.max_recipients
    if n <= cap:
        return None
    return (f"för många mottagare: {n} adresser i Till/Kopia, högst {cap} (reminders.max_recipients); "
            "ingen påminnelse skickas – kontrollera avvikelsens mottagare och skicka för hand, "
            "eller stäng ärendet")
