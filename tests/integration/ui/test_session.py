"""Sign-in, the session cookie, CSRF and the admin API through ``/ui/api/admin`` over plain HTTP."""

from __future__ import annotations

import gzip

import httpx
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.ui.conftest import Gw


def _signed_in(gw: Gw, key: str = MASTER_KEY, **headers: str) -> tuple[httpx.Client, dict[str, object]]:
    client = httpx.Client(base_url=gw.url, timeout=20)
    response = client.post("/ui/api/signin", json={"key": key}, headers={"origin": gw.url, **headers})
    assert response.status_code == 200, response.text
    return client, response.json()


def test_the_session_cookie_is_httponly_strict_and_secure_only_over_https(gw: Gw) -> None:
    client, me = _signed_in(gw)
    cookie = client.post("/ui/api/signin", json={"key": MASTER_KEY}).headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    assert MASTER_KEY.lower() not in cookie
    over_https = client.post("/ui/api/signin", json={"key": MASTER_KEY}, headers={"x-forwarded-proto": "https"})
    assert "secure" in over_https.headers["set-cookie"].lower()
    assert me["role"] == "proxy_admin" and me["via"] == "master_key"


def test_a_wrong_key_is_401_and_an_internal_users_key_is_403(gw: Gw) -> None:
    client = httpx.Client(base_url=gw.url, timeout=20)
    wrong = client.post("/ui/api/signin", json={"key": "sk-nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["type"] == "authentication_error"
    assert "set-cookie" not in wrong.headers
    plain = gw.admin("POST", "/key/generate", {"key_alias": "plain-user-key"})["key"]
    refused = client.post("/ui/api/signin", json={"key": plain})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "ui_not_allowed"


def test_no_session_no_admin_api_and_a_forged_cookie_is_ignored(gw: Gw) -> None:
    anonymous = httpx.Client(base_url=gw.url, timeout=20)
    assert anonymous.get("/ui/api/admin/key/list").status_code == 401
    client, _ = _signed_in(gw)
    token = client.cookies["tollway_session"]
    body, signature = token.split(".")
    forged = httpx.Client(base_url=gw.url, timeout=20, cookies={"tollway_session": body[:-2] + "xx." + signature})
    assert forged.get("/ui/api/admin/key/list").status_code == 401
    assert client.get("/ui/api/admin/key/list").status_code == 200


def test_a_blocked_key_ends_its_sessions(gw: Gw) -> None:
    gw.admin("POST", "/user/new", {"user_id": "ops-admin", "user_role": "proxy_admin"})
    created = gw.admin("POST", "/key/generate", {"user_id": "ops-admin", "key_alias": "ops-admin-ui"})
    client, me = _signed_in(gw, created["key"])
    assert me["via"] == "virtual_key" and client.get("/ui/api/session").status_code == 200
    gw.admin("POST", "/key/block", {"key": created["token"]})
    assert client.get("/ui/api/session").status_code == 401
    assert client.get("/ui/api/admin/key/list").status_code == 401


def test_state_changes_need_the_csrf_token_and_the_same_origin(gw: Gw) -> None:
    client, me = _signed_in(gw)
    token = str(me["csrf"])
    assert client.post("/ui/api/admin/team/new", json={"team_id": "c1"}).status_code == 403
    cross = client.post("/ui/api/admin/team/new", json={"team_id": "c1"},
                        headers={"x-csrf-token": token, "origin": "http://evil.example"})
    assert cross.status_code == 403 and cross.json()["error"]["code"] == "csrf_failed"
    ok = client.post("/ui/api/admin/team/new", json={"team_id": "c1"},
                     headers={"x-csrf-token": token, "origin": gw.url})
    assert ok.status_code == 200, ok.text
    assert httpx.post(f"{gw.url}/ui/api/signin", json={"key": MASTER_KEY},
                      headers={"origin": "http://evil.example"}).status_code == 403


def test_only_admin_routes_are_reachable_through_the_ui(gw: Gw) -> None:
    client, me = _signed_in(gw)
    headers = {"x-csrf-token": str(me["csrf"]), "origin": gw.url}
    chat = client.post("/ui/api/admin/v1/chat/completions", headers=headers,
                       json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
    assert chat.status_code == 404 and chat.json()["error"]["code"] == "ui_route_not_found"
    assert client.get("/ui/api/admin/key/generate").status_code == 404
    bad = client.post("/ui/api/admin/key/generate", headers=headers, json={"max_budget": -1})
    assert bad.status_code == 400 and bad.json()["error"]["param"]


def test_sign_out_clears_the_session(gw: Gw) -> None:
    client, me = _signed_in(gw)
    out = client.post("/ui/api/signout", headers={"x-csrf-token": str(me["csrf"]), "origin": gw.url})
    assert out.status_code == 200
    assert client.get("/ui/api/session").status_code == 401


def test_assets_are_packaged_gzipped_and_small(gw: Gw) -> None:
    assert httpx.get(f"{gw.url}/ui").headers["location"] == "ui/"
    shell = httpx.get(f"{gw.url}/ui/", headers={"accept-encoding": "gzip"})
    assert shell.status_code == 200 and "default-src 'self'" in shell.headers["content-security-policy"]
    total = 0
    for name in ("app.js", "app.css", "favicon.svg"):
        with httpx.stream("GET", f"{gw.url}/ui/static/{name}", headers={"accept-encoding": "gzip"}) as raw:
            wire = b"".join(raw.iter_raw())  # the bytes as sent, still compressed
            assert raw.headers["content-encoding"] == "gzip" and gzip.decompress(wire)
        total += len(wire)
        again = httpx.get(f"{gw.url}/ui/static/{name}", headers={"if-none-match": raw.headers["etag"]})
        assert again.status_code == 304
    assert total <= 200 * 1024
    assert httpx.get(f"{gw.url}/ui/static/..%2Fsession.py").status_code == 404


@pytest.mark.parametrize("path", ["/ui/api/session", "/ui/api/admin/spend/report"])
def test_errors_use_the_openai_envelope(gw: Gw, path: str) -> None:
    body = httpx.get(f"{gw.url}{path}").json()
    assert set(body["error"]) >= {"message", "type", "param", "code"}
