"""The linking rules, their order and the decision (docs/ARCHITECTURE.md, "Linking rules, in order").

The rules ask an `EvidenceSource` for the cases a key points to; two sources answer them:
store/link_queries.py `QueryEvidence` (queries, one message at a time) and store/link_batch_index.py
`BatchIndex` (an ingest batch: what the store held, fetched per chunk, plus what the batch added).
`gather` runs the rules in order and stops at the first that finds something; `decide` picks the case.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from parsers.types import FormData
from store.models import Case

_WORDS = re.compile(r"\w+")
CASE_ID_RE = re.compile(r"\bBUS-(\d{4})-(\d{4})\b", re.IGNORECASE)
SUBJECT_WINDOW = timedelta(days=365)
CaseRef = int | Case  # a case's id, or the row itself


@dataclass(frozen=True)
class Probe:
    """What the linker knows of the new message."""
    message_pk: int | None
    refs: tuple[str, ...]
    thread_guid: str | None
    fingerprints: tuple[str, ...]
    text_fingerprints: tuple[str, ...]
    subject: str
    normalised_subject: str
    sender: str | None
    date: datetime | None
    form: FormData | None = None
    new_report: bool = False   # a form with sections 1–3 and no answer: only exact evidence may link it


@dataclass(frozen=True)
class Evidence:
    """Cases each rule would link to, in rule order; within a rule the most recent case is last."""
    references: tuple[CaseRef, ...] = ()
    thread_index: tuple[CaseRef, ...] = ()
    form_content: tuple[CaseRef, ...] = ()
    case_id: tuple[CaseRef, ...] = ()
    subject: tuple[CaseRef, ...] = ()


class EvidenceSource(Protocol):
    """The look-ups the rules need.  Every answer is in the order `decide` relies on: by case id (that is
    by insertion), except where said otherwise."""

    def by_references(self, refs: tuple[str, ...]) -> tuple[CaseRef, ...]:
        """Cases of stored messages and of our reminders with these Message-IDs, nearest ancestor last."""

    def by_thread(self, guid: str, message_pk: int | None) -> tuple[CaseRef, ...]:
        """Cases of other messages of this Outlook conversation, in message order."""

    def by_fingerprint(self, keys: tuple[str, ...]) -> Sequence[Case]:
        """Cases whose sections 1–3 have one of these fingerprints."""

    def by_text_fingerprint(self, keys: tuple[str, ...]) -> tuple[CaseRef, ...]:
        """Cases whose description has one of these fingerprints."""

    def received_around(self, date: datetime | None) -> Sequence[Case]:
        """Cases first received from the subject window before `date` to a day after it (all cases when
        there is no date), by first received."""

    def by_case_id(self, ids: tuple[str, ...]) -> tuple[CaseRef, ...]:
        """Cases with these case ids (BUS-yyyy-nnnn)."""

    def by_subject(self, normalised_subject: str) -> Sequence[Case]:
        """Cases with this normalised subject, by first received."""


# Who reports and about whom: two forms with the same event, text and date but another contact, manager
# or units involved are two deviations (two colleagues report one meeting, or one unit reports it to two
# receivers separately).  Not in the fingerprint, which answers keep matching on.
REPORTER_FIELDS = ("reporter_contact_person", "reporter_email", "reporter_manager_name",
                   "reporter_manager_email", "units_involved")


def _field_words(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, (list, tuple)) else [value]
    return tuple(sorted({" ".join(_WORDS.findall(str(v).casefold())) for v in items if v}))


def same_reporter(a: FormData | None, b: FormData | None) -> bool:
    """The reporting contact, their manager and the units involved agree (case and spacing aside)."""
    return all(_field_words(getattr(a, k, None)) == _field_words(getattr(b, k, None)) for k in REPORTER_FIELDS)


def reporter_first(probe: Probe, cases: Sequence[Case]) -> list[Case]:
    """Of the cases with the probe's sections 1–3: a new report only joins one with the same reporter;
    an answer goes to such a one when there is one (two units reported the same event separately)."""
    same = [c for c in cases if same_reporter(probe.form, c.form)]
    return same if same or probe.new_report else list(cases)


def _tokens(text: Any) -> set[str]:
    return set(_WORDS.findall(str(text or "").casefold()))


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and _tokens(a) == _tokens(b)


def similar_forms(a: FormData, b: FormData) -> bool:
    """Sections 1–3 retyped or edited a little: at least two of a mostly equal description, the same
    reporting unit, the same report date and the same event type (one alone is common to many cases)."""
    da, db = _tokens(a.description), _tokens(b.description)
    close_text = len(da) >= 4 and len(da & db) / len(da | db) >= 0.6
    same_date = bool(a.reported_date) and a.reported_date == b.reported_date
    return close_text + _same(a.reporter_unit, b.reporter_unit) + same_date + _same(a.event_type, b.event_type) >= 2


def subject_matches(probe: Probe, case: Case) -> bool:
    """The subject rule's participant and time check."""
    if probe.sender not in (case.participants or []):
        return False
    return not probe.date or (case.first_received - timedelta(days=1) <= probe.date
                              <= case.first_received + SUBJECT_WINDOW)


