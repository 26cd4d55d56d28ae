"""GET /rapport/{year}/utkast.docx: the yearly report drafted as Word (notify/report_docx.py), for the secretariat
and admins; `?period=2026H1` for a half year.  The same counting as /rapport/{year} and its .xlsx."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.responses import PlainTextResponse, RedirectResponse, Response

from web import messages
from web.context import Ctx

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def draft(ctx: Ctx) -> Response:
    from notify.report import register_for, write_draft
    from notify.report_figures import parse_period

    year = int(ctx.request.path_params["year"])
    asked = ctx.request.query_params.get("period") or str(year)
    try:
        period = parse_period(asked)
    except ValueError:
        return PlainTextResponse("Okänd period: ange till exempel 2026H1.", status_code=400)
    if period.year != year or not 2000 <= year <= 2100:
        return PlainTextResponse("Perioden måste ligga inom rapportåret.", status_code=400)
    settings = ctx.web.settings

    def build() -> bytes:
        with tempfile.TemporaryDirectory() as tmp, ctx.web.db.session() as session:
            out = write_draft(session, period.key, Path(tmp) / "utkast.docx", rules=ctx.web.rules,
                              register=register_for(settings.organisations_path),
                              history_path=settings.history_path or None, zone=settings.local)
            return out.read_bytes()
    return Response(await ctx.db(build), media_type=DOCX, headers={
        "content-disposition": f'attachment; filename="busavvik-rapportutkast-{period.key}.docx"'})


def _back(case_id: str, notice: str = "", error: str = "") -> Response:
    """Back to the quote page with a message by code (web/messages.py), never free text in the URL."""
    assert not notice or notice in messages.NOTICES, notice
    assert not error or error in messages.ERRORS, error
    query = f"?klart={notice}" if notice else (f"?fel={error}" if error else "")
    return RedirectResponse(f"/arenden/{quote(case_id)}/citat{query}", status_code=303)


async def quotes_page(ctx: Ctx) -> Response:
    from parsers.pnr import redact
    from parsers.safetext import shown
    from store.caseview import find_view
    from store.quotes import quotes

    case_id = ctx.request.path_params["case_id"].upper()

    def read() -> Any:
        with ctx.web.db.session() as session:
            view = find_view(session, case_id)
            return (view, quotes(session, case_pk=view.pk)) if view else (None, [])
    view, items = await ctx.db(read)
    if view is None:
        return ctx.page("error.html", status=404, title="Hittades inte", message=f"Inget ärende {case_id}.")
    answers = [shown(redact(x)) for a in view.answers for x in (a.description, a.improvements) if x]
    return ctx.page("quotes.html", title=f"Citat {view.case_id}", case_id=view.case_id, quotes=items,
                    description=shown(redact(view.form.description or "")), answers=answers,
                    notice=messages.notice(ctx.request.query_params), error=messages.error(ctx.request.query_params))


async def _change(ctx: Ctx, case_id: str, work: Any, done: str) -> Response:
    from store.corrections import CorrectionError

    def run() -> None:
        with ctx.web.db.session(write=True) as session:
            work(session)
    try:
        await ctx.db(run)
    except CorrectionError:
        return _back(case_id, error="citat-fel")
    return _back(case_id, notice=done)


async def add(ctx: Ctx) -> Response:
    from notify.report import register_for
    from store.quotes import add_quote

    case_id = ctx.request.path_params["case_id"].upper()
    excerpt, source = ctx.field("excerpt"), ctx.field("source")
    assert ctx.account is not None
    who, register = ctx.account.name, register_for(ctx.web.settings.organisations_path)
    return await _change(ctx, case_id, lambda s: add_quote(s, case_id, excerpt, source, who, register,
                                                           ctx.web.rules), "citat-sparat")


def _quote_id(ctx: Ctx) -> int:
    return int(ctx.request.path_params["quote_id"])


async def approve(ctx: Ctx) -> Response:
    from store.quotes import approve as approve_quote

    assert ctx.account is not None
    who, text = ctx.account.name, ctx.field("text")
    return await _change(ctx, ctx.field("case_id"), lambda s: approve_quote(s, _quote_id(ctx), who, text),
                         "citat-godkant")


async def remove(ctx: Ctx) -> Response:
    from store.quotes import remove as remove_quote

    return await _change(ctx, ctx.field("case_id"), lambda s: remove_quote(s, _quote_id(ctx)),
                         "citat-borttaget")


ROUTES = [("GET", "/rapport/{year:int}/utkast.docx", "secretariat", draft),
          ("GET", "/arenden/{case_id}/citat", "secretariat", quotes_page),
          ("POST", "/arenden/{case_id}/citat", "secretariat", add),
          ("POST", "/citat/{quote_id:int}/godkann", "secretariat", approve),
          ("POST", "/citat/{quote_id:int}/ta-bort", "secretariat", remove)]
