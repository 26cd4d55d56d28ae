"""JSON columns that read and write the parsers' frozen records (docs/ARCHITECTURE.md, Invariants, "Typed all
the way").

`FormColumn` keeps a `FormData`, `ClassificationColumn` a `Classification`; in the database both stay the JSON
objects they always were, with the same keys (parsers/form_record.py), so existing databases and migrations are
unchanged.  A plain dict given to either is stored as it is (a case made without a form keeps `{}`), and read
back typed.  An element of the JSON in SQL (`Case.form["event_type"]`) is plain JSON, as before."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.operators import OperatorType
from sqlalchemy.types import TypeDecorator, TypeEngine

from parsers.form_record import classification_from_dict, classification_to_dict, form_from_dict, form_to_dict
from parsers.types import Classification, FormData


class _Comparator(TypeDecorator.Comparator[Any], JSON.Comparator[Any]):
    """Indexing a typed column gives plain JSON: its elements are not records."""

    def _setup_getitem(self, index: Any) -> tuple[OperatorType, Any, TypeEngine[Any]]:
        operator, index, _ = super()._setup_getitem(index)  # type: ignore[no-untyped-call]
        return operator, index, JSON()


class FormColumn(TypeDecorator[FormData]):
    """A form (sections 1–4) as JSON; NULL-able columns hand back None."""
    impl = JSON
    cache_ok = True
    should_evaluate_none = True          # None is JSON null, as a plain JSON column stores it
    comparator_factory = _Comparator

    def process_bind_param(self, value: FormData | Mapping[str, Any] | None, dialect: Any) -> Any:
        return form_to_dict(value) if isinstance(value, FormData) else value

    def process_result_value(self, value: Any, dialect: Any) -> FormData | None:
        return form_from_dict(value) if value is not None else None


class ClassificationColumn(TypeDecorator[Classification]):
    """The rules' classification of a case as JSON."""
    impl = JSON
    cache_ok = True
    should_evaluate_none = True
    comparator_factory = _Comparator

    def process_bind_param(self, value: Classification | Mapping[str, Any] | None, dialect: Any) -> Any:
        return classification_to_dict(value) if isinstance(value, Classification) else value

    def process_result_value(self, value: Any, dialect: Any) -> Classification | None:
        return classification_from_dict(value) if value is not None else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) or value is None else str(value)


@dataclass(frozen=True)
class Manager:
    """The manager who answered (section 4's "Namn enhetschef", unit, e-mail, phone; for a mail without
    section 4 its sender): `CaseAnswer.manager`, stored as the JSON object it always was."""
    name: str | None = None
    unit: str | None = None
    email: str | None = None
    phone: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> Manager:
        d = data or {}
        return cls(_text(d.get("name")), _text(d.get("unit")), _text(d.get("email")), _text(d.get("phone")))

    def as_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "unit": self.unit, "email": self.email, "phone": self.phone}


class ManagerColumn(TypeDecorator[Manager]):
    """A `Manager` as JSON; a plain dict given is stored as it is and read back typed."""
    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Manager | Mapping[str, object] | None, dialect: Dialect) -> object:
        return value.as_dict() if isinstance(value, Manager) else (dict(value) if value is not None else {})

    def process_result_value(self, value: object, dialect: Dialect) -> Manager:
        return Manager.from_dict(value if isinstance(value, Mapping) else None)


@dataclass(frozen=True)
class Recipients:
    """Whom a reminder goes to: `Reminder.recipients`, stored as the JSON list it always was,
    [{"field": "to"|"cc", "address": …}, …]."""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()

    @property
    def addresses(self) -> tuple[str, ...]:
        return (*self.to, *self.cc)

    @classmethod
    def from_list(cls, data: object) -> Recipients:
        items = [r for r in data if isinstance(r, Mapping)] if isinstance(data, list) else []
        return cls(tuple(str(r.get("address")) for r in items if r.get("field") == "to" and r.get("address")),
                   tuple(str(r.get("address")) for r in items if r.get("field") == "cc" and r.get("address")))

    def as_list(self) -> list[dict[str, str]]:
        return [{"field": "to", "address": a} for a in self.to] + [{"field": "cc", "address": a} for a in self.cc]


class RecipientsColumn(TypeDecorator[Recipients]):
    """`Recipients` as JSON; a plain list given is stored as it is and read back typed."""
    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Recipients | list[object] | None, dialect: Dialect) -> object:
        return value.as_list() if isinstance(value, Recipients) else (value if value is not None else [])

    def process_result_value(self, value: object, dialect: Dialect) -> Recipients:
        return Recipients.from_list(value)
