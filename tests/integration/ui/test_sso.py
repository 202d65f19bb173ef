"""OIDC SSO against a loopback provider: mapped users get the right role, forged or stale tokens do not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.oidc_provider import CLIENT_ID, CLIENT_SECRET, FakeOIDC
from tests.integration.ui.conftest import MODELS, Gw, start
from tests.support.servers import serve_app


def _sso_config(issuer: str) -> dict[str, Any]:
    return {**MODELS, "general_settings": {"ui_oidc": {
        "issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "role_mappings": {"tollway-admins": "proxy_admin", "@viewers.example": "proxy_admin_viewer"},
        "team_mappings": {"research-leads": {"team_id": "research", "role": "admin"}, "research": "research"},
    }}}


@pytest.fixture(scope="module", params=["RS256", "ES256"])
def sso(request: pytest.FixtureRequest, ui_store: str) -> Iterator[tuple[FakeOIDC, Gw]]:
    provider = FakeOIDC(request.param)
    idp = serve_app(provider.app)
    provider.issuer = idp.url
    server, app = start(_sso_config(idp.url))
    gateway = Gw(server, app)
    if not any(t["team_id"] == "research" for t in gateway.admin("GET", "/team/list")):
        gateway.admin("POST", "/team/new", {"team_id": "research"})
    yield provider, gateway
    gateway.http.close()
    server.stop()
    idp.stop()


def _sign_in(url: str) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(follow_redirects=True, timeout=20)
    return client, client.get(f"{url}/ui/sso/login")


def test_an_admin_group_signs_in_as_proxy_admin(sso: tuple[FakeOIDC, Gw]) -> None:
    provider, gw = sso
    provider.next_user(email="ada@corp.example", groups=["tollway-admins"])
    client, page = _sign_in(gw.url)
    assert page.status_code == 200, page.text
    cookie = page.history[-1].headers.get("set-cookie", "") if page.history else page.headers.get("set-cookie", "")
    assert "tollway_session=" in page.headers.get("set-cookie", "") + cookie
    me = client.get(f"{gw.url}/ui/api/session").json()
    assert (me["role"], me["user_id"], me["via"]) == ("proxy_admin", "ada@corp.example", "sso")
    assert client.get(f"{gw.url}/ui/api/admin/key/list").status_code == 200
    team = f"made-by-sso-{provider.algorithm}"
    created = client.post(f"{gw.url}/ui/api/admin/team/new", json={"team_id": team},
                          headers={"x-csrf-token": me["csrf"], "origin": gw.url})
    assert created.status_code == 200, created.text
    entry = gw.admin("GET", "/audit", target_type="team", target_id=team)["entries"][0]
    assert entry["actor"] == "user:ada@corp.example"
    form = provider.token_requests[-1]
    assert form["grant_type"] == "authorization_code" and len(form["code_verifier"]) >= 43


def test_an_email_domain_maps_to_viewer_and_a_team_group_to_team_admin(sso: tuple[FakeOIDC, Gw]) -> None:
    provider, gw = sso
    provider.next_user(email="vic@viewers.example")
    client, _ = _sign_in(gw.url)
    me = client.get(f"{gw.url}/ui/api/session").json()
    assert me["role"] == "proxy_admin_viewer" and me["can_write"] is False
    refused = client.post(f"{gw.url}/ui/api/admin/team/new", json={"team_id": "nope"},
                          headers={"x-csrf-token": me["csrf"], "origin": gw.url})
    assert refused.status_code == 403

    provider.next_user(email="lead@corp.example", groups=["research-leads"])
    client, _ = _sign_in(gw.url)
    me = client.get(f"{gw.url}/ui/api/session").json()
    assert (me["role"], me["admin_teams"]) == ("team_admin", ["research"])
    assert client.get(f"{gw.url}/ui/api/admin/team/info", params={"team_id": "research"}).status_code == 200
    other = f"made-by-sso-{provider.algorithm}"
    assert client.get(f"{gw.url}/ui/api/admin/team/info", params={"team_id": other}).status_code == 403


def test_an_unmapped_user_is_refused(sso: tuple[FakeOIDC, Gw]) -> None:
    provider, gw = sso
    provider.next_user(email="eve@elsewhere.example", groups=["nobody"])
    client, page = _sign_in(gw.url)
    assert page.status_code == 403 and "not mapped" in page.text
    assert client.get(f"{gw.url}/ui/api/session").status_code == 401


@pytest.mark.parametrize(("tamper", "reason"), [
    ("issuer", "another issuer"), ("audience", "another client"), ("expired", "expired"),
    ("signature", "signature"), ("nonce", "nonce"),
])
def test_a_bad_id_token_is_refused(sso: tuple[FakeOIDC, Gw], tamper: str, reason: str) -> None:
    provider, gw = sso
    provider.next_user(tamper=tamper, email="ada@corp.example", groups=["tollway-admins"])
    client, page = _sign_in(gw.url)
    assert page.status_code == 401, page.text
    assert reason in page.text
    assert "tollway_session" not in client.cookies
    assert client.get(f"{gw.url}/ui/api/session").status_code == 401


def test_a_callback_without_the_sign_in_state_is_refused(sso: tuple[FakeOIDC, Gw]) -> None:
    _, gw = sso
    page = httpx.get(f"{gw.url}/ui/sso/callback", params={"code": "x", "state": "forged"})
    assert page.status_code == 401 and "stale" in page.text


def test_sso_in_the_browser_lands_signed_in(sso: tuple[FakeOIDC, Gw], page: Any) -> None:
    provider, gw = sso
    provider.next_user(email="ada@corp.example", groups=["tollway-admins"])
    page.goto(f"{gw.url}/ui/")
    page.get_by_test_id("sso-login").click()
    page.get_by_test_id("role").wait_for()
    assert page.get_by_test_id("role").inner_text() == "proxy_admin"
    assert page.get_by_test_id("whoami").inner_text() == "ada@corp.example"
