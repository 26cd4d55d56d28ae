"""Frozen records the parsers hand downstream.  No I/O here."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parsers.bounce import Bounce

_WORD = re.compile(r"[\w]+", re.UNICODE)


@dataclass(frozen=True)
class Problem:
    """Something that could not be read.  `code` is stable (exports, digest); `detail` is for humans
    and never contains a personnummer."""
    code: str
    detail: str = ""


@dataclass(frozen=True)
class FieldTrace:
    """Where a form value came from: for `busavvik rules check`."""
    field: str
    value: str
    section: str          # rules section key, e.g. "s3_reporter"
    source: str           # "content_control" | "content_control_tagged" | "table_cell" | "typed_text"
    label: str            # the label (or heading / tag) text that matched
    rule: str             # the alias from the rules file that matched it


@dataclass(frozen=True)
class FormData:
    """Sections 1–4 of the form.  An empty field (placeholder showing) is None."""
    event_type: str | None = None
    units_involved: tuple[str, ...] = ()
    description: str | None = None
    proposed_action: str | None = None
    personal_data_contact: str | None = None
    reported_date: date | None = None
    reporter_unit: str | None = None
    reporter_contact_person: str | None = None
    reporter_email: str | None = None
    reporter_phone: str | None = None
    reporter_manager_name: str | None = None
    reporter_manager_unit: str | None = None
    reporter_manager_email: str | None = None
    reporter_manager_phone: str | None = None
    response_description: str | None = None
    response_improvements: str | None = None
    response_received_date: date | None = None
    response_manager_name: str | None = None
    response_manager_unit: str | None = None
    response_manager_email: str | None = None
    response_manager_phone: str | None = None
    trace: tuple[FieldTrace, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        # the linking keys, worked out once where the form is read (in the parser processes); not fields,
        # so the stored form, the exports and the personnummer scan never see them
        object.__setattr__(self, "_keys", form_keys(self))

    @property
    def has_report(self) -> bool:
        return has_report(self)

    @property
    def has_response(self) -> bool:
        return has_response(self)

    @property
    def fingerprint(self) -> str:
        """Sections 1–3: event type, description, reporting unit, report date (normalised)."""
        return str(self.__dict__["_keys"][0])

    @property
    def text_fingerprint(self) -> str:
        """A looser key: the description alone (a reply may retype the header fields)."""
        return str(self.__dict__["_keys"][1])


FormLike = FormData | Mapping[str, Any] | None   # the typed form, or the JSON dict the store keeps of it


def field_value(form: FormData | Mapping[str, Any], key: str) -> Any:
    """A field of the typed form or of a dict of it (migrations still hand the stored dicts)."""
    return form.get(key) if isinstance(form, Mapping) else getattr(form, key)


def has_report(form: FormLike) -> bool:
    """Sections 1–3 carry a deviation."""
    if not form:
        return False
    return bool(field_value(form, "event_type") or field_value(form, "description"))


def has_response(form: FormLike) -> bool:
    """Section 4 is filled in."""
    if not form:
        return False
    return bool(field_value(form, "response_description") or field_value(form, "response_improvements"))


def _norm(text: Any) -> str:
    return " ".join(_WORD.findall(str(text or "").casefold()))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def form_keys(form: FormData | Mapping[str, Any]) -> tuple[str, str]:
    """(fingerprint, text_fingerprint) of a form: see FormData.fingerprint and .text_fingerprint."""
    description = _norm(field_value(form, "description"))
    return (_digest(_norm(field_value(form, "event_type")), description, _norm(field_value(form, "reporter_unit")),
                    str(field_value(form, "reported_date") or "")),
            _digest(description))


@dataclass(frozen=True)
class FormResult:
    """What a .docx attachment gave: the form (None when it could not be read) and the problems met."""
    form: FormData | None
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Address:
    name: str
    email: str  # lower-cased

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes = field(repr=False)
    forwarded: bool  # inside a forwarded message/rfc822 rather than the message's own


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str                 # normalised: lower-case, without angle brackets
    message_id_header: str          # as in the header, with angle brackets (synthetic if missing)
    synthetic_id: bool
    in_reply_to: tuple[str, ...]    # normalised ids
    references: tuple[str, ...]     # normalised ids
    thread_index_guid: str | None   # hex of the conversation GUID from Thread-Index
    thread_topic: str | None
    subject: str
    normalised_subject: str
    sender: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None           # timezone-aware UTC
    body_text: str
    auto_reply: bool
    attachments: tuple[Attachment, ...]
    problems: tuple[Problem, ...] = ()
    personal_number: bool = False   # a valid personnummer in subject, body, sender's name, file names or form
    # the rules' classification of the mail's form when it reports a deviation (set by mailform, so that
    # it is worked out in the parser processes rather than by the one process that stores)
    classification: Classification | None = None
    own: bool = False               # busavvik's own mail (a reminder, the digest, a bounce of one): parsers/ownmail.py
    # the Word document the form was read from, bytes and all (set by mailform): stored with a deviation, so
    # that its reminders attach it without parsing the mail again (store/form_files.py)
    form_file: Attachment | None = None
    # a bounce of our own mail: the failed addresses and the returned Message-ID (parsers/bounce.py)
    bounce: Bounce | None = None


@dataclass(frozen=True)
class Classification:
    reporter_org_type: str | None
    reporter_principal: str | None
    receiver_org_types: tuple[str, ...]
    receiver_principals: tuple[str, ...]
    principal_relation: str | None   # "between" | "within" | None (unknown)
    themes: tuple[str, ...]
    rules_used: tuple[str, ...] = field(default=(), compare=False)
