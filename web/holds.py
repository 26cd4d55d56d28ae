"""The case page's legal hold (POST, CSRF-checked, secretariat or admin): hold the case (with a reason) or release
it (store/holds.py); a held case is never culled."""
from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.responses import Response

from store.caseview import case_by_id
from store.corrections import CorrectionError
from store.holds import hold, release
from web.actions import _back, _run, _who
from web.context import Ctx


def _hold(session: Session, case_id: str, reason: str, who: str) -> None:
    case = case_by_id(session, case_id)
    if case is None:
        raise CorrectionError(f"inget ärende {case_id}")
    hold(session, case, reason, who)


def _release(session: Session, case_id: str, who: str) -> None:
    case = case_by_id(session, case_id)
    if case is None:
        raise CorrectionError(f"inget ärende {case_id}")
    release(session, case, who)


async def set_hold(ctx: Ctx) -> Response:
    case_id = ctx.request.path_params["case_id"].upper()
    back = f"/arenden/{case_id}"
    if ctx.field("action") == "release":
        return await _run(ctx, back, _release, case_id, _who(ctx), done="Spärren är hävd.")
    reason = ctx.field("reason")
    if not reason or len(reason) > 2000:
        return _back(back, error="ange ett skäl för spärren (t.ex. en begäran om allmän handling)")
    return await _run(ctx, back, _hold, case_id, reason, _who(ctx), done="Ärendet är spärrat för gallring.")


ROUTES = [("POST", "/arenden/{case_id}/sparr", "secretariat", set_hold)]
