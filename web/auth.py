"""Sessions (server-side rows; the HttpOnly cookie holds only a signed random id), CSRF tokens, the login
throttle (counted in the store before the password is checked) and roles."""
from __future__ import annotations

import asyncio
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from config.settings import WebSettings
from store import login_attempts, websessions
from store.db import Database

COOKIE = "busavvik_session"
ROLE_RANK = {"reader": 0, "secretariat": 1, "admin": 2}
MIN_SECRET = 32                      # characters of the key that signs cookies
T = TypeVar("T")


class SecretError(Exception):
    """The key that signs cookies is too weak; the message (Swedish) says what to do."""


def check_secret(key: str) -> str:
    if len(key) < MIN_SECRET or len(set(key)) < 12:
        raise SecretError(f"hemligheten som signerar inloggningskakorna är för svag: den ska ha minst {MIN_SECRET} "
                          "tecken och många olika tecken (skapa en med `python3 -c \"import secrets; "
                          "print(secrets.token_urlsafe(32))\"`)")
    return key


def secret_key(web: WebSettings) -> str:
    """The key that signs cookies: from the environment or a file (its strength checked), else a fresh one
    (logins end at restart)."""
    if web.secret_env and os.environ.get(web.secret_env):
        return check_secret(os.environ[web.secret_env])
    if web.secret_file:
        with open(web.secret_file, encoding="utf-8") as handle:
            return check_secret(handle.read().strip())
    return secrets.token_urlsafe(32)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class SessionData:
    """One request's session: logged in (`token` names its row) or not (only a CSRF token for the login form)."""
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    user: str = ""
    stamp: str = ""
    fresh: bool = True                  # not read from a cookie: it must be set on the response
    sso: bool = False                   # logged in by single sign-on: `user` is the bound name, no local account
    groups: tuple[str, ...] = ()        # single sign-on: those of the user's groups that [web.oidc] maps
    token: str = ""                     # the random id in the cookie (its SHA-256 is the row's key)


class Sessions:
    """Cookies name rows of web_session (store/websessions.py); an anonymous cookie holds only a CSRF token."""

    def __init__(self, key: str, max_age_seconds: int, secure: bool, db: Database | None = None,
                 idle_seconds: int = 3600, clock: Callable[[], datetime] = utcnow) -> None:
        self.key = key
        self._serializer = URLSafeTimedSerializer(key, salt="busavvik-session")
        self.max_age, self.idle, self.secure, self.db, self.clock = max_age_seconds, idle_seconds, secure, db, clock

    def load(self, request: Request) -> SessionData:
        """Blocking (reads the store): call it in a thread."""
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return SessionData()
        try:
            data: Any = self._serializer.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return SessionData()
        if isinstance(data, dict) and isinstance(data.get("i"), str) and self.db is not None:
            now, idle = self.clock(), timedelta(seconds=self.idle)
            with self.db.session() as session:                      # a read: no write lock on SQLite
                live = websessions.peek(session, data["i"])
            if live is None or websessions.stale(live, now, idle):  # ended, or to end / to mark as seen
                with self.db.session(write=True) as session:
                    live = websessions.load(session, data["i"], now=now, idle=idle)
            if live is None:
                return SessionData()
            return SessionData(csrf=live.csrf, user=live.user, stamp=live.stamp, fresh=False, sso=live.sso,
                               groups=live.groups, token=data["i"])
        if isinstance(data, dict) and isinstance(data.get("c"), str):
            return SessionData(csrf=data["c"], fresh=False)
        return SessionData()

    def _set(self, request: Request, response: Response, content: dict[str, str]) -> None:
        response.set_cookie(COOKIE, self._serializer.dumps(content), max_age=self.max_age, path="/", httponly=True,
                            samesite="lax", secure=self.secure or request.url.scheme == "https")

    def save(self, request: Request, response: Response, data: SessionData) -> None:
        """The anonymous cookie (a CSRF token for the login form)."""
        self._set(request, response, {"c": data.csrf})

    def start(self, request: Request, response: Response, user: str, *, stamp: str = "", sso: bool = False,
              groups: tuple[str, ...] = (), address: str = "") -> SessionData:
        """Blocking: a new session row (a new id and CSRF token) and its cookie."""
        assert self.db is not None
        with self.db.session(write=True) as session:
            websessions.cull(session, self.clock(), timedelta(seconds=self.idle))
            token, live = websessions.create(session, user, now=self.clock(), lifetime=timedelta(
                seconds=self.max_age), address=address, stamp=stamp, sso=sso, groups=groups)
        self._set(request, response, {"i": token})
        return SessionData(csrf=live.csrf, user=user, stamp=stamp, fresh=False, sso=sso, groups=groups, token=token)

    def end(self, data: SessionData, everywhere: bool = False) -> int:
        """Blocking: delete this session's row (or every session of its user)."""
        if self.db is None or not data.token:
            return 0
        with self.db.session(write=True) as session:
            return websessions.end_all(session, data.user) if everywhere else int(websessions.end(session,
                                                                                                  data.token))

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


