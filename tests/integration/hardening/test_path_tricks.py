"""Raw request targets with ``..``/``%2e%2e`` segments, sent over a real socket (no client-side
normalisation), never reach an admin route as anyone but an admin (item 10)."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.integration.hardening.store_gateway import store_gateway
from tests.integration.hardening.support import client
from tests.integration.hardening.test_lambda_events import trick_paths

OWN_KEYS = ("/key/list", "/key/generate", "/key/list/.", "/key/generate/.", "/key/list/", "/key/generate/")


@pytest.fixture(scope="module")
def served(dynamodb_endpoint: str, _fake_openai_server: Any) -> Iterator[tuple[str, str]]:
    """(gateway URL, the key of an internal user in no team)."""
    _, upstream = _fake_openai_server
    with store_gateway(f"{upstream.url}/v1") as gateway, client(gateway.url) as admin:
        made = admin.post("/user/new", json={"user_id": "plain-user"})
        assert made.status_code == 200, made.text
        yield gateway.url, made.json()["key"]


def _send(url: str, method: str, target: str, key: str | None) -> int:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        headers = {"content-type": "application/json"}
        if key:
            headers["authorization"] = f"Bearer {key}"
        connection.request(method, target, body=b'{"user_role": "proxy_admin"}' if method == "POST" else None,
                           headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize("who", ["nobody", "internal user"])
def test_dot_segments_reach_no_admin_route(served: tuple[str, str], who: str) -> None:
    url, member_key = served
    key = member_key if who == "internal user" else None
    # an internal user may list and create its own keys; the other routes are for admins only
    targets = [(m, t) for m, t in trick_paths() if not key or not t.replace("%2f", "/").endswith(OWN_KEYS)]
    reached = [f"{method} {target}: {status}" for method, target in targets
               if (status := _send(url, method, target, key)) not in (401, 403, 404, 405, 307)]
    assert not reached, "\n".join(reached)
    assert _send(url, "GET", "/user/list", key) == (403 if key else 401)  # the straight path, for contrast
    assert httpx.get(f"{url}/key/list", headers={"authorization": f"Bearer {member_key}"}).status_code == 200
