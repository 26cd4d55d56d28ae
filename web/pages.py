"""The pages (GET): Översikt, Ärenden, Ärende, Granska, Årsrapport, Drift; login and logout."""
from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.responses import PlainTextResponse, RedirectResponse, Response

from parsers.dates import FIRST_PLAUSIBLE_YEAR
from store import case_version, views, views_ops, views_receivers, views_retention
from store.fields import FIELDS
from web import choices, editing, messages
from web.auth import safe_next, same_origin
from web.context import Ctx, forbidden, utcnow

PAGE_SIZE = 50


async def login_form(ctx: Ctx) -> Response:
    if ctx.account is not None:
        return RedirectResponse("/", status_code=303)
    return ctx.page("login.html", next=safe_next(ctx.request.query_params.get("next", "/")), error="")


async def login(ctx: Ctx) -> Response:
    """A token from the login form's cookie must match; a form without one is accepted only same-site. The attempt
    is counted before the password is checked (web/auth.py Throttle); the check runs outside any database session,
    a few at a time."""
    from store import users
    from web.auth import Busy, csrf_ok

    token = ctx.form.get("csrf") if ctx.form is not None else None
    if (token is not None and not csrf_ok(ctx.session, token)) or not same_origin(ctx.request):
        return forbidden(ctx, "Formuläret saknar en giltig säkerhetstoken (CSRF). Ladda om sidan.")
    name, password = ctx.field("username")[:200], ctx.form.get("password") if ctx.form is not None else ""
    password = password if isinstance(password, str) else ""
    target = safe_next(ctx.field("next") or "/")
    throttle = ctx.web.throttle
    if throttle.busy():
        return _busy(ctx, target)
    wait = await ctx.db(throttle.attempt, name, ctx.address)
    if wait > 0:
        await ctx.log("login_failed", "spärrad: för många försök", who=name)
        return ctx.page("login.html", status=429, next=target,
                        error=f"För många misslyckade inloggningar. Vänta {int(wait) + 1} sekunder och försök igen.")

    def stored() -> tuple[str | None, users.Account | None]:
        with ctx.web.db.session() as session:
            return users.login_hash(session, name)
    hashed, account = await ctx.db(stored)
    try:
        right = await throttle.verify(users.verify_password, hashed, password)
    except Busy:
        return _busy(ctx, target)
    if not right or account is None:
        await ctx.log("login_failed", who=name)
        return ctx.page("login.html", status=401, next=target, error="Fel användarnamn eller lösenord.")
    if hashed is not None and users.needs_rehash(hashed):
        def rehash() -> users.Account | None:
            with ctx.web.db.session(write=True) as session:
                return users.rehash(session, name, password)
        account = await ctx.db(rehash) or account
    await ctx.db(throttle.succeeded, name, ctx.address)
    response = RedirectResponse(target, status_code=303)
    if ctx.session.token:                   # logged in already (as anyone): that session ends
        await ctx.db(ctx.web.sessions.end, ctx.session)
    await ctx.db(lambda: ctx.web.sessions.start(ctx.request, response, account.name, stamp=account.stamp,
                                                address=ctx.address))
    ctx.session.fresh = False               # the new session (and a new CSRF token) replaces the login form's
    await ctx.log("login", who=account.name)
    return response


def _busy(ctx: Ctx, target: str) -> Response:
    return ctx.page("login.html", status=503, next=target,
                    error="Inloggningen är hårt belastad just nu. Vänta en stund och försök igen.")


async def logout_form(ctx: Ctx) -> Response:
    """GET /logout ends nothing: it shows the button (a POST with the CSRF token does)."""
    if ctx.account is None:
        return RedirectResponse("/login", status_code=303)
    return ctx.page("logout.html", title="Logga ut")


async def logout(ctx: Ctx) -> Response:
    everywhere = ctx.field("overallt") == "1"
    ended = await ctx.db(ctx.web.sessions.end, ctx.session, everywhere)
    await ctx.log("logout", f"överallt ({ended} inloggningar)" if everywhere else "")
    response = RedirectResponse("/login", status_code=303)
    ctx.web.sessions.clear(response)
    ctx.session.fresh = False
    return response


