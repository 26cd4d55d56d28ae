"""The case list in SQL: the state of each case (with its receivers), filter, sort and page in the database,
loading only the columns the list shows.  The free-text search is the database's full-text index
(store/search.py); filters on lists inside the JSON columns (organisation types, themes) are matched in Python,
over the narrow columns of the year only.

A case's state (store/views.STATES), the first that holds:
closed / paused (its status); answered (no answer awaited: a person's `responded` correction, else no receiver
awaited, else for a case without known receivers its first answer); overdue (awaited past the due date);
partly answered (awaited, some receiver answered); open.  The status filter "open" lists every case still
awaited before its due date (partly answered ones too), "partly" every awaited case with an answer (overdue ones
too), "overdue" every awaited case past due."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from store.models import Case, CaseAnswer, CaseReceiver

STATES = ("open", "partly", "answered", "overdue", "closed", "paused")


def _receivers(*where: ColumnElement[bool], per_row: bool = False) -> ColumnElement[bool]:
    """Has the case a receiver (in a state)?  EXISTS over many cases (PostgreSQL hashes it, one pass over
    case_receiver); for a page of rows (per_row) a count per case, which it looks up in the index by case."""
    if per_row:
        return select(func.count()).where(CaseReceiver.case_pk == Case.id, *where).scalar_subquery() > 0
    return exists().where(CaseReceiver.case_pk == Case.id, *where)


def _receiver_in(state: str, per_row: bool = False) -> ColumnElement[bool]:
    return _receivers(CaseReceiver.state == state, per_row=per_row)


def waiting_sql(per_row: bool = False) -> ColumnElement[bool]:
    """store.receivers.waiting as an SQL condition."""
    override = Case.overrides["responded"].as_boolean()
    has_receivers = _receivers(per_row=per_row)
    return or_(and_(override.is_not(None), not_(override)),
               and_(override.is_(None), has_receivers,
                    _receivers(CaseReceiver.state.in_(("awaited", "bounced")), per_row=per_row)),
               and_(override.is_(None), not_(has_receivers), not_(Case.responded)))


def state_sql(today: date, per_row: bool = False) -> ColumnElement[int]:
    """The index in STATES of each case's state."""
    return case((Case.status == "closed", STATES.index("closed")), (Case.status == "paused", STATES.index("paused")),
                (not_(waiting_sql(per_row)), STATES.index("answered")),
                (Case.response_due < today, STATES.index("overdue")),
                (_receiver_in("answered", per_row), STATES.index("partly")), else_=STATES.index("open"))


def state_filter(state: str, today: date) -> ColumnElement[bool] | None:
    awaited = and_(Case.status == "open", waiting_sql())
    return {"closed": Case.status == "closed", "paused": Case.status == "paused",
            "answered": and_(Case.status == "open", not_(waiting_sql())),
            "overdue": and_(awaited, Case.response_due < today),
            "partly": and_(awaited, _receiver_in("answered")),
            "open": and_(awaited, Case.response_due >= today)}.get(state)


def _overridden(column: Any, key: str) -> Any:
    """A scalar text value with a person's correction applied."""
    return func.coalesce(Case.overrides[key].as_string(), column[key].as_string())


def list_columns(today: date, search: bool, per_row: bool = False) -> tuple[Any, ...]:
    cols = (Case.case_id, Case.year, Case.first_received, Case.response_due,
            state_sql(today, per_row).label("state_ix"),
            _overridden(Case.form, "event_type").label("event_type"),
            Case.form["units_involved"].label("units"), Case.classification, Case.overrides, Case.flags)
    if not search:
        return cols
    return (*cols, _overridden(Case.form, "description").label("description"), Case.form.label("form_all"),
            Case.receivers, Case.participants)


def _sort(sort: str, today: date) -> tuple[Any, ...]:
    return {"received": (Case.first_received,), "due": (Case.response_due,),
            "state": (state_sql(today),)}.get(sort, (Case.year, Case.seq))     # event_type: in Python, redacted


