"""The Starlette application: routes, security headers, and the login/role/CSRF gate every page passes."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.localzone import local_zone
from config.rules import Rules
from config.settings import Settings
from store.db import Database
from store.users import Account, active_account
from web.auth import SessionData, Sessions, Throttle, csrf_ok, may, secret_key
from web.render import environment

STATIC = Path(__file__).with_name("static")
MAX_BODY = 256 * 1024
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@dataclass
class WebApp:
    """What the handlers share: the store, the settings and rules, sessions, throttle, templates."""
    db: Database
    settings: Settings
    rules: Rules
    sessions: Sessions
    throttle: Throttle = field(default_factory=Throttle)
    today: Callable[[], date] = field(default=lambda: datetime.now(local_zone()).date())
    env: Any = field(default_factory=environment)

    oidc: Any = None                    # web.sso.Oidc when [web.oidc] is set

    def account(self, data: SessionData) -> Account | None:
        if not data.user:
            return None
        if data.sso:                    # the role from today's [web.oidc]: a mapping removed ends the session
            role = self.oidc.settings.role_for(data.user, data.groups) if self.oidc is not None else None
            return Account(data.user, role, "sso") if role else None
        with self.db.session() as session:
            account = active_account(session, data.user)
        return account if account is not None and account.stamp == data.stamp else None


@dataclass
class Ctx:
    """One request past the gate."""
    request: Request
    web: WebApp
    session: SessionData
    account: Account | None
    form: FormData | None = None

    def page(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = self.web.env.get_template(template).render(account=self.account, csrf=self.session.csrf,
                                                          path=self.request.url.path,
                                                          now_year=self.web.today().year,
                                                          sso=self.web.oidc is not None, **values)
        return HTMLResponse(html, status_code=status)

    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""

    async def db(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await run_in_threadpool(fn, *args)


Handler = Callable[[Ctx], Awaitable[Response]]


def forbidden(ctx: Ctx, why: str) -> Response:
    return ctx.page("error.html", status=403, title="Åtkomst nekad", message=why)


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
    from web import actions, pages

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
               [*pages.ROUTES, *actions.ROUTES]]
    app = Starlette(routes=routes)
    app.state.web = web
    return SecurityHeaders(app)


def utcnow() -> datetime:
    return datetime.now(UTC)
