"""The top-level commands and the modules that hold them: a command's module is imported only when it runs.

`busavvik --help` lists the commands from this table without importing them (SQLAlchemy, Alembic, python-docx,
matplotlib … cost ~0.5 s at every start), and `busavvik rules check` loads the rules commands only.
tests/test_entry_point.py checks that the table and the modules agree.
"""
from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

# name: (modules whose register() adds it, in this order; its one-line help as `--help` lists it)
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "import": (("busavvik.commands.import_",),
               "Import mail files. Idempotent: importing the same mail again adds nothing."),
    "overdue": (("busavvik.commands.data",),
                "Cases without an answer whose due date (first receipt + 2 months) is before the given day."),
    "show": (("busavvik.commands.data",),
             "One case: its fields, its thread and which rule linked each message (personnummer hidden)."),
    "problems": (("busavvik.commands.data",),
                 "Messages with problems, unlinked mail that needs review, and mail the server would not deliver."),
    "cases": (("busavvik.commands.data",),
              "All cases: received, reporter → receivers, answered, and the messages linked to each (rule)."),
    "poll": (("busavvik.commands.worker",),
             "Poll every configured mailbox once: fetch new mail read-only, store, parse and link it."),
    "run": (("busavvik.commands.worker",),
            "Run the worker: poll every `worker.poll_minutes`, remind and send the digest on schedule."),
    "status": (("busavvik.commands.worker",), "Each mailbox's last successful poll, cursors, errors and counts; "
                                         "whether the worker is alive; reminders."),
    "reparse": (("busavvik.commands.reparse",),
                "Re-parse stored raw mail with the current rules and show what changes (field, old → new)."),
    "report": (("busavvik.commands.report",),
               "The annual report of one year: the .xlsx workbook, optionally its charts and the Word draft."),
    "remind": (("busavvik.commands.notify",),
               "Send the reminders due on that day (as if inside the sending window). Needs reminders.enabled."),
    "remind-resolve": (("busavvik.commands.notify",),
                       "Settle a reminder left unknown/failed (after checking the sent mail): --sent or --resend."),
    "digest": (("busavvik.commands.notify",),
               "The weekly digest for the secretariat (Swedish HTML with a plain-text alternative)."),
    "export": (("busavvik.commands.data",), "Export data as JSON or CSV on standard output."),
    "rules": (("busavvik.commands.rules",), "Try the rules file on a form or a mail."),
    "case": (("busavvik.commands.case", "busavvik.commands.corrections", "busavvik.commands.receivers",
              "busavvik.commands.review", "busavvik.commands.holds"),
             "An admin's decisions on a case: close, pause, reopen, set a field, link a message, a receiver, "
             "an outcome, open one by hand."),
    "review": (("busavvik.commands.review",),
               "Settle the mail listed for review: mark a mail as not about a deviation (dismiss, reversible)."),
    "user": (("busavvik.commands.user",),
             "Accounts of the web pages: add, change password, disable, list or end their sessions."),
    "audit": (("busavvik.commands.audit",),
              "The access log: who logged in, failed, logged out and opened which case, newest first."),
    "retention": (("busavvik.commands.retention",),
                  "Culling (gallring) per owner: plan, apply a decision, verify, purge personnummer."),
    "person": (("busavvik.commands.person",),
               "Everything held about one person (a register extract); --erase pseudonymises where allowed."),
    "web": (("busavvik.commands.web",),
            "Serve the web pages: case list, case page, review, report and operations (log in with `user add`)."),
}


def load(name: str) -> Any:
    """The real command `name`, its modules imported now."""
    app = typer.Typer(add_completion=False)
    app.callback()(_no_options)                       # a group even when a module registers one command
    for module in COMMANDS[name][0]:
        importlib.import_module(module).register(app)
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    return group.commands[name]


def _no_options() -> None:
    """Placeholder callback."""


class LazyGroup(TyperGroup):
    """Lists the commands of COMMANDS; imports a command's module only when that command is run."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, (_, short) in COMMANDS.items():
            self.commands[name] = TyperCommand(name, help=short, short_help=short)

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name, cmd, rest = super().resolve_command(ctx, args)
        if name in COMMANDS:
            cmd = load(name)
        return name, cmd, rest
