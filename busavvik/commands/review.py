"""`busavvik review dismiss` and `busavvik case open`: settling the mail listed for review.

A mail "not about a deviation" is kept and hidden from review (`busavvik problems`, the digest's "Behöver
granskas") until the dismissal is undone; a case is opened by hand from a mail whose form cannot be read (a PDF,
a scan) with the fields a person enters.  Both are recorded with who and when (store/review.py)."""
from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Optional

import typer

from busavvik.commands.case import WHO_OPT, case_app
from busavvik.console import fail, out
from store.corrections import CorrectionError

if TYPE_CHECKING:
    from busavvik.context import AppContext
    from store.review import HandEntry

review_app = typer.Typer(help="Settle the mail listed for review: mark a mail as not about a deviation "
                              "(dismiss, reversible).", no_args_is_help=True)
MESSAGE_ARG = typer.Argument(..., metavar="MESSAGE_ID", help="The mail's Message-ID (see `busavvik problems`).")


@review_app.command("dismiss")
def dismiss_cmd(ctx: typer.Context, message_id: str = MESSAGE_ARG,
                undo: bool = typer.Option(False, "--undo", help="Undo: list the mail for review again."),
                who: Optional[str] = WHO_OPT) -> None:
    """Mark an unlinked mail as not about a deviation: kept, hidden from review; --undo lists it again."""
    from store.review import DISMISSED, dismiss

    try:
        with ctx.obj.db.session(write=True) as session:
            old, new = dismiss(session, message_id, who or getpass.getuser(), undo)
    except CorrectionError as exc:
        fail(str(exc))
    if old == new:
        out.print(f"{message_id} är redan markerat som ej avvikelse.", markup=False)
    elif new == DISMISSED:
        out.print(f"{message_id}: ej avvikelse, visas inte längre för granskning "
                  "(ångra med --undo)", markup=False)
    else:
        out.print(f"{message_id}: visas för granskning igen ({new})", markup=False)


@case_app.command("open")
def open_cmd(ctx: typer.Context, message_id: str = MESSAGE_ARG,
             event_type: str = typer.Option(..., "--event-type", help="Section 1: the event type."),
             description: str = typer.Option(..., "--description", help="Section 1: what happened."),
             reported_date: Optional[str] = typer.Option(None, "--reported-date", metavar="YYYY-MM-DD",
                                                         help="The date written on the form (optional)."),
             unit: list[str] = typer.Option([], "--unit", help="Section 2: a unit involved (repeat for each)."),
             proposed_action: Optional[str] = typer.Option(None, "--proposed-action", help="Proposed action."),
             reporter_unit: Optional[str] = typer.Option(None, "--reporter-unit", help="Section 3: the unit."),
             reporter_contact: Optional[str] = typer.Option(None, "--reporter-contact",
                                                            help="Section 3: the contact person."),
             reporter_email: Optional[str] = typer.Option(None, "--reporter-email",
                                                          help="Section 3: the contact person's e-mail."),
             manager_name: Optional[str] = typer.Option(None, "--reporter-manager", help="Section 3: manager."),
             manager_email: Optional[str] = typer.Option(None, "--reporter-manager-email",
                                                         help="Section 3: the manager's e-mail."),
             reporter_org_type: Optional[str] = typer.Option(None, "--reporter-org-type",
                                                             help="Organisation type of the reporting side "
                                                                  "(one of the rules'; default: by the rules)."),
             receiver_org_type: list[str] = typer.Option([], "--receiver-org-type",
                                                         help="Organisation type of a receiving side (repeat; "
                                                              "default: by the rules)."),
             who: Optional[str] = WHO_OPT) -> None:
    """Open a case by hand from a mail whose form cannot be read (a PDF, a scan): the fields as entered,
    receivers from the mail's To:, the mail its source; reminders as for any case."""
    from store.review import HandEntry

    entry = HandEntry(event_type=event_type, description=description, reported_date=reported_date,
                      units_involved=tuple(unit), proposed_action=proposed_action, reporter_unit=reporter_unit,
                      reporter_contact_person=reporter_contact, reporter_email=reporter_email,
                      reporter_manager_name=manager_name, reporter_manager_email=manager_email,
                      reporter_org_type=reporter_org_type, receiver_org_types=tuple(receiver_org_type))
    out.print(_open(ctx.obj, message_id, entry, who or getpass.getuser()), markup=False)


def _open(app: AppContext, message_id: str, entry: HandEntry, who: str) -> str:
    """The case opened by hand from the mail, as one line; a refusal is one red line and exit code 1."""
    from store.review import open_by_hand

    try:
        with app.db.session(write=True) as session:   # a case number is taken
            case = open_by_hand(session, message_id, entry, who, app.rules, app.settings.reminders.due_months)
            return (f"{case.case_id} öppnat från {message_id}; mottagare: {', '.join(case.receivers) or 'inga'}; "
                    f"svar väntas senast {case.response_due.isoformat()}")
    except CorrectionError as exc:
        fail(str(exc))

def register(app: typer.Typer) -> None:
    """`review` here; `case open` is added to `case_app`, which commands/case.py registers."""
    app.add_typer(review_app, name="review")
