"""What the web pages show of cases, read through the store: frozen dataclasses with the human corrections
applied (the case page reads the case's store/caseview.CaseView, as `busavvik show` and the export do), and
every mail-derived text redacted (parsers.pnr.redact): no page can show a personnummer by forgetting to hide it."""
from __future__ import annotations

import email
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from email.policy import compat32
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.localzone import STOCKHOLM, LocalTime
from parsers.form_record import form_to_dict
from parsers.headers import decoded
from parsers.pnr import redact
from parsers.types import Classification
from store.cases import local_date
from store.caseview import CaseView, corrected_classification, find_view
from store.mail_view import files_of, readable
from store.models import Correction, Message, RawBlob, Reminder
from store.views_list import STATES as STATES  # web/pages.py reads views.STATES
from store.views_list import page_rows, state_name, years

SORTS = ("case_id", "received", "due", "event_type", "state")


def text(value: Any) -> str:
    """Any stored value as redacted display text ("" for nothing; lists joined with '; ')."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(text(v) for v in value if v not in (None, ""))
    return redact(str(value))


def texts(value: Any) -> tuple[str, ...]:
    return tuple(text(v) for v in value if v not in (None, "")) if isinstance(value, (list, tuple)) else (
        (text(value),) if value else ())


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    year: int
    received: date
    due: date
    state: str                          # one of STATES
    event_type: str
    units: tuple[str, ...]
    description: str
    reporter_org_type: str
    receiver_org_types: tuple[str, ...]
    principal_relation: str
    themes: tuple[str, ...]
    flags: tuple[str, ...]
    search_text: str = ""               # folded, redacted text the free-text search matches (store/search_fold)


@dataclass(frozen=True)
class CaseFilter:
    year: int | None = None
    state: str = ""
    org_type: str = ""                  # the reporting or a receiving organisation type
    theme: str = ""
    relation: str = ""
    q: str = ""
    sort: str = "case_id"
    descending: bool = False
    confirm: bool = False               # only cases with an answer whose outcome no person has set
    received_from: date | None = None   # first received on or after this local day
    received_to: date | None = None     # … and on or before this one


def state_of(case: CaseView, today: date) -> str:
    """The state of a case as store/views_list.state_sql computes it in SQL."""
    if case.status in ("closed", "paused"):
        return case.status
    if not case.waiting:
        return "answered"
    if case.response_due < today:
        return "overdue"
    return "partly" if case.progress[0] > 0 else "open"


def _row(case: Any, state: str, c: Classification, event_type: Any, units: Any, description: Any,
         zone: LocalTime = STOCKHOLM) -> CaseRow:
    return CaseRow(
        case_id=case.case_id, year=case.year, received=local_date(case.first_received, zone), due=case.response_due,
        state=state, event_type=text(event_type), units=texts(units or []), description=text(description),
        reporter_org_type=text(c.reporter_org_type), receiver_org_types=texts(c.receiver_org_types),
        principal_relation=text(c.principal_relation), themes=texts(c.themes),
        flags=tuple(str(f) for f in case.flags or []))


def case_row(case: CaseView, today: date, zone: LocalTime = STOCKHOLM) -> CaseRow:
    return _row(case, state_of(case, today), case.classification, case.form.event_type,
                case.form.units_involved, case.form.description, zone)


def _list_row(r: Any, zone: LocalTime = STOCKHOLM) -> CaseRow:
    """A row of store/views_list.list_columns: the form's fields come one by one, not the whole form."""
    overrides = r.overrides or {}
    units = overrides["units_involved"] if "units_involved" in overrides else r.units
    row = _row(r, state_name(r.state_ix), corrected_classification(r.classification, r.overrides), r.event_type,
               units, getattr(r, "description", ""), zone)
    if not hasattr(r, "form_all"):
        return row
    values = [r.case_id, row.event_type, row.description, *row.units,
              *(text(v) for v in _form_values(r.form_all) if isinstance(v, (str, list))),
              *(text(v) for v in overrides.values() if isinstance(v, (str, list))),
              *(text(v) for v in r.receivers or []), *(text(v) for v in r.participants or [])]
    return replace(row, search_text=fold(" ".join(values)))


def _form_values(form: Any) -> list[Any]:
    if isinstance(form, dict):
        return list(form.values())
    return list(form_to_dict(form).values()) if form is not None else []


