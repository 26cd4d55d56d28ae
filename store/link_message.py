"""Linking one stored message: gather evidence (store/link_rules.py), decide, then record kind, case and
answer (store/answers.py)."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.rules import Rules
from parsers.classify import classify
from parsers.over_budget import Parsed
from parsers.types import FormData, ParsedEmail, has_report, has_response
from store import form_files
from store.answers import kind_for, record_answer
from store.bounces import record_bounce
from store.cases import PNR_FLAG, note_participants, open_case
from store.link_batch_index import BatchIndex
from store.link_queries import QueryEvidence
from store.link_rules import Probe, decide, gather, similar_forms
from store.models import Case, Message, RawBlob


def probe_for(msg: Message | None, parsed: ParsedEmail, form: FormData | None) -> Probe:
    """What the rules know of a message: its typed form gives the fingerprints (worked out by the parser)
    and the values compared with cases' forms."""
    reportish = has_report(form)
    return Probe(
        message_pk=msg.id if msg is not None else None, refs=(*parsed.references, *parsed.in_reply_to),
        thread_guid=parsed.thread_index_guid,
        fingerprints=(form.fingerprint,) if form and reportish else (),
        text_fingerprints=(form.text_fingerprint,) if form and form.description else (),
        subject=parsed.subject, normalised_subject=parsed.normalised_subject,
        sender=parsed.sender.email if parsed.sender else None, date=parsed.date, form=form,
        new_report=reportish and not has_response(form),
    )


def _another_report(probe: Probe, case: Case) -> bool:
    """A new report in an old thread (Reply or Forward used to send another deviation): its sections 1–3
    differ from the case's, so it is a deviation of its own."""
    if not probe.new_report or probe.form is None:
        return False
    return case.fingerprint not in probe.fingerprints and not similar_forms(probe.form, case.form)


def _attach(session: Session, msg: Message, case: Case, rule: str, parsed: ParsedEmail,
            form: FormData | None, rules: Rules) -> None:
    msg.case, msg.link_rule = case, rule
    receivers = [p for p in case.participants if p not in case.reporters]
    msg.kind = kind_for(auto_reply=parsed.auto_reply, sender=msg.sender, reporters=list(case.reporters),
                        receivers=receivers, secretariat=rules.secretariat_addresses,
                        has_response_form=has_response(form))
    note_participants(case, parsed, rules.secretariat_addresses)
    if msg.kind == "answer":
        record_answer(session, case, msg, form, parsed.body_text, rules)
    if PNR_FLAG in (msg.flags or []) and PNR_FLAG not in (case.flags or []):
        case.flags = [*case.flags, PNR_FLAG]


def _open(session: Session, msg: Message, parsed: ParsedEmail, form: FormData, rules: Rules, due_months: int,
          numbers: Callable[[int], int] | None) -> Case:
    """A new deviation: its case, numbered by the batch's counter during an ingest (`numbers`)."""
    classification = parsed.classification or classify(form, parsed.sender, (*parsed.to, *parsed.cc), rules)
    case = open_case(session, msg, form, parsed, classification, rules.secretariat_addresses,
                     due_months, list(msg.flags or []), seq=numbers,
                     keys=(form.fingerprint, form.text_fingerprint), zone=rules.local)
    msg.case, msg.kind, msg.link_rule = case, "deviation", "new_deviation"
    form_files.keep(session, msg, parsed.form_file)     # its reminders attach it from the store
    if form.has_response:  # a deviation we first see with its answer already filled in
        record_answer(session, case, msg, form, parsed.body_text, rules)
    return case


def link_message(session: Session, msg: Message, parsed: ParsedEmail, form: FormData | None,
                 rules: Rules, due_months: int, index: BatchIndex | None = None,
                 probe: Probe | None = None, numbers: Callable[[int], int] | None = None) -> None:
    """Link one message; during an ingest batch, `index` answers the rules' look-ups
    (store/link_batch_index.py), else queries do (store/link_queries.py), and `numbers` numbers the cases
    it opens (store/batch_writes.py).  Our own mail (a reminder, the
    digest, a copy or a bounce of one) is kept as kind `own`, unlinked."""
    if parsed.own:
        msg.kind, msg.case, msg.link_rule = "own", None, None
        if parsed.bounce is not None:   # a bounce of a reminder: its receivers are "bounced" (store/bounces.py)
            record_bounce(session, msg, parsed.bounce)
        return
    probe = probe or probe_for(msg, parsed, form)
    found, rule = decide(gather(index if index else QueryEvidence(session), probe))
    case = session.get(Case, found) if isinstance(found, int) else found
    if case is not None and rule is not None and not _another_report(probe, case):
        _attach(session, msg, case, rule, parsed, probe.form, rules)
        if index:
            index.record(probe, msg.message_id, case, opened=False)
        return
    if form is not None and probe.form is not None and form.has_report and not parsed.auto_reply:
        case = _open(session, msg, parsed, form, rules, due_months, numbers)
        if index:
            index.record(probe, msg.message_id, case, opened=True)
        return
    msg.kind = "other"  # unlinked mail, automatic or not, goes to "needs review"


def relink_others(session: Session, since: datetime, new_cases: list[Case], rules: Rules,
                  due_months: int, parse: Callable[[Sequence[bytes]], Iterator[Parsed]]) -> int:
    """Try again to link unlinked mail that may belong to cases just opened: mail stored before its
    deviation (out of order across folders and batches).  Candidates share the case's Outlook
    conversation or normalised subject, so the work stays proportional to what could match.  Their
    stored bytes are parsed again by `parse` (the pipeline's parser pool, within the budget) for the typed
    form and its fingerprints; the store itself never parses."""
    guids = set(session.scalars(select(Message.thread_index_guid).where(
        Message.case_pk.in_([c.id for c in new_cases]), Message.thread_index_guid.is_not(None))))
    subjects = {c.normalised_subject for c in new_cases if c.normalised_subject}
    q = select(Message).where(Message.kind == "other", Message.case_pk.is_(None),
                              Message.linked_by_human.is_(False), Message.date >= since,
                              or_(Message.thread_index_guid.in_(guids), Message.normalised_subject.in_(subjects)))
    found = [(msg, session.get(RawBlob, msg.raw_sha256)) for msg in session.scalars(q).all()]
    todo = [(msg, blob.data) for msg, blob in found if blob is not None]
    if not todo:
        return 0
    linked = 0
    for (msg, _data), (parsed, form, _problems) in zip(todo, parse([data for _msg, data in todo])):
        link_message(session, msg, parsed, form, rules, due_months)
        linked += msg.case is not None
    return linked
