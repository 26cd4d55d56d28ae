"""The case page's legal hold (POST, CSRF-checked, secretariat or admin): hold the case (with a reason) or release
it (store/holds.py); a held case is never culled."""
from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.responses import Response

from store.caseview import case_by_id
from store.corrections import CorrectionError
from store.holds import hold, release
from web.actions import _back, _case_id, _case_path, _run, _who
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
    case_id = _case_id(ctx)
    back = _case_path(case_id)
    if ctx.field("action") == "release":
        return await _run(ctx, back, _release, case_id, _who(ctx), done="sparr-havd", failed="inget-arende")
    reason = ctx.field("reason")
    if not reason or len(reason) > 2000:
        return _back(back, error="ange-skal")
    return await _run(ctx, back, _hold, case_id, reason, _who(ctx), done="sparrat", failed="inget-arende")


ROUTES = [("POST", "/arenden/{case_id}/sparr", "secretariat", set_hold)]
