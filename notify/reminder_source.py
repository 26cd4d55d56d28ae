"""What a reminder is built from, read from the store: the case as its `CaseView` shows it (a person's corrections
of the form's fields applied), its deviation message and the stored form.

The form attached to a reminder is the Word document the case was opened from, kept when its mail was first
parsed (store/form_files.py): the stored mail is not parsed again.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from config.rules import Rules
from config.settings import Settings
from notify import message
from store import form_files
from store.caseview import CaseView, view_of
from store.jsontypes import Recipients
from store.models import Message, Reminder

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024   # a form larger than this is not attached (the text says so)


def original_form(session: Session, case: CaseView, rules: Rules) -> tuple[str, bytes] | None:
    """(file name, bytes) of the .docx the case's deviation carried, or None when there is none to attach."""
    source = session.get(Message, case.source_message_pk) if case.source_message_pk else None
    kept = form_files.stored(session, source) if source is not None else None
    if kept is None or not kept[1] or len(kept[1]) > MAX_ATTACHMENT_BYTES:
        return None
    filename, data = kept
    name = filename if filename.lower().endswith((".docx", ".docm", ".doc")) else "avvikelseblankett.docx"
    return name, data


def reporters(case: CaseView, rules: Rules) -> tuple[str, ...]:
    """The reporting side's addresses (the deviation's sender, section 3's contact and manager e-mail), lower-case,
    without the secretariat and the receivers: the reminder's Reply-To names them."""
    receivers = {a.lower() for a in case.addressed}
    found = (a.lower() for a in case.reporters if a and not rules.is_secretariat(a))
    return tuple(dict.fromkeys(a for a in found if a not in receivers))


def mail_for(session: Session, row: Reminder, now: datetime, settings: Settings, rules: Rules) -> message.ReminderMail:
    case = view_of(session, row.case_pk)
    source = session.get(Message, case.source_message_pk) if case.source_message_pk else None
    sent_to = row.recipients if isinstance(row.recipients, Recipients) else Recipients.from_list(row.recipients)
    to, cc = sent_to.to, sent_to.cc
    late = (settings.local.day(now) - case.response_due).days
    return message.ReminderMail(
        case_id=case.case_id, step=row.step, message_id=row.message_id,
        original_subject=source.subject if source else case.normalised_subject,
        original_message_id=source.message_id_header if source and not source.synthetic_id else None,
        received=settings.local.day(case.first_received), response_due=case.response_due,
        days_late=max(0, late), days_left=max(0, -late), from_address=settings.smtp.from_address,
        to=to, cc=cc, secretariat=tuple(rules.secretariat_addresses), form=case.form,
        reporters=reporters(case, rules), attachment=original_form(session, case, rules))
