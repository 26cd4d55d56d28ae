"""The access log's page (admin only, read only): who logged in, failed, logged out, opened which case, when."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import RedirectResponse, Response

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
    ended = ctx.request.query_params.get("avslutade", "")
    notice = f"{int(ended)} inloggningar för {who} avslutade." if ended.isascii() and ended.isdigit() and len(
        ended) < 7 and who else ""
    return ctx.page("access_log.html", title="Åtkomstlogg", rows=rows, total=total, page=page, pages=pages, who=who,
                    events=access_log.EVENTS, notice=notice)


async def end_sessions(ctx: Ctx) -> Response:
    """An admin's "log out everywhere" for one user (a local account or a single sign-on name)."""
    from store import websessions

    who = ctx.field("vem")[:200]

    def end() -> int:
        with ctx.web.db.session(write=True) as session:
            return websessions.end_all(session, who)
    ended = await ctx.db(end) if who else 0
    await ctx.log("sessions_ended", f"{who}: {ended}")
    return RedirectResponse("/atkomstlogg?" + urlencode({"vem": who, "avslutade": str(ended)}), status_code=303)


ROUTES = [("GET", "/atkomstlogg", "admin", access_log_page),
          ("POST", "/atkomstlogg/logga-ut", "admin", end_sessions)]
