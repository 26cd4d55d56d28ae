"""Single sign-on with Microsoft Entra ID (OpenID Connect, authorization code + PKCE).

`/login/sso` sends the browser to the provider's authorize endpoint (from its discovery document) with a fresh
state, nonce and S256 code challenge, kept in a signed, short-lived HttpOnly cookie. The callback checks the state,
exchanges the code and code_verifier at the token endpoint, checks the ID token (signature by the provider's JWKS,
iss, aud, exp, nonce) and maps the user's groups, or the name bound to the token's `tid` + `oid`, to a role from
`[web.oidc]`; nobody else gets in. A name of `[web.oidc.users]` is bound to a `tid` + `oid` once, at the first login
whose `preferred_username` (or `upn`) is that name (recorded in the access log); an `email` claim never names anyone
with a role of their own. The flow cookie is good for one callback.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from config.settings import OidcSettings
from web.auth import safe_next
from web.context import Ctx

FLOW_COOKIE = "busavvik_sso"
FLOW_SECONDS = 600                  # the user has ten minutes at the provider
DISCOVERY_SECONDS = 3600
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256"]     # asymmetric only: never "none" or HS*
KEY_ALGORITHMS = {"RSA": ("RS256", "RS384", "RS512", "PS256"), "EC": ("ES256",)}   # what each key type can check
MAX_RESPONSE = 1024 * 1024
SSO_BY_NAME, SSO_BY_GROUP = "sso-name", "sso-group"     # a session's stamp: does [web.oidc.users] apply?


class SsoError(Exception):
    """The login cannot go on; the message (Swedish) is shown to the user."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Provider:
    authorize: str
    token: str
    keys: jwt.PyJWKClient
    fetched: float


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Oidc:
    """The provider's endpoints (discovered, cached for an hour) and the checks of one login."""

    def __init__(self, settings: OidcSettings, key: str, secure: bool) -> None:
        self.settings, self.secure = settings, secure
        self._flow = URLSafeTimedSerializer(key, salt="busavvik-sso-flow")
        self._provider: Provider | None = None
        self._lock = threading.Lock()
        self._used: dict[str, float] = {}           # flows (their state) already ended: each is good once

    def _fetch(self, request: urllib.request.Request | str) -> Any:
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:  # noqa: S310
                return json.loads(response.read(MAX_RESPONSE))
        except urllib.error.HTTPError as exc:
            try:
                body = json.loads(exc.read(MAX_RESPONSE))
            except ValueError:
                body = {}
            raise SsoError(f"Inloggningstjänsten svarade med ett fel ({exc.code} "
                           f"{str(body.get('error', ''))[:100]}). Försök igen.", 502) from None
        except (OSError, ValueError):
            raise SsoError("Inloggningstjänsten svarar inte. Försök igen om en stund eller logga in med "
                           "användarnamn och lösenord.", 502) from None

    def provider(self) -> Provider:
        with self._lock:
            if self._provider is not None and time.monotonic() - self._provider.fetched < DISCOVERY_SECONDS:
                return self._provider
        doc = self._fetch(self.settings.issuer + "/.well-known/openid-configuration")
        names = ("authorization_endpoint", "token_endpoint", "jwks_uri")
        ends: list[Any] = [doc.get(k) if isinstance(doc, dict) else None for k in names]
        if not isinstance(doc, dict) or doc.get("issuer", "").rstrip("/") != self.settings.issuer or not all(
                isinstance(e, str) and e.startswith(self.settings.issuer.split("://")[0] + "://") for e in ends):
            raise SsoError("Inloggningstjänstens beskrivning stämmer inte med web.oidc.issuer (den ska vara "
                           "exakt utfärdaren, med klientorganisationens id). Kontakta administratören.", 502)
        provider = Provider(ends[0], ends[1], jwt.PyJWKClient(ends[2], cache_jwk_set=True, lifespan=3600,
                                                              timeout=int(self.settings.timeout)), time.monotonic())
        with self._lock:
            self._provider = provider
        return provider

    def exchange(self, code: str, verifier: str, redirect_uri: str) -> str:
        """The ID token for an authorization code (client_secret_post when a secret is set)."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": verifier, "client_id": self.settings.client_id}
        secret = self.settings.client_secret()
        if secret is not None:
            form["client_secret"] = secret.value
        request = urllib.request.Request(self.provider().token, data=urlencode(form).encode(), method="POST",
                                         headers={"content-type": "application/x-www-form-urlencoded",
                                                  "accept": "application/json"})
        answer = self._fetch(request)
        token = answer.get("id_token") if isinstance(answer, dict) else None
        if not isinstance(token, str):
            raise SsoError("Inloggningstjänsten skickade ingen ID-token. Försök igen.", 502)
        return token

    def _key(self, id_token: str) -> jwt.PyJWK:
        """The key named by the token's `kid`; without one, the provider's only signing key (OIDC Core 10.1)."""
        keys, kid = self.provider().keys, jwt.get_unverified_header(id_token).get("kid")
        if kid:
            return keys.get_signing_key(kid)
        found = keys.get_signing_keys()
        if len(found) != 1:
            raise jwt.InvalidTokenError("no kid, and the provider has more than one key")
        return found[0]

    def claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims once its signature, issuer, audience, expiry and nonce are right."""
        try:
            key = self._key(id_token)
            # only the algorithms of the key's own type: an ES256 token under an RSA key's id is refused as
            # invalid (PyJWT would raise a TypeError handing the RSA key to the EC algorithm)
            algorithms = [a for a in ALGORITHMS if a in KEY_ALGORITHMS.get(str(key.key_type), ())]
            if not algorithms:
                raise jwt.InvalidAlgorithmError("the provider's key is of no accepted type")
            claims: dict[str, Any] = jwt.decode(
                id_token, key.key, algorithms=algorithms, audience=self.settings.client_id,
                issuer=self.settings.issuer, leeway=120, options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.PyJWKClientConnectionError:
            raise SsoError("Inloggningstjänstens nycklar gick inte att hämta. Försök igen.", 502) from None
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
            raise SsoError(f"Inloggningen godtogs inte: ID-token är ogiltig ({type(exc).__name__}).") from None
        except (jwt.PyJWTError, TypeError, ValueError) as exc:   # a key that does not fit the token, and the like
            raise SsoError(f"Inloggningen godtogs inte: ID-token är ogiltig ({type(exc).__name__}).") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.settings.client_id:
            raise SsoError("Inloggningen godtogs inte: ID-token är utfärdad för en annan tillämpning.")
        if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
            raise SsoError("Inloggningen godtogs inte: ID-token hör inte till den här inloggningen (nonce).")
        return claims

    def flow_cookie(self, data: dict[str, str]) -> str:
        return self._flow.dumps(data)

    def read_flow(self, request: Request) -> dict[str, str]:
        try:
            data = self._flow.loads(request.cookies.get(FLOW_COOKIE, ""), max_age=FLOW_SECONDS)
        except BadSignature:
            data = None
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in "snvt"):
            raise SsoError("Inloggningen gick inte att slutföra (den är för gammal eller startades i en annan "
                           "webbläsare). Försök igen från inloggningssidan.")
        moment = time.monotonic()
        with self._lock:
            self._used = {k: t for k, t in self._used.items() if moment - t < FLOW_SECONDS + 60}
            if data["s"] in self._used:
                raise SsoError("Inloggningen är redan använd. Försök igen från inloggningssidan.")
            self._used[data["s"]] = moment
        return data


