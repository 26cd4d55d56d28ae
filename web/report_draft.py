"""GET /rapport/{year}/utkast.docx: the yearly report drafted as Word (notify/report_docx.py), for the secretariat
and admins; `?period=2026H1` for a half year.  The same counting as /rapport/{year} and its .xlsx."""
from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.responses import PlainTextResponse, Response

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


ROUTES = [("GET", "/rapport/{year:int}/utkast.docx", "secretariat", draft)]
