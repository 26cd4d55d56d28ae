"""Actions on a selection of a list's rows (POST, CSRF-checked, secretariat or admin): "Pausa markerade" on the
case list (`case_id` once per ticked case) and "Avfärda markerade" in Granska (`message` once per ticked mail,
each marked "Inte en avvikelse").  "Bekräfta föreslagna utfall" for a selection is /arenden/bekrafta-utfall
(web/answer_actions.py).  Each answers with a redirect carrying a message code (web/messages.py)."""
from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from store import corrections, review, views
from store.corrections import CorrectionError
from web import messages
from web.context import Ctx

MOST = 500                                   # rows one selection may hold (a page of "alla på en sida")


def _chosen(ctx: Ctx, name: str) -> list[str]:
    values = ctx.form.getlist(name) if ctx.form is not None else []
    return list(dict.fromkeys(v.strip() for v in values if isinstance(v, str) and v.strip()))[:MOST]


def _to(path: str, notice: str = "", error: str = "") -> Response:
    assert not notice or notice in messages.NOTICES, notice
    assert not error or error in messages.ERRORS, error
    return RedirectResponse(path + (f"?klart={notice}" if notice else f"?fel={error}"), status_code=303)


def _who(ctx: Ctx) -> str:
    assert ctx.account is not None
    return ctx.account.name


async def pause_selection(ctx: Ctx) -> Response:
    """"Pausa markerade": every ticked case paused, in one transaction (all or none)."""
    chosen = [c.upper() for c in _chosen(ctx, "case_id")]
    if not chosen:
        return _to("/arenden", error="valj-arende")

    def work() -> None:
        with ctx.web.db.session(write=True) as session:
            for case_id in chosen:
                corrections.set_status(session, case_id, "paused", _who(ctx))
    try:
        await ctx.db(work)
    except CorrectionError:
        return _to("/arenden", error="ej-sparat")
    return _to("/arenden", notice="pausade")


async def dismiss_selection(ctx: Ctx) -> Response:
    """"Avfärda markerade": every ticked mail marked "Inte en avvikelse", in one transaction (all or none);
    each is then listed under Avfärdade, with its own "Ångra" there."""
    chosen = [pk for pk in _chosen(ctx, "message") if pk.isdigit()]
    if not chosen:
        return _to("/granska", error="valj-mejl")

    def work() -> None:
        with ctx.web.db.session(write=True) as session:
            for pk in chosen:
                found = views.message_id_of(session, int(pk))
                if not found:
                    raise CorrectionError("inget sådant mejl")
                review.dismiss(session, found, _who(ctx))
    try:
        await ctx.db(work)
    except CorrectionError:
        return _to("/granska", error="avfarda-fel")
    return _to("/granska", notice="avfardade")


ROUTES = [
    ("POST", "/arenden/pausa-markerade", "secretariat", pause_selection),
    ("POST", "/granska/avfarda-markerade", "secretariat", dismiss_selection),
]
