"""The typed JSON columns (store/jsontypes.py): Case.form, Case.classification and Message.form read and write
the frozen records, and the database keeps exactly the JSON a plain JSON column kept (same keys, same order),
on SQLite and on PostgreSQL."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from parsers.form_record import classification_to_dict, form_to_dict
from parsers.types import Classification, FormData
from store.db import Database
from store.models import Case, Message, RawBlob

WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
FORM = FormData(event_type="Uteblev från SIP", units_involved=("BUP Farsta", "Skola"), description="Åtgärd\nrad två",
                reported_date=date(2026, 3, 1), reporter_unit="Socialtjänsten", reporter_email="a@b.se",
                response_received_date=date(2026, 4, 1))
CLASS = Classification(reporter_org_type="Socialtjänst", reporter_principal="kommun", receiver_org_types=("BUP",),
                       receiver_principals=("region",), principal_relation="between", themes=("SIP",),
                       rules_used=("org:1",))
# a plain JSON table over the same columns, as the migrations (and the code before the typed columns) wrote them
PLAIN_CASE = sa.table("bus_case", sa.column("id", sa.Integer), sa.column("form", sa.JSON),
                      sa.column("classification", sa.JSON))
PLAIN_MESSAGE = sa.table("message", sa.column("id", sa.Integer), sa.column("form", sa.JSON))


def _case(seq: int, **kw: Any) -> Case:
    return Case(case_id=f"BUS-2026-{seq:04d}", year=2026, seq=seq, first_received=WHEN,
                response_due=date(2026, 5, 2), fingerprint="f", text_fingerprint="t", **kw)


def _message(n: int, form: FormData | None) -> Message:
    return Message(message_id=f"m{n}@x", message_id_header=f"<m{n}@x>", raw_sha256="0" * 64, first_seen=WHEN,
                   form=form)


def _raw(db: Database, column: str, table: str, pk: int) -> Any:
    with db.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT CAST({column} AS TEXT) FROM {table} WHERE id = :pk"), {"pk": pk}).scalar()


def _store(db: Database) -> tuple[int, int, int, int]:
    with db.session(write=True) as s:
        s.add(RawBlob(sha256="0" * 64, size=0, data=b"", stored_at=WHEN))
        typed, plain = _case(1, form=FORM, classification=CLASS), _case(2)
        with_form, without = _message(1, FORM), _message(2, None)
        s.add_all([typed, plain, with_form, without])
        s.flush()
        return typed.id, plain.id, with_form.id, without.id


def test_records_go_in_and_come_back_typed(db: Database) -> None:
    case_pk, _, msg_pk, none_pk = _store(db)
    with db.session() as s:
        case, msg, none = s.get_one(Case, case_pk), s.get_one(Message, msg_pk), s.get_one(Message, none_pk)
        assert case.form == FORM and isinstance(case.form.reported_date, date)
        assert case.form.units_involved == ("BUP Farsta", "Skola")
        assert case.classification == CLASS and case.classification.receiver_org_types == ("BUP",)
        assert msg.form == FORM and none.form is None


def test_the_stored_json_is_what_a_plain_json_column_stores(db: Database) -> None:
    case_pk, plain_pk, msg_pk, none_pk = _store(db)
    stored_form, stored_class = _raw(db, "form", "bus_case", case_pk), _raw(db, "classification", "bus_case", case_pk)
    assert list(json.loads(stored_form)) == list(form_to_dict(FORM))       # the same keys, in the same order
    assert json.loads(stored_form) == form_to_dict(FORM)
    assert json.loads(stored_class) == classification_to_dict(CLASS) and "rules_used" not in stored_class
    with db.engine.begin() as conn:                 # the same values written through a plain JSON column
        conn.execute(PLAIN_CASE.update().where(PLAIN_CASE.c.id == plain_pk).values(
            form=form_to_dict(FORM), classification=classification_to_dict(CLASS)))
        conn.execute(PLAIN_MESSAGE.update().where(PLAIN_MESSAGE.c.id == none_pk).values(form=None))
    assert _raw(db, "form", "bus_case", plain_pk) == stored_form
    assert _raw(db, "classification", "bus_case", plain_pk) == stored_class
    assert _raw(db, "form", "message", msg_pk) == stored_form
    assert _raw(db, "form", "message", none_pk) == "null"                  # JSON null, as before


def test_a_case_made_without_a_form_keeps_an_empty_object(db: Database) -> None:
    _, plain_pk, _, _ = _store(db)
    assert _raw(db, "form", "bus_case", plain_pk) == "{}" and _raw(db, "classification", "bus_case", plain_pk) == "{}"
    with db.session() as s:
        case = s.get_one(Case, plain_pk)
        assert case.form == FormData() and not case.form.has_report
        assert case.classification.themes == () and case.classification.principal_relation is None


def test_stored_dicts_of_older_versions_read_typed(db: Database) -> None:
    case_pk, _, _, _ = _store(db)
    older = {"event_type": "E", "reported_date": "2026-01-05", "units_involved": ["U"], "gone_field": 1}
    with db.engine.begin() as conn:
        conn.execute(PLAIN_CASE.update().where(PLAIN_CASE.c.id == case_pk).values(
            form=older, classification={"themes": ["SIP"]}))
    with db.session() as s:
        case = s.get_one(Case, case_pk)
        assert case.form == FormData(event_type="E", reported_date=date(2026, 1, 5), units_involved=("U",))
        assert case.classification.themes == ("SIP",) and case.classification.receiver_org_types == ()


def test_an_element_of_the_json_in_sql_is_plain_json(db: Database) -> None:
    _store(db)
    with db.session() as s:
        row = s.execute(select(Case.form["event_type"].as_string(), Case.form["units_involved"],
                               Case.classification["principal_relation"].as_string())
                        .where(Case.seq == 1)).one()
        assert tuple(row) == ("Uteblev från SIP", ["BUP Farsta", "Skola"], "between")
        same = Case.form["event_type"].as_string() == "Uteblev från SIP"
        assert s.scalar(select(sa.func.count(Case.id)).where(same)) == 1
