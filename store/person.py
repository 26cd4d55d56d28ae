"""Requests from a person in the data: everything held about one person (a register extract), and erasure.

A person is named by an e-mail address (matched exactly, case-insensitive) or by a name (matched as a part of a
name field). Erasure pseudonymises the person where every owner of the item allows it: an owner that is a public
body (`archive_law = true`) keeps its records until its culling decision says otherwise (arkivlagen; GDPR
Art. 17(3)(b), (d)), and an owner without a rule has decided nothing — both are refusals with the reason. Where
it is allowed the person's addresses and names become role and unit, and the raw bytes of the mail go.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import MetaData, Table, inspect, select
from sqlalchemy.orm import Session

from config.settings import RetentionSettings
from parsers.safetext import shown
from parsers.types import FormData
from store.culling import role_unit
from store.jsontypes import Manager
from store.models import (
    Case,
    Correction,
    CullingRecord,
    Location,
    Message,
    RawBlob,
    WebUser,
)

# form field → (the role it names, whether it is an address, the field of the unit it belongs to)
FORM_ROLES: dict[str, tuple[str, bool, str]] = {
    "reporter_contact_person": ("kontaktperson", False, "reporter_unit"),
    "reporter_email": ("kontaktperson", True, "reporter_unit"),
    "reporter_phone": ("kontaktperson", False, "reporter_unit"),
    "personal_data_contact": ("kontaktperson", False, "reporter_unit"),
    "reporter_manager_name": ("enhetschef", False, "reporter_manager_unit"),
    "reporter_manager_email": ("enhetschef", True, "reporter_manager_unit"),
    "response_manager_name": ("svarande enhetschef", False, "response_manager_unit"),
    "response_manager_email": ("svarande enhetschef", True, "response_manager_unit"),
}
ROLE_NAMES = {"reporters": "rapportör", "receivers": "mottagare", "participants": "deltagare"}
ACCESS_LOG_NOTE = "ingen åtkomstlogg i databasen"      # issue 21's table, read when it exists


@dataclass
class Extract:
    person: str
    cases: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    access_log: list[dict[str, Any]] | str = ACCESS_LOG_NOTE

    def as_dict(self) -> dict[str, Any]:
        return {"person": self.person, "cases": self.cases, "messages": self.messages,
                "corrections": self.corrections, "accounts": self.accounts, "access_log": self.access_log}


class Needle:
    def __init__(self, text: str) -> None:
        self.text = text.strip().lower()
        self.address = "@" in self.text

    def matches(self, value: Any, address_field: bool = False) -> bool:
        if value is None or not self.text:
            return False
        value = str(value).strip().lower()
        if self.address:
            return value == self.text or (not address_field and self.text in value)
        return not address_field and self.text in value


def _form_roles(form: FormData | None, needle: Needle) -> list[str]:
    if form is None:
        return []
    return [f"{role} ({key})" for key, (role, is_address, _) in FORM_ROLES.items()
            if needle.matches(getattr(form, key), is_address)]


def _case_roles(session: Session, case: Case, needle: Needle) -> list[str]:
    roles = _form_roles(case.form, needle)
    for key, role in ROLE_NAMES.items():
        if any(needle.matches(a, True) for a in getattr(case, key) or ()):
            roles.append(role)
    for receiver in case.receiver_rows:
        if needle.matches(receiver.email, True):
            roles.append(f"mottagare som ska svara ({receiver.state})")
    for answer in case.answer_rows:
        manager = answer.manager.as_dict().values()
        if needle.matches(answer.receiver_email, True) or any(needle.matches(v) for v in manager):
            roles.append("har svarat")
    return list(dict.fromkeys(roles))


def _message_roles(message: Message, needle: Needle) -> list[str]:
    roles = []
    if needle.matches(message.sender, True) or needle.matches(message.sender_name):
        roles.append("avsändare")
    for key, label in (("to", "mottagare (Till)"), ("cc", "kopia (Kopia)")):
        if any(needle.matches(a, True) for a in (message.recipients or {}).get(key, [])):
            roles.append(label)
    return roles + _form_roles(message.form, needle)


def owners_of(session: Session, message_pks: list[int]) -> list[str]:
    if not message_pks:
        return []
    return sorted(set(session.scalars(select(Location.mailbox).where(Location.message_pk.in_(message_pks)))))


def extract(session: Session, person: str) -> Extract:
    """Everything held about `person`: cases (roles), messages, corrections, web accounts."""
    needle, result = Needle(person), Extract(shown(person.strip()))
    for case in session.scalars(select(Case).order_by(Case.year, Case.seq)):
        roles = _case_roles(session, case, needle)
        if roles:
            pks = list(session.scalars(select(Message.id).where(Message.case_pk == case.id)))
            result.cases.append({"case_id": case.case_id, "first_received": case.first_received.date().isoformat(),
                                 "status": case.status, "roles": roles, "owners": owners_of(session, pks)})
    for message in session.scalars(select(Message).order_by(Message.date, Message.id)):
        roles = _message_roles(message, needle)
        if roles:
            result.messages.append({
                "message_id": message.message_id_header, "date": (message.date or message.first_seen).isoformat(),
                "subject": shown(message.subject), "kind": message.kind,
                "case_id": message.case.case_id if message.case is not None else None, "roles": roles,
                "owners": owners_of(session, [message.id])})
    for c in session.scalars(select(Correction).order_by(Correction.at)):
        if needle.matches(c.who) or needle.matches(c.old_value) or needle.matches(c.new_value):
            result.corrections.append({"field": c.field, "who": shown(c.who), "at": c.at.isoformat(),
                                       "case_id": _case_id(session, c.case_pk), "old": shown(c.old_value or ""),
                                       "new": shown(c.new_value or "")})
    for user in session.scalars(select(WebUser).where(WebUser.name == person.strip())):
        result.accounts.append({"name": user.name, "role": user.role, "disabled": user.disabled})
    result.access_log = _access_log(session, needle)
    return result


def _access_log(session: Session, needle: Needle) -> list[dict[str, Any]] | str:
    """The access log's rows of the person as the reader (issue 21's `access_log`, when it exists)."""
    if not inspect(session.connection()).has_table("access_log"):
        return ACCESS_LOG_NOTE
    log = Table("access_log", MetaData(), autoload_with=session.connection())
    rows = session.execute(select(log.c.at, log.c.who, log.c.event, log.c.target).order_by(log.c.id)).all()
    return [{"at": str(at), "event": event, "target": shown(target or "")}
            for at, who, event, target in rows if needle.matches(who, True) or needle.matches(who)]


def _case_id(session: Session, pk: int | None) -> str | None:
    return session.get_one(Case, pk).case_id if pk is not None else None


# ---- erasure ---------------------------------------------------------------------------------------------------

@dataclass
class Erased:
    done: list[str] = field(default_factory=list)             # case ids / message ids pseudonymised
    refused: list[tuple[str, str]] = field(default_factory=list)   # (item, the reason)
    record: CullingRecord | None = None


def refusal(settings: RetentionSettings, owners: list[str]) -> str | None:
    """Why the owners keep the item (None: every owner allows erasure)."""
    if not owners:
        return "ingen ägare (brevlåda) känd: inget beslut att gå efter"
    for owner in owners:
        rule = settings.rule(owner)
        if rule is None:
            return f"{owner} har ingen gallringsregel ([retention.{owner}]): uppgifterna behålls tills ägaren beslutat"
        if rule.archive_law:
            return (f"{owner} är en myndighet: handlingen är allmän och arkivlagen gäller (beslut {rule.decision}); "
                    "personuppgifter i allmänna handlingar gallras bara enligt gallringsbeslut (GDPR art. 17.3 b, d)")
    return None


# the fields that name one person together: an address found names its name and phone too
FORM_GROUPS = (("reporter_email", "reporter_contact_person", "reporter_phone", "personal_data_contact"),
               ("reporter_manager_email", "reporter_manager_name", "reporter_manager_phone"),
               ("response_manager_email", "response_manager_name", "response_manager_phone"))
FORM_GROUP_ROLES = (("kontaktperson", "reporter_unit"), ("enhetschef", "reporter_manager_unit"),
                    ("svarande enhetschef", "response_manager_unit"))


def _pseudonymise_form(form: FormData, needle: Needle) -> FormData:
    changes: dict[str, Any] = {}
    for group, (role, unit_key) in zip(FORM_GROUPS, FORM_GROUP_ROLES, strict=True):
        if not any(needle.matches(getattr(form, key), key.endswith("email")) for key in group):
            continue
        for key in group:
            named = key.endswith(("contact_person", "_name", "personal_data_contact"))
            changes[key] = role_unit(role, getattr(form, unit_key)) if named and getattr(form, key) else None
    return replace(form, **changes) if changes else form


def _erase_case(session: Session, case: Case, needle: Needle) -> None:
    for key, role in ROLE_NAMES.items():
        setattr(case, key, [role if needle.matches(a, True) else a for a in getattr(case, key) or ()])
    case.form = _pseudonymise_form(case.form, needle)
    for i, receiver in enumerate(case.receiver_rows, 1):
        if needle.matches(receiver.email, True):
            receiver.email = role_unit(f"mottagare {i}", receiver.unit)
    for answer in case.answer_rows:
        if needle.matches(answer.receiver_email, True):
            answer.receiver_email = "mottagare"
        if any(needle.matches(v) for v in answer.manager.as_dict().values()):
            answer.manager = Manager(name=role_unit("enhetschef", answer.manager.unit))


def _erase_message(session: Session, message: Message, needle: Needle) -> str:
    if needle.matches(message.sender, True) or needle.matches(message.sender_name):
        message.sender, message.sender_name = None, "avsändare"
    message.recipients = {k: ["mottagare" if needle.matches(a, True) else a for a in v]
                          for k, v in (message.recipients or {}).items() if isinstance(v, list)}
    if message.form is not None:
        message.form = _pseudonymise_form(message.form, needle)
    blob = session.get(RawBlob, message.raw_sha256)
    if blob is not None:
        blob.data = b""
    return message.raw_sha256


def erase(session: Session, settings: RetentionSettings, person: str, who: str, as_of: date) -> Erased:
    """Pseudonymise `person` wherever every owner allows it; the rest is refused with the reason."""
    needle, result = Needle(person), Erased()
    items: list[dict[str, Any]] = []
    for case in list(session.scalars(select(Case).order_by(Case.year, Case.seq))):
        if not _case_roles(session, case, needle):
            continue
        messages = list(session.scalars(select(Message).where(Message.case_pk == case.id)))
        why = refusal(settings, owners_of(session, [m.id for m in messages]))
        if why:
            result.refused.append((case.case_id, why))
            continue
        _erase_case(session, case, needle)
        for message in messages:
            if _message_roles(message, needle):
                items.append({"item": f"message:{message.id}", "sha256": _erase_message(session, message, needle)})
        result.done.append(case.case_id)
        items.append({"item": f"case:{case.id}", "case_id": case.case_id})
    for message in list(session.scalars(select(Message).where(Message.case_pk.is_(None)))):
        if not _message_roles(message, needle):
            continue
        why = refusal(settings, owners_of(session, [message.id]))
        if why:
            result.refused.append((message.message_id_header, why))
            continue
        items.append({"item": f"message:{message.id}", "sha256": _erase_message(session, message, needle)})
        result.done.append(message.message_id_header)
    if items:
        result.record = CullingRecord(at=datetime.now(UTC), as_of=as_of, kind="erase", mailbox="*",
                                      decision="begäran från den registrerade (GDPR art. 17)", who=who,
                                      classes=["contacts"], counts={"contacts": len(result.done)},
                                      items=[{**i, "state": "pseudonymiserad"} for i in items])
        session.add(result.record)
    session.flush()
    return result

