"""The actions (POST, CSRF-checked, secretariat or admin): link, unlink, close/pause/reopen, set a field, a
receiver (not) expected to answer, an answer's outcome.  Each goes through store/corrections.py or
store/receiver_changes.py, which record it as a Correction (who, when, old → new).

Every read-modify-write of a case runs with the case's row locked (store/corrections.find_case); a form carries
the case's version as its page showed it, and a save of something someone else changed since is refused
(store/case_version.py).  The answer is a redirect with a message code (web/messages.py), never free text."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from parsers.dates import plausible_year, typed_day
from parsers.outcome import check_label
from store import bounces, case_version, corrections, receiver_changes, views
from store.case_version import StaleError
from store.caseview import case_by_id
from store.corrections import CorrectionError
from store.fields import FIELDS
from store.models import Case, Message
from web import choices, messages
from web.context import Ctx

MULTI = ("receiver_org_types", "themes")
CASE_ID_MAX = 40


class Refused(Exception):
    """An action refused with one of web/messages.ERRORS."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _back(path: str, notice: str = "", error: str = "") -> Response:
    assert not notice or notice in messages.NOTICES, notice
    assert not error or error in messages.ERRORS, error
    query = f"?klart={notice}" if notice else (f"?fel={error}" if error else "")
    return RedirectResponse(path + query, status_code=303)


async def _run(ctx: Ctx, back: str, fn: Callable[..., object], *args: object, done: str,
               failed: str = "ej-sparat") -> Response:
    def work() -> None:
        with ctx.web.db.session(write=True) as session:
            fn(session, *args)
    try:
        await ctx.db(work)
    except Refused as exc:
        return _back(back, error=exc.code)
    except StaleError:
        return _back(back, error="andrat")
    except CorrectionError:
        return _back(back, error=failed)
    return _back(back, notice=done)


def _who(ctx: Ctx) -> str:
    assert ctx.account is not None
    return ctx.account.name


def _case_id(ctx: Ctx) -> str:
    """The case id of the URL (or the form), upper case; an implausible one is never put in a redirect."""
    case_id = (ctx.request.path_params.get("case_id") or ctx.field("case_id")).strip().upper()
    return case_id if len(case_id) <= CASE_ID_MAX and case_id.isascii() and case_id.isprintable() else ""


def _case_path(case_id: str) -> str:
    return f"/arenden/{case_id}" if case_id else "/arenden"


def _locked_case(session: Session, case_id: str) -> Case:
    if not case_id or case_by_id(session, case_id) is None:
        raise Refused("inget-arende")
    return corrections.find_case(session, case_id)


def _shown(ctx: Ctx) -> int | None:
    """The case's version as the form's page showed it (None: the form sent none)."""
    return case_version.parse_version(ctx.field("version"))


async def set_status(ctx: Ctx) -> Response:
    case_id, status = _case_id(ctx), ctx.field("status")
    back = _case_path(case_id)
    if status not in corrections.STATUSES:
        return _back(back, error="okand-status")
    shown = _shown(ctx)

    def work(session: Session) -> None:
        case = _locked_case(session, case_id)
        case_version.refuse_if_changed(session, case.id, shown, "status")
        corrections.set_status(session, case_id, status, _who(ctx))
    return await _run(ctx, back, work, done="status")


def field_value(ctx: Ctx, field: str) -> str:
    """The value a correction form sent, checked; raises Refused.  A date is read as people write it and
    stored as YYYY-MM-DD."""
    if field not in FIELDS:
        raise Refused("okant-falt")
    if field in MULTI and ctx.form is not None:
        value = "; ".join(v.strip() for v in ctx.form.getlist("value") if isinstance(v, str) and v.strip())
    else:
        value = ctx.field("value")
    if len(value) > 10_000:
        raise Refused("for-lang")
    if field == "reported_date" and value:
        day = typed_day(value)
        if day is None:
            raise Refused("datum")
        if not plausible_year(day.year, ctx.web.today()):
            raise Refused("datum-utanfor")
        value = day.isoformat()
    if field == "responded":
        value = {"ja": "true", "nej": "false"}.get(value.lower(), value.lower())
    if not choices.allowed(ctx.web.rules, field, value):
        raise Refused("ja-nej" if field == "responded" else "inte-bland-valen")
    return value


async def set_field(ctx: Ctx) -> Response:
    case_id, field = _case_id(ctx), ctx.field("field")
    back = _case_path(case_id)
    try:
        value = field_value(ctx, field)
    except Refused as exc:
        return _back(back, error=exc.code)
    shown = _shown(ctx)

    def work(session: Session) -> None:
        case = _locked_case(session, case_id)
        case_version.refuse_if_changed(session, case.id, shown, field)
        corrections.set_field(session, case_id, field, value, _who(ctx), ctx.web.rules)
    return await _run(ctx, back, work, done="falt")


def _message(session: Session, ctx: Ctx) -> Message:
    """The message the form names: `message` (its number in the store, as the pages' buttons send it) or
    `message_id` (a Message-ID typed in)."""
    pk, typed = ctx.field("message"), ctx.field("message_id")
    message_id = views.message_id_of(session, int(pk)) if pk.isascii() and pk.isdigit() and len(pk) < 19 \
        else typed
    if not message_id or "\x00" in message_id:
        raise Refused("inget-meddelande")
    try:
        return corrections.find_message(session, message_id)
    except CorrectionError:
        raise Refused("inget-meddelande") from None


def _of_case(session: Session, ctx: Ctx, case: Case) -> Message:
    """The form's message, which must belong to the case of the URL."""
    msg = _message(session, ctx)
    if msg.case_pk != case.id:
        raise Refused("annat-arende")
    return msg