async def overview(ctx: Ctx) -> Response:
    today = ctx.web.today()
    monday = ctx.web.settings.local.at(today - timedelta(days=today.weekday()))

    def read() -> Any:
        with ctx.web.db.session() as session:
            return views_ops.overview(session, today, monday)
    return ctx.page("overview.html", title="Översikt", o=await ctx.db(read), week_start=monday.date())


class BadQuery(Exception):
    """A number in the query string that is not one (web/pages: a Swedish 400 page, never a 500)."""


def strict_number(params: Any, key: str, low: int, high: int) -> int | None:
    """`key` of the query string as ASCII digits within low..high; None when absent or empty; else BadQuery
    ("²", "٣", a 20-digit number, "-1", " 2")."""
    text = params.get(key, "")
    if text == "":
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(high)) and low <= int(text) <= high):
        raise BadQuery(key)
    return int(text)


def bad_query(ctx: Ctx) -> Response:
    return ctx.page("error.html", status=400, title="Felaktig adress",
                    message="Adressen innehåller ett ogiltigt värde (till exempel år eller sidnummer). "
                            "Gå tillbaka och försök igen.")


def _filter(params: Any) -> views.CaseFilter:
    year = strict_number(params, "ar", 1, 9999)
    return views.CaseFilter(year=year, state=params.get("status", ""),
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
    return strict_number(params, "sida", 1, 10**6) or 1


async def case_list(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    try:
        flt, every = _filter(params), params.get("alla") == "1"
        page = _page_number(params)
    except BadQuery:
        return bad_query(ctx)

    def read() -> Any:
        with ctx.web.db.session() as session:
            rows, total = views.case_page(session, flt, ctx.web.today(), 0 if every else (page - 1) * PAGE_SIZE,
                                          None if every else PAGE_SIZE, ctx.web.settings.local)
            return rows, total, views.case_years(session)
    shown, total, years = await ctx.db(read)
    pages = max(1, -(-total // PAGE_SIZE))
    keep = {k: v for k, v in params.items() if k not in ("sida", "sort", "ordning", "klart", "fel") and v}
    return ctx.page("cases.html", title="Ärenden", rows=shown, total=total, page=page, pages=pages,
                    every=every, f=flt, years=years, keep=keep, states=views.STATES,
                    org_types=choices.org_types(ctx.web.rules), themes=choices.themes(ctx.web.rules),
                    notice=messages.notice(params), error=messages.error(params))


async def case_page(ctx: Ctx) -> Response:
    case_id = ctx.request.path_params["case_id"]

    def read() -> Any:
        with ctx.web.db.session() as session:
            detail = views.case_detail(session, case_id, ctx.web.today(), ctx.web.settings.local)
            if detail is None:
                return None, None, 0, None
            return (detail, views_receivers.receivers_of(session, detail.pk),
                    case_version.version_of(session, detail.pk), views_retention.hold_of(session, case_id))
    detail, receivers, version, hold = await ctx.db(read)
    await ctx.log("case", case_id[:100] if detail is None else detail.row.case_id)
    if detail is None:
        return ctx.page("error.html", status=404, title="Hittades inte", message=f"Inget ärende {case_id}.")
    return ctx.page("case.html", title=detail.row.case_id, d=detail, r=receivers, c=choices.for_case(ctx.web.rules),
                    text_fields=[f for f in FIELDS if f in choices.TEXT_FIELDS], version=version,
                    current=editing.current_values(detail), long_fields=editing.LONG_FIELDS,
                    notice=messages.notice(ctx.request.query_params), error=messages.error(ctx.request.query_params),
                    hold=hold)


async def review(ctx: Ctx) -> Response:
    try:
        page = _page_number(ctx.request.query_params)
    except BadQuery:
        return bad_query(ctx)

    def read() -> Any:
        with ctx.web.db.session() as session:
            return views_ops.review_page(session, page)
    from web.review import undo_offer

    await ctx.log("review", f"sida {page}")
    return ctx.page("review.html", title="Granska", r=await ctx.db(read), undo=undo_offer(ctx.request.query_params),
                    notice=messages.notice(ctx.request.query_params), error=messages.error(ctx.request.query_params))


def _report_year(ctx: Ctx, year: int) -> bool:
    """A year a report can be about: from 1990 (parsers.dates.FIRST_PLAUSIBLE_YEAR) to next year."""
    return FIRST_PLAUSIBLE_YEAR <= year <= ctx.web.today().year + 1


def no_report(ctx: Ctx) -> Response:
    return ctx.page("error.html", status=404, title="Hittades inte",
                    message=f"Det finns ingen årsrapport för det året (välj ett år från {FIRST_PLAUSIBLE_YEAR} "
                            f"till {ctx.web.today().year + 1}).")


async def report(ctx: Ctx) -> Response:
    from notify.report import register_for, yearly_stats
    from notify.report_tables import tables

    year = int(ctx.request.path_params["year"])
    if not _report_year(ctx, year):
        return no_report(ctx)
    principals = {o.type: o.principal for o in ctx.web.rules.organisations}

    def read() -> Any:
        with ctx.web.db.session() as session:
            return yearly_stats(session, year, principals, rules=ctx.web.rules,
                                register=register_for(ctx.web.settings.organisations_path),
                                zone=ctx.web.settings.local)
    stats = await ctx.db(read)
    return ctx.page("report.html", title=f"Årsrapport {year}", year=year, tables=tables(stats), stats=stats,
                    charts=[(key, label) for key, (_, label) in CHARTS.items()])


async def report_xlsx(ctx: Ctx) -> Response:
    from notify.report import register_for, yearly_stats
    from notify.report_tables import write_workbook

    year = int(ctx.request.path_params["year"])
    if not _report_year(ctx, year):
        return no_report(ctx)
    principals = {o.type: o.principal for o in ctx.web.rules.organisations}

    def build() -> bytes:
        with ctx.web.db.session() as session:
            stats = yearly_stats(session, year, principals, rules=ctx.web.rules,
                                register=register_for(ctx.web.settings.organisations_path),
                                zone=ctx.web.settings.local)
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
    from notify.report import register_for, yearly_stats

    year, name = int(ctx.request.path_params["year"]), ctx.request.path_params["name"]
    if name not in CHARTS or not _report_year(ctx, year):
        return PlainTextResponse("finns inte", status_code=404)
    principals = {o.type: o.principal for o in ctx.web.rules.organisations}

    def draw() -> bytes:
        with ctx.web.db.session() as session:
            stats = yearly_stats(session, year, principals, rules=ctx.web.rules,
                                register=register_for(ctx.web.settings.organisations_path),
                                zone=ctx.web.settings.local)
        with tempfile.TemporaryDirectory() as tmp:
            return Path(getattr(report_charts, CHARTS[name][0])(stats, Path(tmp) / "chart.png")).read_bytes()
    return Response(await ctx.db(draw), media_type="image/png")


async def operations(ctx: Ctx) -> Response:
    def read() -> Any:
        with ctx.web.db.session() as session:
            return (views_ops.operations(session, utcnow()),
                    views_retention.retention_state(session, ctx.web.settings.retention))
    ops, retention = await ctx.db(read)
    return ctx.page("drift.html", title="Drift", ops=ops, retention=retention)


async def not_found(ctx: Ctx) -> Response:
    return PlainTextResponse("finns inte", status_code=404)


ROUTES = [
    ("GET", "/login", None, login_form), ("POST", "/login", None, login),
    ("GET", "/logout", None, logout_form), ("POST", "/logout", "reader", logout),
    ("GET", "/", "reader", overview), ("GET", "/arenden", "reader", case_list),
    ("GET", "/arenden/{case_id}", "reader", case_page), ("GET", "/granska", "reader", review),
    ("GET", "/rapport/{year:int}", "reader", report), ("GET", "/rapport/{year:int}.xlsx", "reader", report_xlsx),
    ("GET", "/rapport/{year:int}/diagram/{name}.png", "reader", report_chart),
    ("GET", "/drift", "admin", operations),
]