def _where(f: Any, today: date, found: ColumnElement[bool] | None = None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [] if found is None else [found]
    if f.year is not None:
        where.append(Case.year == f.year)
    if f.state:
        cond = state_filter(f.state, today)
        where.append(cond if cond is not None else Case.id.is_(None))
    if f.confirm:
        where.append(exists().where(CaseAnswer.case_pk == Case.id, or_(CaseAnswer.outcome_source.is_(None),
                                                                       CaseAnswer.outcome_source != "set")))
    if f.relation:
        where.append(_overridden(Case.classification, "principal_relation") == f.relation)
    if getattr(f, "received_from", None) is not None:
        where.append(Case.first_received >= _local_start(f.received_from))
    if getattr(f, "received_to", None) is not None:
        where.append(Case.first_received < _local_start(f.received_to + timedelta(days=1)))
    return where


def _local_start(day: date) -> datetime:
    """The start of a local day (worker.timezone), as the overview's week starts."""
    from config.localzone import STOCKHOLM

    return STOCKHOLM.at(day, time.min)


def page_rows(session: Session, f: Any, today: date, offset: int, limit: int | None,
              to_row: Callable[[Any], Any], matches: Callable[[Any, Any], bool],
              sort_key: Callable[[Any, str], Any]) -> tuple[list[Any], int]:
    """(the rows of one page, the number of cases that pass the filter); limit None: every row."""
    # Sorting on a text the pages show redacted is done on the redacted text (issue 25 L5: a sort on the stored
    # text let a user find a redacted personnummer by probing); the dates and states sort in SQL.
    found = None
    if f.q:                         # the free text: the database's full-text index (store/search.py)
        from store.search import match

        found, f = match(session, f.q), replace(f, q="")
    search = bool(f.q or f.org_type or f.theme or f.sort == "event_type")
    query = select(*list_columns(today, search)).where(*_where(f, today, found))
    if search:                      # lists in JSON and free text: matched here, over the narrow columns
        rows = [r for r in (to_row(c) for c in session.execute(query)) if matches(r, f)]
        rows.sort(key=lambda r: sort_key(r, f.sort), reverse=f.descending)
        return [replace(r, description="", search_text="") for r in rows[offset:None if limit is None else
                                                                           offset + limit]], len(rows)
    total = int(session.scalar(select(func.count()).select_from(Case).where(*_where(f, today, found))) or 0)
    order = [c.desc() if f.descending else c for c in (*_sort(f.sort, today), Case.id)]
    if limit is None:
        return [to_row(c) for c in session.execute(query.order_by(*order).offset(offset))], total
    # one page: its case ids first (the filter and sort alone), then the shown columns of those rows only
    ids = list(session.scalars(select(Case.id).where(*_where(f, today, found)).order_by(*order)
                               .offset(offset).limit(limit)))
    shown = select(Case.id, *list_columns(today, False, per_row=True)).where(Case.id.in_(ids))
    by_pk = {r.id: r for r in session.execute(shown)}
    return [to_row(by_pk[pk]) for pk in ids if pk in by_pk], total


def state_name(ix: int | None) -> str:
    return STATES[int(ix or 0)]


def years(session: Session) -> list[int]:
    """The years that have cases, newest first: the first and last from the (year, seq) index, the ones
    between by one EXISTS each (a store spans a few years), not a pass over every case."""
    lo, hi = session.execute(select(func.min(Case.year), func.max(Case.year))).one()
    if lo is None:
        return []
    span = list(range(int(hi), int(lo) - 1, -1))
    if len(span) > 100:                 # not a store's years: the plain way
        return [int(y) for y in session.scalars(select(Case.year).distinct().order_by(Case.year.desc()))]
    found = session.execute(select(*(exists().where(Case.year == y) for y in span))).one() if len(span) > 2 else ()
    return [y for i, y in enumerate(span) if i in (0, len(span) - 1) or found[i]]