async def link(ctx: Ctx) -> Response:
    """Link a message to a case (from the case page, or from Granska with the case id in the form)."""
    case_id = _case_id(ctx)
    back = "/granska" if ctx.field("back") == "/granska" else _case_path(case_id)
    if not case_id:
        return _back("/granska" if ctx.field("back") == "/granska" else "/arenden", error="ange-arende")
    shown = _shown(ctx)

    def work(session: Session) -> None:
        msg = _message(session, ctx)
        case = _locked_case(session, case_id)
        if msg.id == case.source_message_id or (msg.case is not None and msg.case.source_message_id == msg.id):
            raise Refused("ursprungsmejlet")
        case_version.refuse_if_changed(session, case.id, shown, "link", message_pk=msg.id)
        corrections.link(session, msg.message_id, case_id, _who(ctx), ctx.web.rules)
    return await _run(ctx, back, work, done="kopplat")


async def unlink(ctx: Ctx) -> Response:
    case_id = _case_id(ctx)
    shown = _shown(ctx)

    def work(session: Session) -> None:
        case = _locked_case(session, case_id)
        msg = _of_case(session, ctx, case)
        if msg.id == case.source_message_id:
            raise Refused("ursprungsmejlet")
        case_version.refuse_if_changed(session, case.id, shown, "link", message_pk=msg.id)
        corrections.unlink(session, msg.message_id, _who(ctx), ctx.web.rules)
    return await _run(ctx, _case_path(case_id), work, done="bortkopplat")




async def set_expected(ctx: Ctx) -> Response:
    """A receiver not expected to answer (sent for information), or expected again."""
    case_id, email, expected = _case_id(ctx), ctx.field("email"), ctx.field("expected")
    back = _case_path(case_id)
    if expected not in ("0", "1"):
        return _back(back, error="ange-vantas")
    shown = _shown(ctx)

    def work(session: Session) -> None:
        case = _locked_case(session, case_id)
        row = next((r for r in case.receiver_rows if r.email == email.strip().lower()), None)
        if row is None:
            raise Refused("ingen-mottagare")
        if expected == "0" and row.state == "answered":
            raise Refused("har-svarat")
        case_version.refuse_if_changed(session, case.id, shown, "receiver", receiver=row.email)
        receiver_changes.set_expected(session, case_id, email, expected == "1", _who(ctx))
    return await _run(ctx, back, work, done="vantas" if expected == "1" else "vantas-inte")


async def replace_receiver(ctx: Ctx) -> Response:
    """Byt adress: a receiver (whose reminder bounced) is awaited again at a new address (store/bounces.py)."""
    case_id, email, new = _case_id(ctx), ctx.field("email").strip().lower(), ctx.field("new_email").strip().lower()
    back = _case_path(case_id)
    if not bounces.looks_like_address(new):
        return _back(back, error="ogiltig-adress")
    shown = _shown(ctx)

    def work(session: Session) -> None:
        case = _locked_case(session, case_id)
        row = next((r for r in case.receiver_rows if r.email == email), None)
        if row is None:
            raise Refused("ingen-mottagare")
        if row.state == "answered":
            raise Refused("har-svarat")
        if new == row.email or any(r.email == new for r in case.receiver_rows):
            raise Refused("adress-finns")
        case_version.refuse_if_changed(session, case.id, shown, "receiver_address")
        bounces.replace_address(session, case_id, email, new, _who(ctx))
    return await _run(ctx, back, work, done="ny-adress")


async def set_outcome(ctx: Ctx) -> Response:
    """Confirm or change an answer's outcome (one of the rules' labels)."""
    case_id = _case_id(ctx)
    if not ctx.field("outcome"):
        return _back(_case_path(case_id), error="valj-utfall")
    try:
        label = check_label(ctx.field("outcome"), ctx.web.rules)
    except ValueError:
        return _back(_case_path(case_id), error="okant-utfall")
    shown, answer = _shown(ctx), ctx.field("answer")

    def work(session: Session) -> None:
        case = _locked_case(session, case_id)
        if answer.isdigit():          # an answer by another route has no message
            if not any(a.id == int(answer) for a in case.answer_rows):
                raise Refused("inget-svar")
            receiver_changes.set_outcome(session, case_id, label, None, _who(ctx), ctx.web.rules, int(answer))
            return
        msg = _of_case(session, ctx, case)
        if not any(a.message_pk == msg.id for a in case.answer_rows):
            raise Refused("inget-svar")
        case_version.refuse_if_changed(session, case.id, shown, "outcome", message_pk=msg.id)
        receiver_changes.set_outcome(session, case_id, label, msg.message_id, _who(ctx), ctx.web.rules)
    return await _run(ctx, _case_path(case_id), work, done="utfall")


ROUTES = [
    ("POST", "/arenden/{case_id}/mottagare", "secretariat", set_expected),
    ("POST", "/arenden/{case_id}/byt-adress", "secretariat", replace_receiver),
    ("POST", "/arenden/{case_id}/utfall", "secretariat", set_outcome),
    ("POST", "/arenden/{case_id}/status", "secretariat", set_status),
    ("POST", "/arenden/{case_id}/falt", "secretariat", set_field),
    ("POST", "/arenden/{case_id}/koppla", "secretariat", link),
    ("POST", "/arenden/{case_id}/koppla-bort", "secretariat", unlink),
]
# Granska's "Koppla" and "Inte en avvikelse" (/granska/koppla, /granska/inte-avvikelse) are web/review.py's
