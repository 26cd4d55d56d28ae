"""The actions (POST, CSRF-checked, secretariat or admin): link, unlink, close/pause/reopen, set a field, a
receiver (not) expected to answer, an answer's outcome.  Each goes through store/corrections.py or
store/receiver_changes.py, which record it as a Correction (who, when, old → new)."""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from store import corrections, receiver_changes, review, views
from store.corrections import CorrectionError
from web import choices
from web.context import Ctx

MULTI = ("receiver_org_types", "themes")


def _back(path: str, notice: str = "", error: str = "") -> Response:
    query = f"?klart={quote(notice)}" if notice else (f"?fel={quote(error[:300])}" if error else "")
    return RedirectResponse(path + query, status_code=303)


async def _run(ctx: Ctx, back: str, fn: Callable[..., object], *args: object, done: str) -> Response:
    def work() -> None:
        with ctx.web.db.session(write=True) as session:
            fn(session, *args)
    try:
        await ctx.db(work)
    except CorrectionError as exc:
        return _back(back, error=str(exc))
    return _back(back, notice=done)


def _who(ctx: Ctx) -> str:
    assert ctx.account is not None
    return ctx.account.name


async def set_status(ctx: Ctx) -> Response:
    case_id, status = ctx.request.path_params["case_id"].upper(), ctx.field("status")
    back = f"/arenden/{case_id}"
    if status not in corrections.STATUSES:
        return _back(back, error=f"okänd status {status}")
    return await _run(ctx, back, corrections.set_status, case_id, status, _who(ctx), done="Status ändrad.")


async def set_field(ctx: Ctx) -> Response:
    case_id, field = ctx.request.path_params["case_id"].upper(), ctx.field("field")
    back = f"/arenden/{case_id}"
    if field in MULTI and ctx.form is not None:
        value = "; ".join(v.strip() for v in ctx.form.getlist("value") if isinstance(v, str) and v.strip())
    else:
        value = ctx.field("value")
    if len(value) > 10_000:
        return _back(back, error="för lång text")
    if not choices.allowed(ctx.web.rules, field, value):
        return _back(back, error=f"{field}: värdet finns inte bland reglernas val")
    return await _run(ctx, back, corrections.set_field, case_id, field, value, _who(ctx), done="Fältet är ändrat.")


def _by_message(ctx: Ctx, fn: Callable[..., object], *rest: object) -> Callable[[Session], None]:
    """fn(session, message_id, *rest) with the message the form names: `message` (its number in the store,
    as the pages' buttons send it) or `message_id` (a Message-ID typed in)."""
    pk, typed = ctx.field("message"), ctx.field("message_id")

    def work(session: Session) -> None:
        message_id = views.message_id_of(session, int(pk)) if pk.isdigit() else typed
        if not message_id:
            raise CorrectionError("inget sådant meddelande")
        fn(session, message_id, *rest)
    return work


async def link(ctx: Ctx) -> Response:
    """Link a message to a case (from the case page, or from Granska with the case id in the form)."""
    case_id = (ctx.request.path_params.get("case_id") or ctx.field("case_id")).upper()
    back = "/granska" if ctx.field("back") == "/granska" else f"/arenden/{case_id}"
    if not case_id:
        return _back(back, error="ange ett ärende (BUS-ÅÅÅÅ-NNNN)")
    return await _run(ctx, back, _by_message(ctx, corrections.link, case_id, _who(ctx), ctx.web.rules),
                      done=f"Meddelandet är kopplat till {case_id}.")


async def unlink(ctx: Ctx) -> Response:
    case_id = ctx.request.path_params["case_id"].upper()
    return await _run(ctx, f"/arenden/{case_id}", _by_message(ctx, corrections.unlink, _who(ctx), ctx.web.rules),
                      done="Meddelandet är bortkopplat och ligger nu under Granska.")


async def dismiss(ctx: Ctx) -> Response:
    """Granska: a mail that is not about a deviation leaves review (kept; `busavvik review dismiss --undo`)."""
    def work(session: Session, message_id: str) -> None:
        review.dismiss(session, message_id, _who(ctx))
    return await _run(ctx, "/granska", _by_message(ctx, work),
                      done="Mejlet är markerat som inte en avvikelse och visas inte längre här.")


async def set_expected(ctx: Ctx) -> Response:
    """A receiver not expected to answer (sent for information), or expected again."""
    case_id, email, expected = ctx.request.path_params["case_id"].upper(), ctx.field("email"), ctx.field("expected")
    if expected not in ("0", "1"):
        return _back(f"/arenden/{case_id}", error="ange om mottagaren väntas svara")
    return await _run(ctx, f"/arenden/{case_id}", receiver_changes.set_expected, case_id, email, expected == "1",
                      _who(ctx), done="Mottagaren väntas svara igen." if expected == "1" else
                      "Mottagaren väntas inte svara.")


async def set_outcome(ctx: Ctx) -> Response:
    """Confirm or change an answer's outcome (one of the rules' labels)."""
    case_id, label, answer = ctx.request.path_params["case_id"].upper(), ctx.field("outcome"), ctx.field("answer")
    if not label:
        return _back(f"/arenden/{case_id}", error="välj ett utfall")

    def work(session: Session, message_id: str | None) -> None:
        receiver_changes.set_outcome(session, case_id, label, message_id, _who(ctx), ctx.web.rules,
                                     int(answer) if answer.isdigit() else None)
    if answer.isdigit():          # an answer by another route has no message
        return await _run(ctx, f"/arenden/{case_id}", work, None, done="Svarets utfall är sparat.")
    return await _run(ctx, f"/arenden/{case_id}", _by_message(ctx, work), done="Svarets utfall är sparat.")


ROUTES = [
    ("POST", "/arenden/{case_id}/mottagare", "secretariat", set_expected),
    ("POST", "/arenden/{case_id}/utfall", "secretariat", set_outcome),
    ("POST", "/arenden/{case_id}/status", "secretariat", set_status),
    ("POST", "/arenden/{case_id}/falt", "secretariat", set_field),
    ("POST", "/arenden/{case_id}/koppla", "secretariat", link),
    ("POST", "/arenden/{case_id}/koppla-bort", "secretariat", unlink),
    ("POST", "/granska/koppla", "secretariat", link),
    ("POST", "/granska/inte-avvikelse", "secretariat", dismiss),
]
