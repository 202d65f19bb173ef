"""CORS as a browser's fetch() sees it: preflight, actual requests, streams, refused origins."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import MASTER_KEY

APP = "https://app.example.com"
MOCK = {"model_list": [{"model_name": "m", "litellm_params": {"model": "mock/m"}}]}
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def preflight(url: str, origin: str, method: str = "POST", headers: str = "authorization, content-type"
              ) -> httpx.Response:
    return httpx.options(f"{url}/v1/chat/completions", headers={
        "origin": origin, "access-control-request-method": method, "access-control-request-headers": headers})


@pytest.fixture
def gateway(start_gateway: Any) -> Any:
    return start_gateway({**MOCK, "general_settings": {"allowed_origins": [APP, "https://*.trusted.dev"]}})


def test_preflight_from_an_allowed_origin(gateway: Any) -> None:
    response = preflight(gateway.url, APP)
    assert response.status_code == 204  # an ok status, as fetch's CORS-preflight check requires
    assert response.headers["access-control-allow-origin"] == APP
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert "access-control-allow-credentials" not in response.headers  # credentials are off by default
    assert "Origin" in response.headers["vary"] and int(response.headers["access-control-max-age"]) > 0
    assert preflight(gateway.url, "https://api.trusted.dev").headers["access-control-allow-origin"] == \
        "https://api.trusted.dev"


def test_preflight_from_a_refused_origin_gets_no_cors_headers(gateway: Any) -> None:
    for origin in ("https://evil.example", "https://trusted.dev.evil.example", "null"):
        response = preflight(gateway.url, origin)
        assert response.status_code == 403
        assert not [h for h in response.headers if h.startswith("access-control-")]
        assert response.json()["error"]["code"] == "cors_not_allowed"
    assert preflight(gateway.url, APP, method="PATCH").status_code == 403  # not an allowed method


def test_actual_requests_and_streams_carry_the_allow_origin_header(gateway: Any) -> None:
    headers = {"origin": APP, "authorization": f"Bearer {MASTER_KEY}"}
    answer = httpx.post(f"{gateway.url}/v1/chat/completions", json=BODY, headers=headers)
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == APP
    assert "x-tollway-response-cost" in answer.headers["access-control-expose-headers"]
    assert "Origin" in answer.headers["vary"]
    with httpx.stream("POST", f"{gateway.url}/v1/chat/completions", json={**BODY, "stream": True},
                      headers=headers) as stream:
        assert stream.headers["access-control-allow-origin"] == APP
        events = [line for line in stream.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]" and len(events) > 3
    refused = httpx.post(f"{gateway.url}/v1/chat/completions", json=BODY,
                         headers={**headers, "origin": "https://evil.example"})
    assert refused.status_code == 200 and "access-control-allow-origin" not in refused.headers
    error = httpx.post(f"{gateway.url}/v1/chat/completions", json=BODY, headers={"origin": APP})
    assert error.status_code == 401 and error.headers["access-control-allow-origin"] == APP  # readable by the app


def test_any_origin_with_tollway_names_and_credentials(start_gateway: Any) -> None:
    star = start_gateway({**MOCK, "general_settings": {"cors_allow_origins": ["*"]}})
    assert preflight(star.url, "https://x.example").headers["access-control-allow-origin"] == "*"
    creds = start_gateway({**MOCK, "general_settings": {"cors_allow_origins": ["*"], "cors_allow_credentials": True,
                                                         "cors_allow_headers": ["authorization", "content-type"]}})
    response = preflight(creds.url, "https://x.example")
    assert response.headers["access-control-allow-origin"] == "https://x.example"  # never * with credentials
    assert response.headers["access-control-allow-credentials"] == "true"
    assert preflight(creds.url, "https://x.example", headers="x-custom").status_code == 403


def test_without_configured_origins_nothing_changes(start_gateway: Any) -> None:
    plain = start_gateway(MOCK)
    response = preflight(plain.url, APP)
    assert response.status_code == 405 and "access-control-allow-origin" not in response.headers
    answer = httpx.post(f"{plain.url}/v1/chat/completions", json=BODY,
                        headers={"origin": APP, "authorization": f"Bearer {MASTER_KEY}"})
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers
