"""`busavvik case receiver`, `case outcome` and `case answer`: a person's decisions on receivers and answers.

Each is recorded with who and when (a `Correction`); a receiver not expected to answer gets no reminders
and no longer keeps the case overdue."""
from __future__ import annotations

import getpass
from typing import Optional

import typer

from busavvik.commands.case import CASE_ARG, WHO_OPT, case_app
from busavvik.console import fail, out
from store.answers import CHANNELS
from store.bounces import replace_address
from store.corrections import CorrectionError
from store.receiver_changes import (
    answer_by_other_route,
    answer_day,
    attribute_by_hand,
    set_expected,
    set_outcome,
    undo_other_route,
)

STATES = {"awaited": "väntar på svar", "answered": "har svarat", "not_expected": "förväntas inte svara",
          "bounced": "studsade"}
ANSWER_OPT = typer.Option(None, "--answer", metavar="MESSAGE_ID", help="The answer's Message-ID.")


@case_app.command("receiver")
def receiver_cmd(ctx: typer.Context, case_id: str = CASE_ARG,
                 email: str = typer.Argument(..., help="The receiver's address (see `busavvik show CASE`)."),
                 not_expected: bool = typer.Option(False, "--not-expected",
                                                   help="Sent for information: no answer expected, no reminders."),
                 expected: bool = typer.Option(False, "--expected", help="Undo --not-expected."),
                 answer: Optional[str] = typer.Option(None, "--answer", metavar="MESSAGE_ID",
                                                      help="Attribute this answer to the receiver (review of a "
                                                           "doubtful attribution)."),
                 replace: Optional[str] = typer.Option(None, "--replace", metavar="NEW",
                                                       help="Byt adress: the receiver is awaited again at NEW "
                                                            "(e.g. after a bounced reminder); the next reminder "
                                                            "goes there."),
                 who: Optional[str] = WHO_OPT) -> None:
    """A receiver of a case: not expected to answer (--not-expected), expected again (--expected), the
    receiver of an answer (--answer MESSAGE_ID), or a new address for it (--replace NEW)."""
    if sum((not_expected, expected, answer is not None, replace is not None)) != 1:
        fail("ange exakt ett av --not-expected, --expected, --answer MESSAGE_ID och --replace NY", 2)
    person = who or getpass.getuser()
    try:
        with ctx.obj.db.session() as session:
            if replace is not None:
                row = replace_address(session, case_id, email, replace, person)
                text = f"{case_id.upper()}: mottagaren {email.strip().lower()} har ny adress {row.email} " \
                       f"(väntar på svar; nästa påminnelse går dit)"
            elif answer is not None:
                old = attribute_by_hand(session, case_id, email, answer, person)
                text = f"{case_id.upper()}: svaret {answer} → {email.lower()} (tidigare {old or 'ingen'})"
            else:
                before, after = set_expected(session, case_id, email, expected, person)
                text = f"{case_id.upper()} {email.lower()}: {STATES[before]} → {STATES[after]}"
    except CorrectionError as exc:
        fail(str(exc))
    out.print(text, markup=False)


@case_app.command("outcome")
def outcome_cmd(ctx: typer.Context, case_id: str = CASE_ARG,
                label: str = typer.Argument(..., help="One of the outcomes in the rules, e.g. \"Delvis löst\"."),
                answer: Optional[str] = ANSWER_OPT, who: Optional[str] = WHO_OPT) -> None:
    """Confirm or set an answer's outcome (needs --answer when the case has several answers)."""
    try:
        with ctx.obj.db.session() as session:
            old, new = set_outcome(session, case_id, label, answer, who or getpass.getuser(), ctx.obj.rules)
    except CorrectionError as exc:
        fail(str(exc))
    text = f"utfall bekräftat: {new}" if old == new else f"utfall: {old or '–'} → {new}"
    out.print(f"{case_id.upper()} {text}", markup=False)


@case_app.command("answer")
def answer_cmd(ctx: typer.Context, case_id: str = CASE_ARG,
               receiver: str = typer.Argument(..., metavar="RECEIVER",
                                              help="The receiver's address (see `busavvik show CASE`)."),
               day: Optional[str] = typer.Option(None, "--date", metavar="D",
                                                 help="The day it answered, e.g. 2026-08-19 or \"19 augusti 2026\"."),
               channel: str = typer.Option("telefon", "--channel",
                                           help="telefon, möte, \"mejl direkt till rapportören\" or annat."),
               note: str = typer.Option("", "--note", help="A short note of what was said."),
               undo: bool = typer.Option(False, "--undo", help="Ångra: remove the receiver's latest answer "
                                                                "recorded this way."),
               who: Optional[str] = WHO_OPT) -> None:
    """An answer by another route (telephone, a meeting, a mail only to the reporter): the receiver counts as
    answered on --date (within two months when that day is by the due date)."""
    person = who or getpass.getuser()
    if not undo and not day:
        fail("ange dagen för svaret med --date, t.ex. --date 2026-08-19", 2)
    try:
        with ctx.obj.db.session() as session:
            if undo:
                what = undo_other_route(session, case_id, receiver, person)
                text = f"{case_id.upper()}: svaret ({what}) är borttaget"
            else:
                answered = answer_by_other_route(session, case_id, receiver, answer_day(day or ""), channel, note,
                                                 person, ctx.obj.rules)
                text = (f"{case_id.upper()} {answered.receiver_email}: svar via {CHANNELS[answered.channel]} "
                        f"{answered.received_date} registrerat")
    except CorrectionError as exc:
        fail(str(exc))
    out.print(text, markup=False)


def register(app: typer.Typer) -> None:
    """The commands are added to `case_app`, which commands/case.py registers; importing is enough."""
