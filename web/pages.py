"""The pages (GET): Översikt, Ärenden, Ärende, Granska, Årsrapport, Drift; login and logout."""
from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.responses import PlainTextResponse, RedirectResponse, Response

from config.localzone import local_zone
from store import views, views_ops, views_receivers
from store.fields import FIELDS
from web import choices
from web.auth import SessionData, safe_next, same_origin
from web.context import Ctx, forbidden, utcnow

PAGE_SIZE = 50


async def login_form(ctx: Ctx) -> Response:
    if ctx.account is not None:
        return RedirectResponse("/", status_code=303)
    return ctx.page("login.html", next=safe_next(ctx.request.query_params.get("next", "/")), error="")


async def login(ctx: Ctx) -> Response:
    """A token from the login form's cookie must match; a form without one is accepted only same-site."""
    from store.users import authenticate
    from web.auth import csrf_ok

    token = ctx.form.get("csrf") if ctx.form is not None else None
    if (token is not None and not csrf_ok(ctx.session, token)) or not same_origin(ctx.request):
        return forbidden(ctx, "Formuläret saknar en giltig säkerhetstoken (CSRF). Ladda om sidan.")
    name, password = ctx.field("username"), ctx.form.get("password") if ctx.form is not None else ""
    address = ctx.request.client.host if ctx.request.client else "?"
    target = safe_next(ctx.field("next") or "/")
    wait = ctx.web.throttle.wait_seconds(name, address)
    if wait > 0:
        return ctx.page("login.html", status=429, next=target,
                        error=f"För många misslyckade inloggningar. Vänta {int(wait) + 1} sekunder och försök igen.")

    def check() -> Any:
        with ctx.web.db.session() as session:
            return authenticate(session, name, password if isinstance(password, str) else "")
    account = await ctx.db(check)
    if account is None:
        ctx.web.throttle.failed(name, address)
        return ctx.page("login.html", status=401, next=target, error="Fel användarnamn eller lösenord.")
    ctx.web.throttle.succeeded(name)
    response = RedirectResponse(target, status_code=303)
    ctx.web.sessions.save(ctx.request, response, SessionData(user=account.name, stamp=account.stamp, fresh=False))
    ctx.session.fresh = False               # the new session (and a new CSRF token) replaces the login form's
    return response


async def logout(ctx: Ctx) -> Response:
    response = RedirectResponse("/login", status_code=303)
    ctx.web.sessions.clear(response)
    ctx.session.fresh = False
    return response


async def overview(ctx: Ctx) -> Response:
    today = ctx.web.today()
    monday = datetime.combine(today - timedelta(days=today.weekday()), datetime.min.time(), local_zone())

    def read() -> Any:
        with ctx.web.db.session() as session:
            return views_ops.overview(session, today, monday)
    return ctx.page("overview.html", title="Översikt", o=await ctx.db(read), week_start=monday.date())


def _filter(params: Any) -> views.CaseFilter:
    year = params.get("ar", "")
    return views.CaseFilter(year=int(year) if year.isdigit() else None, state=params.get("status", ""),
                            org_type=params.get("org", ""), theme=params.get("tema", ""),
                            relation=params.get("relation", ""), q=params.get("q", "").strip()[:200],
                            confirm=params.get("bekrafta") == "1",
                            sort=params.get("sort", "case_id"), descending=params.get("ordning") != "stigande",
                            received_from=_day(params.get("fran", "")), received_to=_day(params.get("till", "")))


def _day(text: str) -> Any:
    """A date filter as YYYY-MM-DD; anything else is no filter."""
    from datetime import date

    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def _page_number(params: Any) -> int:
    return int(params["sida"]) if params.get("sida", "").isdigit() and int(params["sida"]) > 0 else 1


