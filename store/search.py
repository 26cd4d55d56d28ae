"""The free-text search of cases in the database's own full-text index (issue 24, "Search").

One row per case in `case_search` (revision 0018_search): on SQLite an FTS5 virtual table, on PostgreSQL a table
with a `tsvector` column (Swedish configuration, plus the 'simple' one so that every word also matches by its
plain prefix) and a GIN index.  The indexed text is the case's id, the form's fields (sections 1-4), the
person's corrections, its reporters, receivers (names, units, e-mail addresses), participants and answers,
redacted (parsers.pnr.redact, the redaction mark itself left out: a personnummer is never indexed, so never
matched) and accent-folded ("Södertälje" is indexed as "sodertalje"; the query is folded the same way, so
accents and case are ignored on both databases without the `unaccent` extension).

`refresh(session, case)` rewrites a case's row.  It is called for every case a session changed (a Case, its
receivers, answers, corrections or linked messages, flushed in the session) just before that session commits
(`install(factory)`, done by store/db.Database), so opening, correcting, answering, linking and reparsing all
keep the index current without each place having to remember it.  A case without a row (a store migrated
from before 0018, rows written outside a Database) is indexed lazily at its first search (`_backfill`).

`match(session, q)`: a condition on `Case.id` for the list's `q`: every word of the query as a prefix
("nack" finds "Nacka"), all words required; a case id matches exactly; a query holding a personnummer
matches nothing."""
from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, event, false, func, literal, literal_column, or_, select, text
from sqlalchemy.orm import Session, sessionmaker

from parsers.pnr import REDACTED, find_count, redact
from store.models import Case, CaseAnswer, CaseReceiver, Correction, Message

TABLE = "case_search"
_CASE_ID = re.compile(r"^bus-\d{4}-\d{1,6}$", re.IGNORECASE)
_WORD = re.compile(r"\w", re.UNICODE)
_DIRTY = "search_dirty_cases"
_BATCH = 500


def fold(value: str) -> str:
    """Text as the search compares it: case and accents ignored ("Södertälje" → "sodertalje")."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _strings(value: Any) -> Iterable[str]:
    """Every text inside a stored value (JSON lists and objects: their values, not their keys)."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, (int, float)):
        yield str(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            yield from _strings(v)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield from _strings(dataclasses.asdict(value))


def _form_dict(form: Any) -> Any:
    if form is None or isinstance(form, dict):
        return form
    from parsers.form_record import form_to_dict

    return form_to_dict(form)


def _case_parts(case: Case) -> list[str]:
    parts: list[str] = [case.case_id]
    parts += _strings(_form_dict(case.form))
    parts += _strings(case.overrides)
    parts += _strings(case.classification if isinstance(case.classification, dict)
                      else _form_dict(case.classification))
    parts += _strings([case.reporters, case.receivers, case.participants])
    return parts


def _body(parts: list[str]) -> str:
    body = " ".join(redact(p) for p in parts if p)
    return fold(body.replace(REDACTED, " "))


def documents(session: Session, cases: list[Case]) -> dict[int, str]:
    """The redacted, folded text each case is found by (its receivers and answers read in one query each)."""
    parts = {case.id: _case_parts(case) for case in cases}
    for pk, email, unit in session.execute(select(CaseReceiver.case_pk, CaseReceiver.email, CaseReceiver.unit)
                                           .where(CaseReceiver.case_pk.in_(parts))):
        parts[pk] += _strings([email, unit])
    for answer in session.scalars(select(CaseAnswer).where(CaseAnswer.case_pk.in_(parts))):
        parts[answer.case_pk] += _strings([answer.receiver_email, answer.description, answer.improvements,
                                           answer.manager])
    return {pk: _body(p) for pk, p in parts.items()}


def document(session: Session, case: Case) -> str:
    return documents(session, [case])[case.id]


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _key(session: Session) -> str:
    """The column that holds the case's pk: on SQLite the FTS5 table's rowid."""
    return "case_pk" if _pg(session) else "rowid"


def refresh(session: Session, case: Case) -> None:
    """Rewrite the case's row of the index from its current data."""
    refresh_pks(session, [case.id])


def _delete(session: Session, pks: list[int]) -> None:
    for lo in range(0, len(pks), _BATCH):
        session.execute(text(f"DELETE FROM {TABLE} WHERE {_key(session)} IN :pks")
                        .bindparams(bindparam("pks", expanding=True)), {"pks": pks[lo:lo + _BATCH]})


def refresh_pks(session: Session, pks: Iterable[int]) -> None:
    """Rewrite the index rows of these cases (a case no longer stored: its row goes)."""
    wanted = sorted(set(pks))
    _delete(session, wanted)
    if _pg(session):
        insert = text(f"INSERT INTO {TABLE} (case_pk, body, doc) VALUES (:pk, :body, "
                      "to_tsvector('swedish', :body) || to_tsvector('simple', :body))")
    else:
        insert = text(f"INSERT INTO {TABLE} (rowid, body) VALUES (:pk, :body)")
    for lo in range(0, len(wanted), _BATCH):
        cases = list(session.scalars(select(Case).where(Case.id.in_(wanted[lo:lo + _BATCH]))))
        if cases:
            session.execute(insert, [{"pk": pk, "body": body} for pk, body in documents(session, cases).items()])


def _backfill(session: Session) -> None:
    """Index the cases that have no row yet (a store from before 0018)."""
    indexed: Select[tuple[Any]] = select(literal_column(_key(session))).select_from(text(TABLE))
    missing = list(session.scalars(select(Case.id).where(Case.id.not_in(indexed))))
    if missing:
        refresh_pks(session, missing)


def _words(q: str) -> list[str]:
    """The query's words, folded; control and format characters (a NUL PostgreSQL refuses) as spaces."""
    clean = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in fold(q))
    return [w for w in clean.split() if _WORD.search(w)]


