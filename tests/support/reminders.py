"""Shared helpers of the reminder tests: a stored case, the app around a test SMTP sink, one run, the CLI."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import select

from busavvik.commands import case as cli_case
from busavvik.commands import notify as cli_notify
from busavvik.context import AppContext
from config.localzone import STOCKHOLM
from config.rules import Rules
from config.settings import ReminderSettings, Settings, SmtpSettings
from notify import service
from notify.smtp import SmtpSender
from store.cases import add_months
from store.db import Database
from store.models import Case, Message, RawBlob, Reminder
from tests.support.servers.smtpsink import SmtpSink

PNR = "19121212-1212"                    # a valid (Luhn) test personnummer
RECEIVER = "chef.mottagare@socialtjanst.stockholm.se"
SOURCE_ID = "<AM0PR19MB5E0030FF820D35DE5BA8D2D76DC0ABCD@AM0PR7AMB1234.eurprd04.prod.outlook.com>"


def at(day: date, hh: int = 9, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), STOCKHOLM.zone)


def add_case(db: Database, seq: int, received: date, *, subject: str = "Avvikelse BUS – uteblivet SIP-möte",
             receivers: tuple[str, ...] = (RECEIVER,), status: str = "open", responded: bool = False,
             form: dict[str, Any] | None = None, flags: tuple[str, ...] = ()) -> str:
    """A case with its deviation message, as the pipeline would have stored them."""
    case_id = f"BUS-{received.year}-{seq:04d}"
    due = add_months(received, 2)
    data = f"raw {case_id}".encode()
    sha = hashlib.sha256(data).hexdigest()
    with db.session() as s:
        s.add(RawBlob(sha256=sha, size=len(data), data=data, stored_at=at(received)))
        s.flush()
        msg = Message(message_id=SOURCE_ID.strip("<>").lower().replace("abcd", f"{seq:04d}"),
                      message_id_header=SOURCE_ID.replace("ABCD", f"{seq:04d}"), raw_sha256=sha,
                      subject=subject, sender="rapportor@bup.sll.se", date=at(received), first_seen=at(received),
                      kind="deviation", flags=list(flags))
        s.add(msg)
        s.flush()
        case = Case(case_id=case_id, year=received.year, seq=seq, source_message_id=msg.id,
                    first_received=at(received), response_due=due, fingerprint="f", text_fingerprint="t",
                    normalised_subject=subject.lower(), receivers=list(receivers),
                    reporters=["rapportor@bup.sll.se"], status=status, responded=responded, flags=list(flags),
                    form=form or {"event_type": "SIP-möte uteblev", "units_involved": ["BUP Söder"],
                                  "reporter_unit": "BUP Söder"},
                    classification={"principal_relation": "between", "reporter_org_type": "BUP",
                                    "receiver_org_types": ["Socialtjänst"]})
        s.add(case)
        s.flush()
        msg.case_pk = case.id
    return case_id


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[SmtpSink]:
    with SmtpSink(tmp_path / "sink") as server:
        yield server


def make_app(db: Database, rules: Rules, sink: SmtpSink, **reminders: Any) -> AppContext:
    rem = {"enabled": True, "start_date": date(2026, 1, 1), **reminders}
    settings = Settings(database_url=db.url, smtp=SmtpSettings(host="127.0.0.1", port=sink.port, security="none",
                                                               retries=2, timeout=5),
                        reminders=ReminderSettings(**rem))
    app = AppContext(None)
    app.__dict__.update(settings=settings, db=db, rules=rules)
    return app


def run(app: AppContext, when: datetime, respect_window: bool = True) -> service.RemindSummary:
    transport = SmtpSender(app.settings.smtp, backoff=0.01)
    return service.run_reminders(app, when, respect_window, transport=transport)


def rows(db: Database) -> list[Reminder]:
    with db.session() as s:
        return list(s.scalars(select(Reminder).order_by(Reminder.id)))


def cli(app_ctx: AppContext, *more: Any) -> typer.Typer:
    """A typer app with the notify and case commands (and the command modules in `more`) over `app_ctx`."""
    app = typer.Typer()

    @app.callback()
    def _root(ctx: typer.Context) -> None:
        ctx.obj = app_ctx

    for module in (cli_notify, cli_case, *more):
        module.register(app)
    return app
