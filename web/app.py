"""The Starlette application: routes, security headers, and the login/role/CSRF gate every page passes."""
from __future__ import annotations

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

STATIC = Path(__file__).with_name("static")
MAX_BODY = 256 * 1024
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def gate(needed: str | None, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Login (redirect to /login), CSRF on every POST and the role `needed`, all checked on the server."""
    async def endpoint(request: Request) -> Response:
        web: WebApp = request.app.state.web
        data = web.sessions.load(request)
        account = await run_in_threadpool(web.account, data)
        ctx = Ctx(request, web, data, account)
        if request.method == "POST":
            if int(request.headers.get("content-length") or 0) > MAX_BODY:
                return PlainTextResponse("för stor begäran", status_code=413)
            ctx.form = await request.form(max_files=0, max_fields=200)
            if not csrf_ok(data, ctx.form.get("csrf")) and needed is not None:
                return forbidden(ctx, "Formuläret saknar en giltig säkerhetstoken (CSRF). Ladda om sidan och "
                                      "försök igen.")
        if needed is not None and account is None:
            if request.method not in ("GET", "HEAD"):
                return forbidden(ctx, "Du är inte inloggad.")
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?" + _query(next=target), status_code=303)
        if needed is not None and account is not None and not may(account.role, needed):
            return forbidden(ctx, "Din roll får inte göra detta.")
        response = await handler(ctx)
        if data.fresh:
            web.sessions.save(request, response, data)
        return response
    return endpoint


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
    from web import actions, lists, pages, review

    secure = settings.web.base_url.startswith("https://")
    web = WebApp(db, settings, rules, Sessions(secret_key(settings.web), int(settings.web.session_hours * 3600),
                                               secure), throttle or Throttle())
    if today is not None:
        web.today = today
    routes = [Route("/healthz", healthz), Mount("/static", StaticFiles(directory=STATIC), name="static")]
    if settings.web.oidc is not None:
        from web import sso

        web.oidc = sso.Oidc(settings.web.oidc, web.sessions.key, secure)
        routes += [Route("/login/sso", gate(None, sso.start)), Route(settings.web.oidc.redirect_path,
                                                                    gate(None, sso.callback))]
    routes += [Route(path, gate(role, handler), methods=[method]) for method, path, role, handler in
               [*review.ROUTES, *lists.ROUTES, *pages.ROUTES, *actions.ROUTES]]     # review's Granska actions first
    app = Starlette(routes=routes)
    app.state.web = web
    return SecurityHeaders(app)

