"""Receivers of a deviation and whose answer a message is: pure functions over addresses and form fields.

Used when mail is linked (store/receivers.py) and by the migration that fills the tables for stored cases,
so both decide alike.  No I/O, no SQLAlchemy.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from parsers.answers import answer_text
from parsers.form_record import as_stored
from parsers.types import FormLike, has_response

_WORDS = re.compile(r"\w+")
_STOP = {"och", "i", "på", "för", "av", "med", "se", "com", "org", "nu", "net", "info", "www"}
DOUBTFUL = "doubtful"
PROBLEM = "answer_receiver_unknown"


@dataclass(frozen=True)
class Attribution:
    email: str | None
    rule: str          # sender | manager_email | manager_unit | organisation | only_receiver | doubtful | none


def _words(text: Any) -> set[str]:
    return {w for w in _WORDS.findall(str(text or "").casefold()) if len(w) > 1 and w not in _STOP}


def organisation(email: str | None) -> str:
    """The organisation of an address: its domain's last two labels (sll.se, stockholm.se)."""
    domain = (email or "").rpartition("@")[2].lower()
    return ".".join(domain.split(".")[-2:]) if domain else ""


def unit_for(email: str, units: Iterable[str], reporter_unit: str | None = None) -> str:
    """The unit of section 2 whose words best match the address (local part and domain), when one does
    clearly; else the address's domain."""
    local, _, domain = email.lower().partition("@")
    address = _words(local.replace(".", " ").replace("-", " ")) | _words(domain.replace(".", " "))
    candidates = [u for u in dict.fromkeys(str(u).strip() for u in units) if u and u != reporter_unit]
    scored = sorted(((len(_words(u) & address), u) for u in candidates), reverse=True)
    if scored and scored[0][0] and (len(scored) == 1 or scored[1][0] < scored[0][0]):
        return scored[0][1]
    return domain


def receivers_of(to: Iterable[str], secretariat: Iterable[str], reporters: Iterable[str]) -> list[str]:
    """The original To: minus the secretariat and the reporting side, lower-cased, in order."""
    skip = {a.lower() for a in (*secretariat, *reporters)}
    return [a for a in dict.fromkeys(a.strip().lower() for a in to) if a and a not in skip]


def _same_unit(a: str | None, b: str | None) -> bool:
    wa, wb = _words(a), _words(b)
    return bool(wa and wb) and (wa <= wb or wb <= wa)


def attribute(sender: str | None, form: FormLike, receivers: Sequence[tuple[str, str | None]],
              secretariat: Iterable[str] = ()) -> Attribution:
    """Whose answer this is: by sender address, else section 4's manager e-mail or unit, else the only
    receiver of the sender's organisation (or the case's only receiver).  Several candidates or none
    among several receivers: doubtful (a person decides)."""
    if not receivers:
        return Attribution(None, "none")
    emails = [e for e, _ in receivers]
    who = (sender or "").lower()
    if who in emails:
        return Attribution(who, "sender")
    f = as_stored(form)
    manager = str(f.get("response_manager_email") or "").strip().lower()
    if manager in emails:
        return Attribution(manager, "manager_email")
    by_unit = [e for e, unit in receivers if _same_unit(f.get("response_manager_unit"), unit)]
    if len(by_unit) == 1:
        return Attribution(by_unit[0], "manager_unit")
    sec = {a.lower() for a in secretariat}
    orgs = {organisation(a) for a in (who, manager) if a and a not in sec}
    same_org = [e for e in emails if organisation(e) in orgs]
    if len(same_org) == 1:
        return Attribution(same_org[0], "organisation")
    if len(emails) == 1:
        return Attribution(emails[0], "only_receiver")
    return Attribution(None, DOUBTFUL)


def answer_fields(form: FormLike, sender: str | None, sender_name: str | None, body: str,
                  received_day: str) -> dict[str, Any]:
    """An answer's content: section 4 when it is filled, else the mail body without the quoted original."""
    filled = has_response(form)
    stored = as_stored(form)
    f = stored if filled else {}
    return {
        "description": f.get("response_description") if filled else answer_text(body),
        "improvements": f.get("response_improvements") if filled else None,
        "received_date": stored.get("response_received_date") or received_day,
        "manager": {"name": f.get("response_manager_name") or sender_name or None,
                    "unit": f.get("response_manager_unit"),
                    "email": f.get("response_manager_email") or sender,
                    "phone": f.get("response_manager_phone")},
        "from_form": filled,
    }
