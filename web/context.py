"""What every handler is handed: the application's shared state (WebApp) and one request past the gate (Ctx)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from config.localzone import STOCKHOLM
from config.rules import Rules
from config.settings import Settings
from store.db import Database
from store.users import Account, active_account
from web.auth import SessionData, Sessions, Throttle
from web.render import environment


@dataclass
class WebApp:
    """What the handlers share: the store, the settings and rules, sessions, throttle, templates."""
    db: Database
    settings: Settings
    rules: Rules
    sessions: Sessions
    throttle: Throttle = field(default_factory=Throttle)
    today: Callable[[], date] = field(default=STOCKHOLM.today)    # create_app: today in worker.timezone
    env: Any = field(default_factory=environment)

    oidc: Any = None                    # web.sso.Oidc when [web.oidc] is set
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def log(self, who: str, event: str, target: str = "", address: str = "") -> None:
        """Blocking: one row of the access log (store/access_log.py)."""
        from store import access_log

        with self.db.session(write=True) as session:
            access_log.record(session, who, event, at=self.clock(), target=target, address=address)

    def account(self, data: SessionData) -> Account | None:
        if not data.user:
            return None
        if data.sso:                    # the role from today's [web.oidc]: a mapping removed ends the session
            name = data.user if data.stamp == "sso-name" else ""     # web/sso.py: only a bound name has a role
            role = self.oidc.settings.role_for(name, data.groups) if self.oidc is not None else None
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

    @property
    def address(self) -> str:
        """The client's address (uvicorn takes it from X-Forwarded-For only for web.trusted_proxies)."""
        return self.request.client.host if self.request.client else "?"

    async def log(self, event: str, target: str = "", who: str | None = None) -> None:
        name = who if who is not None else (self.account.name if self.account is not None else "")
        await run_in_threadpool(self.web.log, name, event, target, self.address)


Handler = Callable[[Ctx], Awaitable[Response]]


def forbidden(ctx: Ctx, why: str) -> Response:
    return ctx.page("error.html", status=403, title="Åtkomst nekad", message=why)


def utcnow() -> datetime:
    return datetime.now(UTC)
