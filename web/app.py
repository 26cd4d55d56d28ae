"""The Starlette application: routes, security headers, and the login/role/CSRF gate every page passes."""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.rules import Rules
from config.settings import Settings
from store.db import Database
from web.auth import Sessions, Throttle, csrf_ok, may, secret_key
from web.context import Ctx, Handler, WebApp, forbidden
from web.render import environment

STATIC = Path(__file__).with_name("static")
MAX_BODY = 256 * 1024
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def gate(needed: str | None, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Login (redirect to /login), the role `needed`, then (only then) the form and its CSRF token on every POST,
    all checked on the server."""
    async def endpoint(request: Request) -> Response:
        web: WebApp = request.app.state.web
        data = await run_in_threadpool(web.sessions.load, request)
        account = await run_in_threadpool(web.account, data)
        ctx = Ctx(request, web, data, account)
        if not _clean(request.url.path, *request.query_params.values(),
                      *(v for v in request.path_params.values() if isinstance(v, str))):
            return bad_input(ctx)
        if needed is not None and account is None:
            if request.method not in ("GET", "HEAD"):
                return forbidden(ctx, "Du är inte inloggad.")
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?" + _query(next=target), status_code=303)
        if needed is not None and account is not None and not may(account.role, needed):
            return forbidden(ctx, "Din roll får inte göra detta.")
        if request.method == "POST":
            if not await read_body(request):
                return PlainTextResponse("för stor begäran", status_code=413)
            ctx.form = await request.form(max_files=0, max_fields=200)
            if not _clean(*(v for v in ctx.form.values() if isinstance(v, str))):
                return bad_input(ctx)
            if not csrf_ok(data, ctx.form.get("csrf")) and needed is not None:
                return forbidden(ctx, "Formuläret saknar en giltig säkerhetstoken (CSRF). Ladda om sidan och "
                                      "försök igen.")
        response = await handler(ctx)
        if data.fresh:
            web.sessions.save(request, response, data)
        return response
    return endpoint


async def read_body(request: Request) -> bool:
    """Read the body, counting it as it arrives (chunked too): False, and nothing more read, once it passes
    MAX_BODY. The body is kept for the form parser."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        return False
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_BODY:
            return False
        chunks.append(chunk)
    request._body = b"".join(chunks)            # what Request.form() reads instead of the stream
    return True
def _clean(*texts: str) -> bool:
    """No NUL byte (PostgreSQL takes none in a text) and no lone surrogate (not UTF-8) in any of texts."""
    return not any("\x00" in t or not t.isascii() and _SURROGATE.search(t) for t in texts)


_SURROGATE = re.compile("[\ud800-\udfff]")


def bad_input(ctx: Ctx) -> Response:
    """Input no page takes (issue 25 L7): a Swedish 400, never a 500 from the database."""
    return ctx.page("error.html", status=400, title="Ogiltig begäran",
                    message="Begäran innehåller tecken som inte kan tas emot (till exempel ett nolltecken). "
                            "Gå tillbaka och försök igen.")


def _query(**values: str) -> str:
    from urllib.parse import urlencode
    return urlencode(values)


class SecurityHeaders:
    """CSP without inline script, no framing, no caching of pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                headers += [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
                            (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
                            (b"cache-control", b"max-age=3600" if static else b"no-store")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def create_app(db: Database, settings: Settings, rules: Rules, throttle: Throttle | None = None,
               today: Callable[[], date] | None = None) -> ASGIApp:
    from web import actions, answer_actions, audit, bulk, holds, lists, pages, report_draft, review

    secure = settings.web.base_url.startswith("https://")
    sessions = Sessions(secret_key(settings.web), int(settings.web.session_hours * 3600), secure, db,
                        idle_seconds=int(settings.web.session_idle_minutes * 60))
    throttle = throttle or Throttle()
    if throttle.db is None:
        throttle.db = db
    rules = rules.with_local(settings.local)
    web = WebApp(db, settings, rules, sessions, throttle, today=today or settings.local.today,
                 env=environment(settings.local))
    routes = [Route("/healthz", healthz), Mount("/static", StaticFiles(directory=STATIC), name="static")]
    if settings.web.oidc is not None:
        from web import sso

        web.oidc = sso.Oidc(settings.web.oidc, web.sessions.key, secure)
        routes += [Route("/login/sso", gate(None, sso.start)), Route(settings.web.oidc.redirect_path,
                                                                    gate(None, sso.callback))]
    routes += [Route(path, gate(role, handler), methods=[method]) for method, path, role, handler in
               [*bulk.ROUTES, *review.ROUTES, *lists.ROUTES, *pages.ROUTES, *actions.ROUTES,   # Granska first
                *answer_actions.ROUTES, *audit.ROUTES, *holds.ROUTES, *report_draft.ROUTES]]
    app = Starlette(routes=routes)
    app.state.web = web
    return SecurityHeaders(app)

