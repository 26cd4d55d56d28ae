"""Single sign-on against a real OpenID Connect provider (oidc-provider-mock, a real HTTP server in a thread) and
the real `busavvik web` process: mapped user, mapped group, unmapped user, tampered state, replayed callback."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from config.load import parse_settings
from config.rules import default_rules
from store.db import Database
from store.models import Correction
from tests.support import web_support as ws

pytestmark = pytest.mark.integration
CLIENT_ID = "busavvik-test-client"
GROUP = "5d3c1f7e-2b8a-4c61-9e0f-0a1b2c3d4e5f"
CASE = "BUS-2026-0001"
TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
ADMIN = "anna.admin@region.example.se"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    from oidc_provider_mock import run_server_in_thread  # here: Flask & co. cost the fast loop's collection ~0.3 s

    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


def _config(db_url: str, issuer: str, base: str) -> str:
    return (f'[database]\nurl = "{db_url}"\n[web]\nbase_url = "{base}"\n[web.oidc]\nissuer = "{issuer}"\n'
            f'client_id = "{CLIENT_ID}"\nclient_secret_env = "BUSAVVIK_TEST_OIDC_SECRET"\n'
            f'[web.oidc.users]\n"Eva.Lund@Region.example.se" = "reader"\n"{ADMIN}" = "admin"\n'
            f'[web.oidc.groups]\n"{GROUP}" = "secretariat"\n')


@pytest.fixture(scope="module")
def server(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Database]]:
    tmp = tmp_path_factory.mktemp("sso")
    db_url = f"sqlite:///{tmp / 'busavvik.db'}"
    database = Database(db_url)
    ws.load(database, default_rules())
    port = ws.free_port()
    (tmp / "busavvik.toml").write_text(_config(db_url, provider, f"http://127.0.0.1:{port}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUSAVVIK_")}
    env |= {"BUSAVVIK_WEB_SECRET": "test-secret-for-signing-cookies-0123456789",
            "BUSAVVIK_TEST_OIDC_SECRET": "s3cret"}
    try:
        with ws.web_server(tmp / "busavvik.toml", env, port) as base:
            yield base, database
    finally:
        database.dispose()


def _set_user(provider: str, sub: str, claims: dict[str, Any]) -> None:
    """The provider's user `sub`; Entra's tenant id and object id (`tid`, `oid`) unless `claims` sets them."""
    claims = {"tid": TENANT, "oid": f"oid-{sub}", **claims}
    assert httpx.put(f"{provider}/users/{sub}", json={k: v for k, v in claims.items() if v is not None}
                     ).status_code == 204


def _to_provider(c: httpx.Client) -> str:
    """The login page's link, then /login/sso: the provider's authorize URL with state, nonce and PKCE."""
    login = c.get("/login").text
    assert 'href="/login/sso?next=/"' in login and "Logga in med Microsoft" in login
    r = c.get("/login/sso")
    assert r.status_code == 303, r.text
    return r.headers["location"]


def _at_provider(authorize: str, sub: str) -> str:
    """The user picks `sub` at the provider; its redirect back to busavvik's callback."""
    r = httpx.post(authorize, data={"sub": sub})
    assert r.status_code == 302, r.text
    return r.headers["location"]


def _sso_login(base: str, provider: str, sub: str, claims: dict[str, Any]) -> tuple[httpx.Client, httpx.Response]:
    _set_user(provider, sub, claims)
    c = httpx.Client(base_url=base, follow_redirects=False)
    return c, c.get(_at_provider(_to_provider(c), sub))


def test_the_authorize_request_carries_state_nonce_and_pkce(server: tuple[str, Database], provider: str) -> None:
    base, _ = server
    with httpx.Client(base_url=base) as c:
        url = _to_provider(c)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(provider + "/oauth2/authorize?")
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == [base + "/login/sso/callback"] and "openid" in query["scope"][0].split()
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32


