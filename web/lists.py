"""The follow-up list /att-folja-upp: per awaited receiver of each overdue case, the most overdue first
(store/followup.py, the query the overview's and the digest's numbers come from)."""
from __future__ import annotations

from typing import Any

from starlette.responses import Response

from store.followup import followups
from web.context import Ctx


async def follow_up(ctx: Ctx) -> Response:
    today = ctx.web.today()

    def read() -> Any:
        with ctx.web.db.session() as session:
            return followups(session, today)
    rows = await ctx.db(read)
    return ctx.page("followup.html", title="Att följa upp", rows=rows, cases=len({r.case_id for r in rows}),
                    today=today)


ROUTES = [("GET", "/att-folja-upp", "reader", follow_up)]
