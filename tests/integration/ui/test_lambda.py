"""The UI through the Lambda handler (Mangum, API Gateway REST events, as ``-c ui=true`` deploys it): gzip
assets come back base64-encoded for the ``*/*`` binary media type, and the session cookie is Secure."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from tests.conftest import MASTER_KEY
from tests.integration.test_lambda_handler import handler, rest_event

__all__ = ["handler"]  # the fixture, reused
HOST = "abc123.execute-api.us-east-1.amazonaws.com"


def _headers(response: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, values in (response.get("multiValueHeaders") or {}).items():
        out.setdefault(key.lower(), []).extend(values)
    for key, value in (response.get("headers") or {}).items():
        out.setdefault(key.lower(), []).append(value)
    return out


def test_gzip_assets_are_base64_for_api_gateway(handler: Any) -> None:
    event = rest_event("GET", "/ui/static/app.js", headers={"Accept-Encoding": "gzip"})
    response = handler(event, None)
    assert response["statusCode"] == 200 and response["isBase64Encoded"] is True
    assert b"Tollway admin UI" in gzip.decompress(base64.b64decode(response["body"]))
    root = handler(rest_event("GET", "/ui"), None)
    assert root["statusCode"] == 308 and _headers(root)["location"] == ["ui/"]


def test_sign_in_over_https_sets_a_secure_cookie_that_the_next_event_accepts(handler: Any) -> None:
    event = rest_event("POST", "/ui/api/signin", {"key": MASTER_KEY}, base64_body=True,
                       headers={"Origin": f"https://{HOST}", "Authorization": ""})
    response = handler(event, None)
    assert response["statusCode"] == 200, response["body"]
    (cookie,) = _headers(response)["set-cookie"]
    assert "secure" in cookie.lower() and "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    session = cookie.split(";", 1)[0]
    me = handler(rest_event("GET", "/ui/api/session", headers={"Cookie": session, "Authorization": ""}), None)
    assert me["statusCode"] == 200 and json.loads(me["body"])["role"] == "proxy_admin"