def test_a_mapped_user_is_logged_in_and_sees_the_cases(server: tuple[str, Database], provider: str) -> None:
    base, _ = server
    c, r = _sso_login(base, provider, "eva-sub", {"preferred_username": "eva.lund@region.example.se",
                                                  "name": "Eva Lund"})
    assert r.status_code == 303 and r.headers["location"] == "/", r.text
    page = c.get("/arenden?alla=1")
    assert page.status_code == 200 and CASE in page.text and "eva.lund@region.example.se" in page.text
    token = ws.csrf_of(c.get("/").text)
    refused = c.post(f"/arenden/{CASE}/status", data={"csrf": token, "status": "closed"})
    assert refused.status_code == 403                     # a reader may not act
    assert c.get("/drift").status_code == 403
    assert c.get("/logout").status_code == 200 and c.get("/arenden").status_code == 200    # GET ends nothing
    assert c.post("/logout", data={"csrf": token}).status_code == 303
    assert c.get("/arenden").status_code == 303


def test_a_mapped_group_gives_its_role_and_the_upn_is_recorded(server: tuple[str, Database], provider: str) -> None:
    base, database = server
    c, r = _sso_login(base, provider, "olle-sub", {"email": "olle.berg@region.example.se",
                                                   "groups": ["00000000-0000-0000-0000-000000000001", GROUP.upper()]})
    assert r.status_code == 303, r.text
    token = ws.csrf_of(c.get("/").text)
    done = c.post(f"/arenden/{CASE}/status", data={"csrf": token, "status": "paused"})
    assert done.status_code == 303 and "klart=" in done.headers["location"]
    with database.session() as s:
        whos = [x.who for x in s.scalars(select(Correction).where(Correction.field == "status"))]
    assert whos == ["olle.berg@region.example.se"]
    assert "olle.berg@region.example.se" in c.get(f"/arenden/{CASE}").text


def test_an_unmapped_user_gets_403_in_swedish(server: tuple[str, Database], provider: str) -> None:
    base, _ = server
    c, r = _sso_login(base, provider, "mallory-sub", {"preferred_username": "mallory@elsewhere.example.com",
                                                      "groups": ["11111111-2222-3333-4444-555555555555"]})
    assert r.status_code == 403 and "har inte behörighet" in r.text and "mallory@elsewhere.example.com" in r.text
    assert c.get("/arenden").status_code == 303


def test_a_tampered_state_gets_403(server: tuple[str, Database], provider: str) -> None:
    base, _ = server
    _set_user(provider, "eva-sub", {"preferred_username": "eva.lund@region.example.se"})
    c = httpx.Client(base_url=base, follow_redirects=False)
    back = _at_provider(_to_provider(c), "eva-sub")
    state = parse_qs(urlsplit(back).query)["state"][0]
    r = c.get(back.replace(f"state={state}", "state=" + ("A" if state[0] != "A" else "B") + state[1:]))
    assert r.status_code == 403 and "state" in r.text
    assert c.get("/arenden").status_code == 303


def test_a_callback_without_the_flow_cookie_gets_403(server: tuple[str, Database], provider: str) -> None:
    """The code and state land in another browser (or the cookie was forged): refused."""
    base, _ = server
    _set_user(provider, "eva-sub", {"preferred_username": "eva.lund@region.example.se"})
    with httpx.Client(base_url=base, follow_redirects=False) as victim:
        back = _at_provider(_to_provider(victim), "eva-sub")
    other = httpx.Client(base_url=base, follow_redirects=False, cookies={"busavvik_sso": "forged"})
    r = other.get(back)
    assert r.status_code == 403 and "Inloggningen gick inte att slutföra" in r.text