def fold(value: str) -> str:
    """Text as the search compares it: case and accents ignored ("Södertälje" → "sodertalje")."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _matches(row: CaseRow, f: CaseFilter) -> bool:
    """The filters matched in Python (store/views_list.py: the state, year and relation are matched in SQL)."""
    if f.org_type and f.org_type != row.reporter_org_type and f.org_type not in row.receiver_org_types:
        return False
    if f.theme and f.theme not in row.themes:
        return False
    if f.relation and row.principal_relation != f.relation:
        return False
    if f.q:
        hay = row.search_text or fold(" ".join((row.event_type, row.description, *row.units)))
        return all(word in hay for word in fold(f.q).split())
    return True


def _sort_key(row: CaseRow, sort: str) -> Any:
    if sort == "received":
        return (row.received, row.case_id)
    if sort == "due":
        return (row.due, row.case_id)
    if sort == "event_type":
        return (row.event_type.casefold(), row.case_id)
    if sort == "state":
        return (STATES.index(row.state), row.case_id)
    return (row.year, row.case_id)


def case_page(session: Session, f: CaseFilter, today: date, offset: int = 0,
              limit: int | None = None, zone: LocalTime = STOCKHOLM) -> tuple[list[CaseRow], int]:
    """The cases that pass the filter, sorted, from `offset` (every one when limit is None); and how many pass."""
    return page_rows(session, f, today, offset, limit, partial(_list_row, zone=zone), _matches, _sort_key)


def case_rows(session: Session, f: CaseFilter, today: date, zone: LocalTime = STOCKHOLM) -> list[CaseRow]:
    """Every case that passes the filter, sorted."""
    return case_page(session, f, today, zone=zone)[0]


def case_years(session: Session) -> list[int]:
    return years(session)


@dataclass(frozen=True)
class ThreadItem:
    pk: int
    message_id: str                     # the normalised Message-ID (what `case link` takes)
    kind: str
    link_rule: str
    linked_by_human: bool
    is_source: bool
    sender: str
    date: datetime | None
    subject: str
    attachments: tuple[str, ...]
    problems: tuple[str, ...]
    sender_name: str = ""
    body: str = ""                      # the mail's text (store/mail_view.readable)


@dataclass(frozen=True)
class ReminderItem:
    step: str
    status: str
    due_on: date
    sent_at: datetime | None
    recipients: tuple[str, ...]
    error: str


@dataclass(frozen=True)
class CorrectionItem:
    at: datetime
    who: str
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class CaseDetail:
    pk: int
    row: CaseRow
    status: str                         # the stored status: open | closed | paused
    fields: tuple[tuple[str, str], ...]     # (field name, value) of sections 1–3
    reporter: tuple[tuple[str, str], ...]
    receivers: tuple[str, ...]
    participants: tuple[str, ...]
    overrides: dict[str, str]
    thread: tuple[ThreadItem, ...]
    reminders: tuple[ReminderItem, ...]
    corrections: tuple[CorrectionItem, ...]
    progress: str = ""                  # "1 av 2 mottagare har svarat" for a partly answered case


def attachment_names(raw: bytes) -> tuple[str, ...]:
    """The file names of the mail's parts (best effort: a hostile mail gives what can be read)."""
    try:
        msg = email.message_from_bytes(raw, policy=compat32)
        names = []
        for part in msg.walk():
            name = part.get_filename()
            if name:
                names.append(text(decoded(str(name)))[:200])
        return tuple(names[:50])
    except Exception:  # noqa: BLE001 - the names are a courtesy; the page shows the rest
        return ()


def _thread_item(case: CaseView, msg: Message, raw: bytes) -> ThreadItem:
    return ThreadItem(pk=msg.id, message_id=msg.message_id, kind=msg.kind, link_rule=msg.link_rule or "",
                      linked_by_human=msg.linked_by_human, is_source=msg.id == case.source_message_pk,
                      sender=text(msg.sender), date=msg.date or msg.first_seen, subject=text(msg.subject),
                      attachments=files_of(raw),
                      problems=tuple(sorted({str(p.get("code")) for p in msg.problems or []})),
                      sender_name=readable(msg.sender_name, 200), body=readable(msg.body_excerpt))


_SECTION_FIELDS = ("event_type", "units_involved", "description", "proposed_action", "personal_data_contact",
                   "reported_date")
_REPORTER_FIELDS = ("reporter_unit", "reporter_contact_person", "reporter_email", "reporter_phone",
                    "reporter_manager_name", "reporter_manager_unit", "reporter_manager_email",
                    "reporter_manager_phone")


def _messages(session: Session, case: CaseView) -> list[tuple[Message, bytes]]:
    rows = session.execute(select(Message, RawBlob.data).join(RawBlob, RawBlob.sha256 == Message.raw_sha256)
                           .where(Message.case_pk == case.pk)).all()
    return sorted(((m, d) for m, d in rows), key=lambda md: (md[0].date or md[0].first_seen, md[0].id))


def corrections_of(session: Session, case_pk: int) -> tuple[CorrectionItem, ...]:
    rows = session.scalars(select(Correction).where(Correction.case_pk == case_pk).order_by(Correction.at.desc(),
                                                                                           Correction.id.desc()))
    return tuple(CorrectionItem(r.at, text(r.who), r.field, text(r.old_value), text(r.new_value)) for r in rows)


def case_detail(session: Session, case_id: str, today: date, zone: LocalTime = STOCKHOLM) -> CaseDetail | None:
    case = find_view(session, case_id)
    if case is None:
        return None
    reminders = session.scalars(select(Reminder).where(Reminder.case_pk == case.pk).order_by(Reminder.due_on))
    return CaseDetail(
        pk=case.pk, row=case_row(case, today, zone), status=case.status,
        fields=tuple((k, text(getattr(case.form, k))) for k in _SECTION_FIELDS),
        reporter=tuple((k, text(getattr(case.form, k))) for k in _REPORTER_FIELDS),
        receivers=texts(case.addressed), participants=texts(case.participants),
        overrides={k: text(v) for k, v in case.overrides.items()},
        thread=tuple(_thread_item(case, m, raw) for m, raw in _messages(session, case)),
        reminders=tuple(ReminderItem(r.step, r.status, r.due_on, r.sent_at, texts(r.recipients.addresses),
                                     text(r.last_error)) for r in reminders),
        corrections=corrections_of(session, case.pk), progress=case.progress_text)


def message_id_of(session: Session, pk: int) -> str | None:
    """The normalised Message-ID of a stored message (what store.corrections takes)."""
    return session.scalar(select(Message.message_id).where(Message.id == pk))