def case_ids(subject: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f"BUS-{y}-{n}" for y, n in CASE_ID_RE.findall(subject)))


# -- the rules ------------------------------------------------------------------------------------------
def _references(source: EvidenceSource, probe: Probe) -> tuple[CaseRef, ...]:
    return source.by_references(probe.refs) if probe.refs else ()


def _thread_index(source: EvidenceSource, probe: Probe) -> tuple[CaseRef, ...]:
    return source.by_thread(probe.thread_guid, probe.message_pk) if probe.thread_guid else ()


def _form_content(source: EvidenceSource, probe: Probe) -> tuple[CaseRef, ...]:
    """Exact sections 1–3 (for a new report also the same reporter); for an answer form also the
    description alone, then a similar form."""
    exact = source.by_fingerprint(probe.fingerprints) if probe.fingerprints else ()
    found: tuple[CaseRef, ...] = tuple(reporter_first(probe, exact))
    if found or probe.new_report:
        return found
    if probe.text_fingerprints:
        found = source.by_text_fingerprint(probe.text_fingerprints)
    return found or _similar_form(source, probe)


def _similar_form(source: EvidenceSource, probe: Probe) -> tuple[CaseRef, ...]:
    form = probe.form
    if not form or not (form.description or form.reported_date):
        return ()
    return tuple(c for c in source.received_around(probe.date) if similar_forms(form, c.form))


def _case_id(source: EvidenceSource, probe: Probe) -> tuple[CaseRef, ...]:
    ids = case_ids(probe.subject)
    return source.by_case_id(ids) if ids else ()


def _subject(source: EvidenceSource, probe: Probe) -> tuple[CaseRef, ...]:
    if not probe.normalised_subject or not probe.sender:
        return ()
    return tuple(c for c in source.by_subject(probe.normalised_subject) if subject_matches(probe, c))


Rule = Callable[[EvidenceSource, Probe], tuple[CaseRef, ...]]
RULES: tuple[tuple[str, Rule], ...] = (("references", _references), ("thread_index", _thread_index),
                                       ("form_content", _form_content), ("case_id", _case_id),
                                       ("subject", _subject))
RULE_ORDER = tuple(name for name, _rule in RULES)
EXACT_RULES = ("references", "thread_index", "form_content")


def gather(source: EvidenceSource, probe: Probe) -> Evidence:
    """Run the rules lazily: stop at the first rule that finds something.  A new report (a form with
    sections 1–3 and no answer) is never tied to a case by its case id or subject alone: reporters send
    many deviations with the same subject."""
    found: dict[str, tuple[CaseRef, ...]] = {}
    for name, rule in RULES:
        if probe.new_report and name not in EXACT_RULES:
            break
        found[name] = rule(source, probe)
        if found[name]:
            break
    return Evidence(**found)


def decide(evidence: Evidence) -> tuple[CaseRef | None, str | None]:
    """The first rule with a candidate wins; within a rule, the most recent case (last listed)."""
    for rule in RULE_ORDER:
        candidates: tuple[CaseRef, ...] = getattr(evidence, rule)
        if candidates:
            return candidates[-1], rule
    return None, None