def test_a_replayed_code_is_refused(server: tuple[str, Database], provider: str) -> None:
    base, _ = server
    _set_user(provider, "eva-sub", {"preferred_username": "eva.lund@region.example.se"})
    c = httpx.Client(base_url=base, follow_redirects=False)
    back = _at_provider(_to_provider(c), "eva-sub")
    flow = c.cookies.get("busavvik_sso")
    assert c.get(back).status_code == 303
    again = httpx.Client(base_url=base, follow_redirects=False, cookies={"busavvik_sso": flow or ""})
    replayed = again.get(back)                          # before: 502 (the provider refused the used code)
    assert replayed.status_code == 403 and "redan använd" in replayed.text   # the flow cookie is good once


def test_an_email_claim_naming_an_admin_does_not_log_in_as_the_admin(server: tuple[str, Database],
                                                                     provider: str) -> None:
    """L11. Before: a token whose only name was an `email` claim naming an admin logged in as that admin. After:
    the person is their tid + oid; an e-mail claim gives no named role."""
    base, _ = server
    c, r = _sso_login(base, provider, "mallory-2", {"email": ADMIN})
    assert r.status_code == 403 and "har inte behörighet" in r.text
    assert c.get("/drift").status_code == 303


def test_a_name_is_bound_to_tid_and_oid_once(server: tuple[str, Database], provider: str) -> None:
    """The first login whose preferred_username is a configured name binds it (recorded); another oid with that
    name is refused afterwards, and the bound oid keeps the name when its username changes."""
    from store.models import AccessLog

    base, database = server
    c, r = _sso_login(base, provider, "anna-sub", {"preferred_username": ADMIN})
    assert r.status_code == 303 and c.get("/drift").status_code == 200
    with database.session() as s:
        bound = [x.target for x in s.scalars(select(AccessLog).where(AccessLog.event == "sso_bind",
                                                                     AccessLog.who == ADMIN))]
    assert bound == [f"tid {TENANT}, oid oid-anna-sub"]
    _, other = _sso_login(base, provider, "impostor-sub", {"preferred_username": ADMIN})
    assert other.status_code == 403 and "redan kopplad" in other.text
    _, foreign = _sso_login(base, provider, "foreign-sub", {"preferred_username": ADMIN, "tid": "another-tenant",
                                                            "oid": "oid-anna-sub"})
    assert foreign.status_code == 403
    renamed, r = _sso_login(base, provider, "anna-sub", {"preferred_username": "anna.gift@region.example.se"})
    assert r.status_code == 303 and renamed.get("/drift").status_code == 200 and ADMIN in renamed.get("/").text


def test_a_token_without_oid_and_tid_is_refused(server: tuple[str, Database], provider: str) -> None:
    base, _ = server
    _, r = _sso_login(base, provider, "no-oid-sub", {"preferred_username": "eva.lund@region.example.se",
                                                     "oid": None, "tid": None})
    assert r.status_code == 403 and "oid och tid" in r.text


def test_an_sso_session_can_be_revoked(server: tuple[str, Database], provider: str) -> None:
    """M1: SSO sessions are rows too; `user sessions NAME --revoke` (store.websessions.end_all) ends them."""
    from store import websessions

    base, database = server
    c, r = _sso_login(base, provider, "eva-sub", {"preferred_username": "eva.lund@region.example.se"})
    assert r.status_code == 303 and c.get("/arenden").status_code == 200
    with database.session() as s:
        assert any(x.sso for x in websessions.of_user(s, "eva.lund@region.example.se"))
        assert websessions.end_all(s, "eva.lund@region.example.se") >= 1
    assert c.get("/arenden").status_code == 303


