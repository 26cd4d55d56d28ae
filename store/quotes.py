"""The quote bank: a person marks an excerpt of a deviation's description or of an answer as a quote for the
yearly report; it is stored anonymised — the case's own units and the organisation register's units, kommuner
and stadsdelar replaced by "[aktuell BUP]", "[aktuell kommun]" …, the names the case holds by "[namn]",
personnummer redacted — and reaches the Word draft only once a person has approved it."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.orgregister import Register, lookup
from config.rules import Rules
from parsers.classify import receiver_units
from parsers.pnr import redact
from parsers.safetext import shown
from store.caseview import CaseView, case_view, find_view
from store.corrections import CorrectionError
from store.models import Case, ReportQuote


def utcnow() -> datetime:
    return datetime.now(UTC)


SOURCES = {"description": "beskrivningen", "answer": "ett svar"}
MAX_QUOTE = 2000
NAME = "[namn]"


@dataclass(frozen=True)
class QuoteView:
    id: int
    case_id: str
    source: str
    text: str
    approved: bool
    approved_by: str | None
    main_theme: tuple[str, ...]     # the case's themes (the draft places the quote under its main theme)
    receivers: tuple[str, ...]      # the case's receiving types


def _placeholder(org_type: str) -> str:
    kind = org_type if org_type.isupper() else org_type.lower() if org_type else "verksamhet"
    return f"[aktuell {kind}]"


def _names(view: CaseView) -> list[str]:
    f = view.form
    people = [f.reporter_contact_person, f.reporter_manager_name, f.response_manager_name,
              *(a.manager.name or "" for a in view.answers)]
    out: list[str] = []
    for person in people:
        for part in re.split(r"[,/;()]|\s+och\s+", person or ""):
            part = " ".join(part.split())
            if len(part) >= 3 and not any(ch.isdigit() for ch in part):
                out.append(part)
                out += [w for w in part.split() if len(w) >= 3 and w[:1].isupper()]
    return sorted(set(out), key=len, reverse=True)


def _replace(text: str, phrase: str, by: str) -> str:
    if not phrase.strip():
        return text
    return re.sub(rf"(?<!\w){re.escape(phrase.strip())}(?!\w)", by, text, flags=re.IGNORECASE)


def anonymise(text: str, view: CaseView, register: Register, rules: Rules) -> str:
    """The excerpt as the draft may show it (see the module's docstring)."""
    out = text
    f = view.form
    units: list[tuple[str, str]] = []
    for unit in (f.reporter_unit, f.reporter_manager_unit, f.response_manager_unit, *receiver_units(f),
                 *(r.unit or "" for r in view.receivers)):
        if unit and unit.strip():
            units.append((unit, lookup(register, rules, unit, None).type))
    for u in register.units:
        units.append((u.name, u.type))
    for unit, org_type in sorted(set(units), key=lambda x: len(x[0]), reverse=True):
        out = _replace(out, unit, _placeholder(org_type))
    for u in register.units:
        for pattern in u.patterns:
            out = pattern.sub(_placeholder(u.type), out)
    for k in register.kommuner:
        for area in sorted(k.areas, key=len, reverse=True):
            out = _replace(out, area, "[aktuell stadsdel]")
        out = re.sub(rf"(?<!\w){re.escape(k.name)}s?(?!\w)", "[aktuell kommun]", out, flags=re.IGNORECASE)
    for name in _names(view):
        out = _replace(out, name, NAME)
    out = re.sub(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b", "[e-post]", out)
    out = re.sub(r"(?<!\d)(\+46|0)[\d\s-]{6,}\d", "[telefon]", out)
    return shown(redact(out))


def _source_text(view: CaseView, source: str) -> str:
    if source == "description":
        return view.form.description or ""
    return "\n".join(x for a in view.answers for x in (a.description, a.improvements) if x)


def add_quote(session: Session, case_id: str, excerpt: str, source: str, who: str, register: Register,
              rules: Rules) -> ReportQuote:
    """Mark `excerpt` (a part of the case's description or answers, whitespace aside) as a quote, anonymised."""
    if source not in SOURCES:
        raise CorrectionError(f"okänd källa {source!r}: välj beskrivningen eller ett svar")
    view = find_view(session, case_id)
    if view is None:
        raise CorrectionError(f"ärendet {case_id} finns inte")
    wanted = " ".join(excerpt.split())
    if not wanted:
        raise CorrectionError("markera en del av texten som citat")
    if len(wanted) > MAX_QUOTE:
        raise CorrectionError(f"citatet är för långt (högst {MAX_QUOTE} tecken)")
    if wanted.casefold() not in " ".join(_source_text(view, source).split()).casefold():
        raise CorrectionError(f"texten finns inte i {SOURCES[source]} i {view.case_id}")
    quote = ReportQuote(case_pk=view.pk, source=source, text=anonymise(wanted, view, register, rules),
                        created_by=who, created_at=utcnow())
    session.add(quote)
    session.flush()
    return quote


def approve(session: Session, quote_id: int, who: str, text: str | None = None) -> None:
    """A person approves the quote (optionally with the anonymised text edited by hand)."""
    quote = session.get(ReportQuote, quote_id)
    if quote is None:
        raise CorrectionError(f"citat {quote_id} finns inte")
    if text is not None and text.strip():
        quote.text = shown(redact(" ".join(text.split())))[:MAX_QUOTE]
    quote.approved_by, quote.approved_at = who, utcnow()


def remove(session: Session, quote_id: int) -> None:
    quote = session.get(ReportQuote, quote_id)
    if quote is None:
        raise CorrectionError(f"citat {quote_id} finns inte")
    session.delete(quote)


def _view(q: ReportQuote, case: Case) -> QuoteView:
    v = case_view(case)
    return QuoteView(q.id, v.case_id, q.source, q.text, q.approved_at is not None, q.approved_by,
                     tuple(v.classification.themes), tuple(v.classification.receiver_org_types))


def quotes(session: Session, *, case_pk: int | None = None, year: int | None = None,
           approved_only: bool = False) -> list[QuoteView]:
    query = select(ReportQuote, Case).join(Case, Case.id == ReportQuote.case_pk).order_by(ReportQuote.id)
    if case_pk is not None:
        query = query.where(ReportQuote.case_pk == case_pk)
    if year is not None:
        query = query.where(Case.year == year)
    if approved_only:
        query = query.where(ReportQuote.approved_at.is_not(None))
    return [_view(q, c) for q, c in session.execute(query).all()]


def by_case(items: Iterable[QuoteView]) -> dict[str, list[QuoteView]]:
    out: dict[str, list[QuoteView]] = {}
    for q in items:
        out.setdefault(q.case_id, []).append(q)
    return out