def match(session: Session, q: str) -> ColumnElement[bool]:
    """The condition on Case.id for a free-text query (see the module's text)."""
    q = q.strip()
    if find_count(q):                        # a personnummer is never searched for
        return false()
    words = _words(q)
    if not words:
        return false()
    _backfill(session)
    found: Select[tuple[Any]]
    if _pg(session):
        query: Any = None
        for word in words:
            term = "'" + word.replace("\\", "").replace("'", "''") + "':*"
            one = func.to_tsquery("swedish", literal(term)).op("||")(func.to_tsquery("simple", literal(term)))
            query = one if query is None else query.op("&&")(one)
        found = select(literal_column("case_pk")).select_from(text(TABLE)).where(
            literal_column("doc").op("@@")(query))
    else:
        expression = " ".join('"' + word.replace('"', '""') + '"*' for word in words)
        found = select(literal_column("rowid")).select_from(text(TABLE)).where(
            text(f"{TABLE} MATCH :fts").bindparams(fts=expression))
    condition = Case.id.in_(found)
    if _CASE_ID.match(q):
        return or_(condition, Case.case_id == q.upper())
    return condition


# --- keeping the index current: the cases a session changed, refreshed before it commits -------------------

def _touched(session: Session) -> set[int]:
    pks: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Case):
            if obj.id is not None:
                pks.add(obj.id)
        elif isinstance(obj, (CaseReceiver, CaseAnswer, Correction, Message)):
            pk = getattr(obj, "case_pk", None)
            if pk is not None:
                pks.add(pk)
    return pks


def _after_flush(session: Session, _context: Any) -> None:
    pks = _touched(session)                 # (still the flush's lists; a new case has its id now)
    if pks:
        session.info.setdefault(_DIRTY, set()).update(pks)


def _before_commit(session: Session) -> None:
    session.flush()
    pks = session.info.pop(_DIRTY, None)
    if pks:
        refresh_pks(session, pks)
        session.info.pop(_DIRTY, None)      # the refresh's own flush is not a change to index


def _after_soft_rollback(session: Session, previous: Any) -> None:
    if not previous.nested:                 # a savepoint's rollback keeps the outer transaction's marks
        session.info.pop(_DIRTY, None)


def install(factory: sessionmaker[Session]) -> None:
    """Keep the index current for every session of this factory."""
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_soft_rollback", _after_soft_rollback)
