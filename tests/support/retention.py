"""A store of several years for the retention tests: deviations with answers in 2023, 2024 and 2025, some seen in
both secretariat mailboxes, some in one; a newsletter; each deviation's description carries a unique phrase
(UNIKFRAS…) that must leave the database file once it is culled. Fixed dates only."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import typer
from openpyxl import load_workbook
from sqlalchemy import select

from config.rules import Rules
from config.settings import RetentionRule, RetentionSettings
from ingest.types import RawMessage
from notify.report import write_report, yearly_stats
from pipeline.batch import Pipeline
from store.db import Database
from store.models import Message
from tests.support.corpus import _answer, _form
from tests.support.formbuilder import build_form
from tests.support.mailbuilder import SECRETARIAT, exchange_id, make_mail

STORSTHLM_BOX, HSF_BOX = "storsthlm", "hsf"
YEARS = (2023, 2024, 2025)
AS_OF = date(2026, 6, 1)
# hsf: a year from receipt; storsthlm: 1000 days (a 2023 mail may go, a 2024 one not yet).
SETTINGS = RetentionSettings(
    rules=(RetentionRule(HSF_BOX, "RS 2026-0123", raw_mail_days=365, free_text_days=365, contacts_days=365,
                         other_mail_days=30, counted_from="received", archive_law=True),
           RetentionRule(STORSTHLM_BOX, "Storsthlm 2026/45", raw_mail_days=1000, free_text_days=1000,
                         contacts_days=1000, other_mail_days=30, counted_from="received")),
    report_adopted_by="03-31")


@dataclass
class Store:
    db: Database
    phrases: dict[str, str] = field(default_factory=dict)      # label → its unique phrase
    boxes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    case_ids: dict[str, str] = field(default_factory=dict)     # label → its case id
    messages: dict[str, int] = field(default_factory=dict)     # label → its deviation mail's pk


def phrase(label: str) -> str:
    return f"UNIKFRAS{label.upper()}"


def _mails(label: str, year: int, month: int) -> tuple[bytes, bytes]:
    reporter, receiver = f"eva.{label}@farsta.stockholm.se", f"per.{label}@sll.se"
    values = _form(reporter, "Farsta stadsdelsförvaltning, socialtjänsten", ["BUP Farsta"],
                   "Uteblivet deltagande vid SIP-möte", f"SIP-kallelse skickades {phrase(label)} men BUP uteblev",
                   date(year, month, 10))
    mid, when = exchange_id(label), datetime(year, month, 10, 9, 0, tzinfo=timezone.utc)
    deviation = make_mail(subject="BUS-avvikelse", sender=reporter, to=[receiver], cc=list(SECRETARIAT), when=when,
                          message_id=mid, thread=f"{label}:BUS", body=f"Hej,\n\n{phrase(label)} i brödtexten.\n",
                          attachments=[("Avvikelseblankett BUS.docx", build_form(values))])
    answer = make_mail(subject="SV: BUS-avvikelse", sender=receiver, to=[reporter], cc=list(SECRETARIAT),
                       when=when.replace(day=20), message_id=exchange_id(label + "-svar"), in_reply_to=mid,
                       references=[mid], thread=f"{label}:BUS", thread_replies=1,
                       attachments=[("svar.docx", build_form(_answer(values, f"Svar {phrase(label)}-SVAR",
                                                                     receiver, "BUP Farsta",
                                                                     date(year, month, 20))))])
    return deviation, answer


def build_store(db: Database, rules: Rules) -> Store:
    store = Store(db)
    raws: list[RawMessage] = []
    for year in YEARS:
        for label, boxes in ((f"d{year}a", (STORSTHLM_BOX, HSF_BOX)), (f"d{year}b", (HSF_BOX,))):
            store.phrases[label], store.boxes[label] = phrase(label), boxes
            for data in _mails(label, year, 9 if year == 2025 else 3):
                raws += [RawMessage(box, "INBOX", data) for box in boxes]
    news = make_mail(subject="Nyhetsbrev", sender="info@example.org", to=[SECRETARIAT[0]],
                     when=datetime(2024, 5, 2, 9, tzinfo=timezone.utc), body=f"Inbjudan {phrase('news')}")
    store.phrases["news"] = phrase("news")
    raws.append(RawMessage(STORSTHLM_BOX, "INBOX", news))
    with Pipeline(db, rules, workers=1) as pipeline:
        pipeline.ingest(raws)
    with db.session() as session:
        for label, text in store.phrases.items():
            message = session.scalars(select(Message).where(Message.body_excerpt.contains(text))).one()
            store.messages[label] = message.id
            if message.case is not None:
                store.case_ids[label] = message.case.case_id
    return store


def context(db: Database, rules: Rules, settings: RetentionSettings = SETTINGS) -> SimpleNamespace:
    return SimpleNamespace(db=db, rules=rules, settings=SimpleNamespace(retention=settings))


def cli(db: Database, rules: Rules, *modules: Any, settings: RetentionSettings = SETTINGS) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _ctx(ctx: typer.Context) -> None:
        ctx.obj = context(db, rules, settings)

    for module in modules:
        module.register(app)
    return app


def report_cells(db: Database, year: int, folder: Path, name: str) -> list[list[Any]]:
    """Every cell of the year's report workbook, sheet by sheet."""
    with db.session() as session:
        stats = yearly_stats(session, year)
    path = write_report(stats, folder / f"{name}-{year}.xlsx")[0]
    book = load_workbook(path)
    return [[cell.value for row in ws.iter_rows() for cell in row] for ws in book.worksheets]
