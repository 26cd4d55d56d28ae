"""Sessions (signed HttpOnly cookies), CSRF tokens, login throttling and roles."""
from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from config.settings import WebSettings

COOKIE = "busavvik_session"
ROLE_RANK = {"reader": 0, "secretariat": 1, "admin": 2}


def secret_key(web: WebSettings) -> str:
    """The key that signs cookies: from the environment or a file, else a fresh one (logins end at restart)."""
    if web.secret_env and os.environ.get(web.secret_env):
        return os.environ[web.secret_env]
    if web.secret_file:
        with open(web.secret_file, encoding="utf-8") as handle:
            return handle.read().strip()
    return secrets.token_urlsafe(32)


@dataclass
class SessionData:
    """What the cookie holds: the account's name and password stamp once logged in, and the CSRF token."""
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    user: str = ""
    stamp: str = ""
    fresh: bool = True                  # not read from a cookie: it must be set on the response
    sso: bool = False                   # logged in by single sign-on: `user` is the UPN/e-mail, no local account
    groups: tuple[str, ...] = ()        # single sign-on: those of the user's groups that [web.oidc] maps


class Sessions:
    def __init__(self, key: str, max_age_seconds: int, secure: bool) -> None:
        self.key = key
        self._serializer = URLSafeTimedSerializer(key, salt="busavvik-session")
        self.max_age = max_age_seconds
        self.secure = secure

    def load(self, request: Request) -> SessionData:
        cookie = request.cookies.get(COOKIE)
        if cookie:
            try:
                data: Any = self._serializer.loads(cookie, max_age=self.max_age)
                if isinstance(data, dict) and isinstance(data.get("c"), str):
                    groups: list[Any] = data["g"] if isinstance(data.get("g"), list) else []
                    return SessionData(csrf=data["c"], user=str(data.get("u", "")), stamp=str(data.get("s", "")),
                                       fresh=False, sso=data.get("o") is True, groups=tuple(map(str, groups)))
            except BadSignature:
                pass
        return SessionData()

    def save(self, request: Request, response: Response, data: SessionData) -> None:
        content: dict[str, Any] = {"c": data.csrf, "u": data.user, "s": data.stamp}
        if data.sso:
            content |= {"o": True, "g": list(data.groups)}
        value = self._serializer.dumps(content)
        response.set_cookie(COOKIE, value, max_age=self.max_age, path="/", httponly=True, samesite="lax",
                            secure=self.secure or request.url.scheme == "https")

    def clear(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=self.secure)


def csrf_ok(session: SessionData, token: object) -> bool:
    return isinstance(token, str) and bool(token) and not session.fresh and hmac.compare_digest(
        token.encode(), session.csrf.encode())


def same_origin(request: Request) -> bool:
    """False when the browser says the request came from another site (Origin, else Referer)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1].split("/", 1)[0] == host


class Throttle:
    """Failed logins per user name and per client address: after `limit` failures within `window` seconds
    each further try must wait, doubling from `base_wait` up to `window`. A success clears the name's count."""

    def __init__(self, limit: int = 5, address_limit: int = 20, window: float = 900.0, base_wait: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.address_limit, self.window, self.base_wait = limit, address_limit, window, base_wait
        self.clock = clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, moment: float) -> list[float]:
        times = [t for t in self._failures.get(key, []) if moment - t < self.window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def _wait(self, key: str, limit: int, moment: float) -> float:
        times = self._recent(key, moment)
        if len(times) < limit:
            return 0.0
        wait = min(self.base_wait * 2 ** (len(times) - limit), self.window)
        return max(0.0, times[-1] + wait - moment)

    def wait_seconds(self, user: str, address: str) -> float:
        """How long this name or address must still wait before trying again (0: it may try now)."""
        with self._lock:
            moment = self.clock()
            return max(self._wait("u:" + user.casefold(), self.limit, moment),
                       self._wait("a:" + address, self.address_limit, moment))

    def failed(self, user: str, address: str) -> None:
        with self._lock:
            moment = self.clock()
            for key in ("u:" + user.casefold(), "a:" + address):
                self._failures.setdefault(key, []).append(moment)
            if len(self._failures) > 100_000:          # a flood of names: forget the oldest half
                for key in list(self._failures)[:50_000]:
                    del self._failures[key]

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._failures.pop("u:" + user.casefold(), None)


def may(role: str, needed: str) -> bool:
    return ROLE_RANK.get(role, -1) >= ROLE_RANK[needed]


def safe_next(target: str) -> str:
    """Where to go after login: a path on this site only (no //host, no backslash)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"
