"""The actions on answers (POST, CSRF-checked, secretariat or admin), apart from web/actions.py: an answer a
receiver gave by another route (telephone, a meeting, a mail only to the reporter) and its "Ångra", and
"Bekräfta föreslagna" (every suggested outcome of a case, or of a selection of cases, confirmed at once).
Each goes through store/receiver_changes.py, which records it as a Correction (who, when)."""
from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.responses import Response

from store import receiver_changes
from store.answers import CHANNELS
from store.corrections import CorrectionError
from web.actions import _back, _case_id, _case_path, _run, _who
from web.context import Ctx


async def answer_other_route(ctx: Ctx) -> Response:
    """"Registrera svar": the receiver answered by telephone, at a meeting, … on the day given."""
    case_id = _case_id(ctx)
    back = _case_path(case_id)
    email, channel, note = ctx.field("email"), ctx.field("channel"), ctx.field("note")
    if channel not in CHANNELS:
        return _back(back, error="ange-kanal")
    if len(note) > 2000:
        return _back(back, error="for-lang-anteckning")
    try:
        day = receiver_changes.answer_day(ctx.field("date"))
    except CorrectionError:
        return _back(back, error="datum")

    def work(session: Session) -> None:
        receiver_changes.answer_by_other_route(session, case_id, email, day, channel, note, _who(ctx),
                                               ctx.web.rules)
    return await _run(ctx, back, work, done="svar-registrerat")


async def undo_other_route(ctx: Ctx) -> Response:
    """"Ångra": an answer by another route goes; its receiver is awaited again unless another answer settles it."""
    case_id = _case_id(ctx)
    answer = ctx.field("answer")

    def work(session: Session) -> None:
        receiver_changes.undo_other_route(session, case_id, ctx.field("email"), _who(ctx),
                                          int(answer) if answer.isdigit() else None)
    return await _run(ctx, _case_path(case_id), work, done="svar-borttaget")


async def confirm_case(ctx: Ctx) -> Response:
    """"Bekräfta föreslagna" on a case page."""
    case_id = _case_id(ctx)
    return await _confirm(ctx, [case_id], _case_path(case_id))


async def confirm_selection(ctx: Ctx) -> Response:
    """"Bekräfta föreslagna" for a selection of cases (`case_id` given once per case, e.g. from a list's
    checkboxes); back to the list it came from (`back`, a path of this site), else the case list."""
    chosen = [v for v in ctx.form.getlist("case_id") if isinstance(v, str)] if ctx.form is not None else []
    back = ctx.field("back")
    back = back if back.startswith("/") and not back.startswith("//") else "/arenden"
    if not chosen:
        return _back(back.split("?")[0], error="valj-arende")
    return await _confirm(ctx, chosen, back.split("?")[0])


async def _confirm(ctx: Ctx, case_ids: list[str], back: str) -> Response:
    count: list[int] = []

    def work(session: Session) -> None:
        count.append(receiver_changes.confirm_suggested(session, case_ids, _who(ctx)))
    response = await _run(ctx, back, work, done="")
    if count and "fel=" not in response.headers.get("location", ""):
        return _back(back, notice="bekraftade" if count[0] else "inga-forslag")
    return response


ROUTES = [
    ("POST", "/arenden/{case_id}/svar-annat-satt", "secretariat", answer_other_route),
    ("POST", "/arenden/{case_id}/svar-annat-satt/angra", "secretariat", undo_other_route),
    ("POST", "/arenden/{case_id}/bekrafta-utfall", "secretariat", confirm_case),
    ("POST", "/arenden/bekrafta-utfall", "secretariat", confirm_selection),
]
