"""`busavvik user add|passwd|disable`: the local accounts of the web pages (argon2 hashes in the store)."""
from __future__ import annotations

import sys

import typer

from busavvik.console import fail, out

user_app = typer.Typer(help="Accounts of the web pages: add, change password, disable, list or end their sessions.",
                       no_args_is_help=True)
NAME_ARG = typer.Argument(..., metavar="NAME", help="The login name, e.g. anna.svensson")
STDIN_OPT = typer.Option(False, "--password-stdin", help="Read the password from the first line of standard input.")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = typer.prompt("Lösenord", hide_input=True)
    if typer.prompt("Upprepa lösenordet", hide_input=True) != first:
        fail("lösenorden är olika")
    return str(first)


def _run(ctx: typer.Context, action: str, name: str, role: str | None = None, password: str = "") -> None:
    from store import users

    try:
        with ctx.obj.db.session() as session:
            if action == "add":
                users.add_user(session, name, role or "", password)
                out.print(f"användaren {name} lades till med rollen {role}")
            elif action == "passwd":
                users.set_password(session, name, password)
                out.print(f"lösenordet för {name} är bytt; dess inloggningar är avslutade")
            elif users.disable_user(session, name):
                out.print(f"användaren {name} är avstängd")
            else:
                out.print(f"användaren {name} var redan avstängd")
    except users.UserError as exc:
        fail(str(exc))


@user_app.command("add")
def add_cmd(ctx: typer.Context, name: str = NAME_ARG,
            role: str = typer.Option(..., "--role", help="reader (reads), secretariat (acts) or admin (also Drift)."),
            password_stdin: bool = STDIN_OPT) -> None:
    """Add an account (the password is stored as an argon2 hash)."""
    _run(ctx, "add", name, role, _password(password_stdin))


@user_app.command("passwd")
def passwd_cmd(ctx: typer.Context, name: str = NAME_ARG, password_stdin: bool = STDIN_OPT) -> None:
    """Set a new password; the account's open sessions end."""
    _run(ctx, "passwd", name, password=_password(password_stdin))


@user_app.command("disable")
def disable_cmd(ctx: typer.Context, name: str = NAME_ARG) -> None:
    """Disable an account: it can no longer log in, and its open sessions end."""
    _run(ctx, "disable", name)


@user_app.command("sessions")
def sessions_cmd(ctx: typer.Context, name: str = NAME_ARG,
                 revoke: bool = typer.Option(False, "--revoke", help="End them (every one, or those of --id)."),
                 session_id: str = typer.Option("", "--id", help="With --revoke: only the session whose id (as "
                                                "listed) starts with this.")) -> None:
    """List the open web sessions of NAME (a local account or a single sign-on name); --revoke ends them at once."""
    from datetime import UTC, datetime

    from store import access_log, websessions
    from web.render import when

    with ctx.obj.db.session(write=revoke) as session:
        if revoke:
            ended = (websessions.end_by_key(session, name, session_id) if session_id
                     else websessions.end_all(session, name))
            access_log.record(session, name, "sessions_ended", at=datetime.now(UTC), target=f"{ended} via CLI")
            out.print(f"{ended} inloggningar för {name} avslutade")
            return
        rows = websessions.of_user(session, name)
    if not rows:
        out.print(f"{name} har inga öppna inloggningar")
    for r in rows:
        kind = "SSO" if r.sso else "lösenord"
        out.print(f"{r.key[:12]}  {kind}  från {r.address or '?'}  inloggad {when(r.created_at)}  "
                  f"senast {when(r.seen_at)}  upphör {when(r.expires_at)}")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