class Busy(Exception):
    """Too many password checks wait already: the login is refused at once (503)."""


class Throttle:
    """Failed logins per (user name, client address) and per client address, counted in the store: each attempt
    is checked and counted under a row lock before its password is checked, so parallel guesses are all counted
    and a restart forgets nothing. After `limit` failures of a name from an address (or `address_limit` from an
    address) within `window` seconds each further try must wait, doubling from `base_wait` up to `window`. The
    right password from an address that has not failed is never held up by another address's failures.

    Password checks (argon2) run in a pool of their own, `verifications` at a time, outside any database
    session; when `queue` more wait, a login is refused at once."""

    def __init__(self, limit: int = 5, address_limit: int = 20, window: float = 900.0, base_wait: float = 30.0,
                 clock: Callable[[], float] = time.time, db: Database | None = None, verifications: int = 2,
                 queue: int = 32) -> None:
        self.limit, self.address_limit, self.window, self.base_wait = limit, address_limit, window, base_wait
        self.clock, self.db = clock, db
        self.verifications, self.queue = verifications, queue
        self._pool = ThreadPoolExecutor(max_workers=verifications, thread_name_prefix="argon2")
        self._waiting = 0
        self._attempts = 0
        self._lock = threading.Lock()

    @staticmethod
    def _keys(user: str, address: str) -> tuple[str, str]:
        return "n:" + user.strip().casefold()[:200] + "|" + address[:100], "a:" + address[:100]

    def attempt(self, user: str, address: str) -> float:
        """Blocking. 0: the attempt is counted (as a failure until `succeeded`), check the password; else the
        seconds this name from this address, or this address, must still wait."""
        assert self.db is not None
        pair, whole = self._keys(user, address)
        with self._lock:
            self._attempts += 1
            cull = self._attempts % 200 == 1
        with self.db.session(write=True) as session:
            if cull:
                login_attempts.cull(session, self.clock() - self.window)
            return login_attempts.attempt(session, {pair: self.limit, whole: self.address_limit}, self.clock(),
                                          self.base_wait, self.window)

    def succeeded(self, user: str, address: str) -> None:
        """Blocking: the name from this address starts over; the address gets its attempt back."""
        assert self.db is not None
        pair, whole = self._keys(user, address)
        with self.db.session(write=True) as session:
            login_attempts.succeeded(session, pair, [whole])

    def busy(self) -> bool:
        return self._waiting >= self.verifications + self.queue

    async def verify(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) in the password-check pool; Busy when too many wait already."""
        with self._lock:
            if self._waiting >= self.verifications + self.queue:
                raise Busy
            self._waiting += 1
        try:
            return await asyncio.wrap_future(self._pool.submit(fn, *args))
        finally:
            with self._lock:
                self._waiting -= 1


def may(role: str, needed: str) -> bool:
    return ROLE_RANK.get(role, -1) >= ROLE_RANK[needed]


def safe_next(target: str) -> str:
    """Where to go after login: a path on this site only (no //host, no backslash)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"