async def case_list(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    flt, every = _filter(params), params.get("alla") == "1"
    page = _page_number(params)

    def read() -> Any:
        with ctx.web.db.session() as session:
            rows, total = views.case_page(session, flt, ctx.web.today(), 0 if every else (page - 1) * PAGE_SIZE,
                                          None if every else PAGE_SIZE)
            return rows, total, views.case_years(session)
    shown, total, years = await ctx.db(read)
    pages = max(1, -(-total // PAGE_SIZE))
    keep = {k: v for k, v in params.items() if k not in ("sida", "sort", "ordning") and v}
    return ctx.page("cases.html", title="Ärenden", rows=shown, total=total, page=page, pages=pages,
                    every=every, f=flt, years=years, keep=keep, states=views.STATES,
                    org_types=choices.org_types(ctx.web.rules), themes=choices.themes(ctx.web.rules))


async def case_page(ctx: Ctx) -> Response:
    case_id = ctx.request.path_params["case_id"]

    def read() -> Any:
        with ctx.web.db.session() as session:
            detail = views.case_detail(session, case_id, ctx.web.today())
            return detail, views_receivers.receivers_of(session, detail.pk) if detail else None
    detail, receivers = await ctx.db(read)
    if detail is None:
        return ctx.page("error.html", status=404, title="Hittades inte", message=f"Inget ärende {case_id}.")
    return ctx.page("case.html", title=detail.row.case_id, d=detail, r=receivers, c=choices.for_case(ctx.web.rules),
                    text_fields=[f for f in FIELDS if f in choices.TEXT_FIELDS], notice=ctx.request.query_params
                    .get("klart", ""), error=ctx.request.query_params.get("fel", ""))


async def review(ctx: Ctx) -> Response:
    page = _page_number(ctx.request.query_params)

    def read() -> Any:
        with ctx.web.db.session() as session:
            return views_ops.review_page(session, page)
    from web.review import undo_offer

    return ctx.page("review.html", title="Granska", r=await ctx.db(read), undo=undo_offer(ctx.request.query_params),
                    notice=ctx.request.query_params.get("klart", ""), error=ctx.request.query_params.get("fel", ""))


async def report(ctx: Ctx) -> Response:
    from notify.report import yearly_stats
    from notify.report_tables import tables

    year = int(ctx.request.path_params["year"])
    principals = {o.type: o.principal for o in ctx.web.rules.organisations}

    def read() -> Any:
        with ctx.web.db.session() as session:
            return yearly_stats(session, year, principals)
    stats = await ctx.db(read)
    return ctx.page("report.html", title=f"Årsrapport {year}", year=year, tables=tables(stats), stats=stats,
                    charts=[(key, label) for key, (_, label) in CHARTS.items()])


async def report_xlsx(ctx: Ctx) -> Response:
    from notify.report import yearly_stats
    from notify.report_tables import write_workbook

    year = int(ctx.request.path_params["year"])
    principals = {o.type: o.principal for o in ctx.web.rules.organisations}

    def build() -> bytes:
        with ctx.web.db.session() as session:
            stats = yearly_stats(session, year, principals)
        with tempfile.TemporaryDirectory() as tmp:
            return write_workbook(stats, Path(tmp) / "rapport.xlsx").read_bytes()
    return Response(await ctx.db(build), media_type="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet", headers={"content-disposition":
                                                    f'attachment; filename="busavvik-arsrapport-{year}.xlsx"'})


CHARTS = {"rapporterande": ("reporter_chart", "Rapporterande verksamhet"),
          "andel": ("reporter_pie", "Rapporterande verksamhet, andel"),
          "mottagande": ("receiver_chart", "Mottagande verksamhet"), "teman": ("theme_chart", "Teman"),
          "manad": ("month_chart", "Per månad"), "svar": ("answer_chart", "Svar")}


async def report_chart(ctx: Ctx) -> Response:
    """One of the report's charts as PNG (notify/report_charts.py), drawn on request."""
    from notify import report_charts
    from notify.report import yearly_stats

    year, name = int(ctx.request.path_params["year"]), ctx.request.path_params["name"]
    if name not in CHARTS:
        return PlainTextResponse("finns inte", status_code=404)
    principals = {o.type: o.principal for o in ctx.web.rules.organisations}

    def draw() -> bytes:
        with ctx.web.db.session() as session:
            stats = yearly_stats(session, year, principals)
        with tempfile.TemporaryDirectory() as tmp:
            return Path(getattr(report_charts, CHARTS[name][0])(stats, Path(tmp) / "chart.png")).read_bytes()
    return Response(await ctx.db(draw), media_type="image/png")


async def operations(ctx: Ctx) -> Response:
    def read() -> Any:
        with ctx.web.db.session() as session:
            return views_ops.operations(session, utcnow())
    return ctx.page("drift.html", title="Drift", ops=await ctx.db(read))


async def not_found(ctx: Ctx) -> Response:
    return PlainTextResponse("finns inte", status_code=404)


ROUTES = [
    ("GET", "/login", None, login_form), ("POST", "/login", None, login),
    ("GET", "/logout", None, logout), ("POST", "/logout", "reader", logout),
    ("GET", "/", "reader", overview), ("GET", "/arenden", "reader", case_list),
    ("GET", "/arenden/{case_id}", "reader", case_page), ("GET", "/granska", "reader", review),
    ("GET", "/rapport/{year:int}", "reader", report), ("GET", "/rapport/{year:int}.xlsx", "reader", report_xlsx),
    ("GET", "/rapport/{year:int}/diagram/{name}.png", "reader", report_chart),
    ("GET", "/drift", "admin", operations),
]