def test_an_issuer_without_a_discovery_document_gets_a_swedish_error(provider: str, tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from web.app import create_app

    settings = parse_settings({"database": {"url": f"sqlite:///{tmp_path / 'b.db'}"},
                               "web": {"oidc": {"issuer": provider + "/tenant/v2.0", "client_id": CLIENT_ID,
                                                "users": {"eva@example.se": "admin"}}}})
    database = Database(settings.database_url)
    r = TestClient(create_app(database, settings, default_rules()), follow_redirects=False).get("/login/sso")
    assert r.status_code == 502 and "Inloggningstjänsten svarade med ett fel (404" in r.text
    database.dispose()


def _real_id_token(provider: str, nonce: str) -> str:
    """An ID token issued by the provider for CLIENT_ID and `nonce`, through its authorize and token endpoints."""
    _set_user(provider, "eva-sub", {"preferred_username": "eva.lund@region.example.se"})
    redirect = "http://127.0.0.1:1/login/sso/callback"
    authorize = httpx.Request("GET", provider + "/oauth2/authorize", params={
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect, "scope": "openid profile",
        "state": "s", "nonce": nonce}).url
    code = parse_qs(urlsplit(_at_provider(str(authorize), "eva-sub")).query)["code"][0]
    r = httpx.post(provider + "/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                                     "redirect_uri": redirect, "client_id": CLIENT_ID,
                                                     "client_secret": "x"})
    return str(r.json()["id_token"])


def test_the_id_token_checks(provider: str) -> None:
    """Signature, audience and nonce of a real ID token: each wrong one is refused."""
    from config.oidc import parse_oidc
    from web.sso import Oidc, SsoError

    def oidc(client_id: str) -> Oidc:
        found = parse_oidc({"issuer": provider, "client_id": client_id, "users": {"a@b.se": "reader"}}, False, [])
        assert found is not None
        return Oidc(found, "key", False)
    token = _real_id_token(provider, "the-nonce")
    assert oidc(CLIENT_ID).claims(token, "the-nonce")["preferred_username"] == "eva.lund@region.example.se"
    with pytest.raises(SsoError, match="nonce"):
        oidc(CLIENT_ID).claims(token, "another-nonce")
    with pytest.raises(SsoError, match="InvalidAudienceError"):
        oidc("another-application").claims(token, "the-nonce")
    head, body, signature = token.split(".")
    forged = ".".join([head, body, ("A" if signature[0] != "A" else "B") + signature[1:]])
    with pytest.raises(SsoError, match="InvalidSignatureError"):
        oidc(CLIENT_ID).claims(forged, "the-nonce")
    unsigned = ".".join(["eyJhbGciOiJub25lIn0", body, ""])          # alg "none"
    with pytest.raises(SsoError, match="ogiltig"):
        oidc(CLIENT_ID).claims(unsigned, "the-nonce")


def test_without_oidc_there_is_no_sso_route_or_link(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from web.app import create_app

    settings = parse_settings({"database": {"url": f"sqlite:///{tmp_path / 'b.db'}"}})
    database = Database(settings.database_url)
    c = TestClient(create_app(database, settings, default_rules()), follow_redirects=False)
    assert "Logga in med Microsoft" not in c.get("/login").text
    assert c.get("/login/sso").status_code == 404
    database.dispose()


# L10: an ES256 ID token under an RSA key id -----------------------------------------------------------------------

@pytest.mark.integration
def test_l10_an_es256_token_under_an_rsa_key_id_is_refused_cleanly() -> None:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec
    from oidc_provider_mock import run_server_in_thread

    from config.oidc import parse_oidc
    from web.sso import Oidc, SsoError

    with run_server_in_thread() as server:
        provider = f"http://localhost:{server.server_port}"
        token = _real_id_token(provider, "n")
        claims = jwt.decode(token, options={"verify_signature": False})
        kid = jwt.get_unverified_header(token).get("kid")      # the mock's only key has none: used for any token
        forged = jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256",
                            headers={"kid": kid} if kid else None)
        found = parse_oidc({"issuer": provider, "client_id": CLIENT_ID, "users": {"a@b.se": "reader"}}, False, [])
        assert found is not None
        with pytest.raises(SsoError, match="ogiltig"):
            Oidc(found, "key", False).claims(forged, "n")
        assert Oidc(found, "key", False).claims(token, "n")["nonce"] == "n"     # the real one still passes
