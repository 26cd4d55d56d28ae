"""The access log's page (admin only, read only): who logged in, failed, logged out, opened which case, when."""
from __future__ import annotations

from typing import Any

from starlette.responses import Response

from store import access_log
from web.context import Ctx

PAGE_SIZE = 100


async def access_log_page(ctx: Ctx) -> Response:
    raw = ctx.request.query_params.get("sida", "")
    page = int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 6 and int(raw) > 0 else 1
    who = ctx.request.query_params.get("vem", "").strip()[:200]

    def read() -> Any:
        with ctx.web.db.session() as session:
            return access_log.page(session, (page - 1) * PAGE_SIZE, PAGE_SIZE, who)
    rows, total = await ctx.db(read)
    await ctx.log("access_log", f"sida {page}" + (f", {who}" if who else ""))
    pages = max(1, -(-total // PAGE_SIZE))
    return ctx.page("access_log.html", title="Åtkomstlogg", rows=rows, total=total, page=page, pages=pages, who=who,
                    events=access_log.EVENTS)


ROUTES = [("GET", "/atkomstlogg", "admin", access_log_page)]