def _redirect_uri(ctx: Ctx, oidc: Oidc) -> str:
    base = ctx.web.settings.web.base_url.rstrip("/") or str(ctx.request.base_url).rstrip("/")
    return base + oidc.settings.redirect_path


def _error(ctx: Ctx, exc: SsoError) -> Response:
    response = ctx.page("error.html", status=exc.status, title="Inloggningen misslyckades", message=str(exc))
    response.delete_cookie(FLOW_COOKIE, path="/", httponly=True, samesite="lax")
    return response


async def start(ctx: Ctx) -> Response:
    """To the provider, with state, nonce and the PKCE challenge; they wait in a signed cookie."""

    oidc: Oidc = ctx.web.oidc
    try:
        provider = await ctx.db(oidc.provider)
    except SsoError as exc:
        return _error(ctx, exc)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    query = urlencode({"response_type": "code", "client_id": oidc.settings.client_id,
                       "redirect_uri": _redirect_uri(ctx, oidc), "scope": " ".join(oidc.settings.scopes),
                       "state": state, "nonce": nonce, "response_mode": "query", "code_challenge_method": "S256",
                       "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest())})
    response = RedirectResponse(provider.authorize + ("&" if "?" in provider.authorize else "?") + query,
                                status_code=303)
    target = safe_next(ctx.request.query_params.get("next", "/"))
    response.set_cookie(FLOW_COOKIE, oidc.flow_cookie({"s": state, "n": nonce, "v": verifier, "t": target}),
                        max_age=FLOW_SECONDS, path="/", httponly=True, samesite="lax",
                        secure=oidc.secure or ctx.request.url.scheme == "https")
    return response


@dataclass(frozen=True)
class Identity:
    name: str                       # shown, and recorded as who made a change
    by_name: bool                   # [web.oidc.users] applies to `name` (bound to this tid + oid)


def _claim(claims: dict[str, Any], key: str) -> str:
    value = claims.get(key)
    return value.strip().lower()[:200] if isinstance(value, str) and value.strip() else ""


def identify(ctx: Ctx, oidc: Oidc, claims: dict[str, Any]) -> Identity:
    """Blocking. The person is their `tid` + `oid`: the name bound to them, else (once) the `preferred_username`
    or `upn` that [web.oidc.users] names, else a label for a login by group only."""
    from store import access_log, sso_identities

    tid, oid = _claim(claims, "tid"), _claim(claims, "oid")
    if not tid or not oid:
        raise SsoError("Inloggningstjänsten uppgav inte vem du är (oid och tid saknas i ID-token). Kontakta "
                       "administratören.")
    named = _claim(claims, "preferred_username") or _claim(claims, "upn")
    configured = {name for name, _ in oidc.settings.users}
    with ctx.web.db.session(write=True) as session:
        bound = sso_identities.bound_name(session, tid, oid)
        if bound is not None:
            return Identity(bound, True)
        if named in configured:
            if sso_identities.is_bound(session, named):
                raise SsoError(f"{named} är redan kopplad till en annan inloggning hos inloggningstjänsten. Kontakta "
                               "administratören.")
            sso_identities.bind(session, tid, oid, named, ctx.web.clock())
            access_log.record(session, named, "sso_bind", at=ctx.web.clock(), target=f"tid {tid}, oid {oid}",
                              address=ctx.address)
            return Identity(named, True)
    label = named or _claim(claims, "email") or f"oid:{oid}"
    if label in configured:                        # an e-mail claim naming someone with a role of their own
        label = f"oid:{oid}"
    return Identity(label, False)


async def callback(ctx: Ctx) -> Response:
    """Back from the provider: state, code exchange, ID token, role; then a session like the password login's."""
    oidc: Oidc = ctx.web.oidc
    params = ctx.request.query_params
    try:
        flow = oidc.read_flow(ctx.request)
        if not hmac.compare_digest(params.get("state", "").encode(), flow["s"].encode()):
            raise SsoError("Inloggningen gick inte att slutföra: svaret hör inte till den här inloggningen "
                           "(state). Försök igen från inloggningssidan.")
        if params.get("error") or not params.get("code"):
            raise SsoError("Inloggningstjänsten avbröt inloggningen"
                           f" ({params.get('error', 'ingen kod')[:100]}). Försök igen.")
        token = await ctx.db(oidc.exchange, params["code"], flow["v"], _redirect_uri(ctx, oidc))
        claims = await ctx.db(oidc.claims, token, flow["n"])
        who, groups = await ctx.db(identify, ctx, oidc, claims), oidc.settings.mapped_groups(claims.get("groups"))
        name = who.name
        if oidc.settings.role_for(name if who.by_name else "", groups) is None:
            overage = "groups" in (claims.get("_claim_names") or {})
            raise SsoError(f"{name} har inte behörighet till busavvik. Be administratören lägga till dig eller "
                           "din grupp i konfigurationen (web.oidc)." +
                           (" Du är med i för många grupper för att de ska skickas med inloggningen; be om att "
                            "bli tillagd med namn." if overage else ""))
    except SsoError as exc:
        await ctx.log("login_failed", f"enkel inloggning (SSO): {str(exc)[:200]}", who="")
        return _error(ctx, exc)
    response = RedirectResponse(flow["t"], status_code=303)
    await ctx.db(lambda: ctx.web.sessions.start(ctx.request, response, name, stamp=SSO_BY_NAME if who.by_name
                                                else SSO_BY_GROUP, sso=True, groups=groups, address=ctx.address))
    ctx.session.fresh = False                 # the new session (and CSRF token) replaces any earlier one
    await ctx.log("login", "enkel inloggning (SSO)", who=name)
    response.delete_cookie(FLOW_COOKIE, path="/", httponly=True, samesite="lax")
    return response
