"""The Mangum handler serves only API Gateway REST proxy events, and dot segments never reach admin routes.

Anyone who may call ``lambda:InvokeFunction`` could hand the handler a crafted event; it must at least
look like API Gateway's (and match ``TOLLWAY_API_ID``/``TOLLWAY_STAGE`` when set). ``%2e%2e`` and
``..`` segments, raw or encoded, and the paths an adapter would normalise them to, reach no admin
route without admin credentials (item 10).
"""

from __future__ import annotations

import json
import posixpath
from typing import Any
from urllib.parse import unquote

import pytest

from tests.integration.test_lambda_handler import CONFIG, _body, rest_event


@pytest.fixture
def handler(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    monkeypatch.setenv("TOLLWAY_CONFIG", str(config))
    for name in ("TOLLWAY_API_ID", "TOLLWAY_STAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("tollway.gateway._default", None)
    from tollway import handler as module

    module.app.state.gateway = None
    return module.handler


def _refused(response: dict[str, Any]) -> bool:
    return response["statusCode"] == 403 and json.loads(response["body"])["error"]["code"] == "not_from_api_gateway"


def _crafted() -> list[dict[str, Any]]:
    good = rest_event("GET", "/v1/models")
    no_context = {k: v for k, v in good.items() if k != "requestContext"}
    http_api_v2 = {"version": "2.0", "routeKey": "$default", "rawPath": "/v1/models", "headers": good["headers"],
                   "requestContext": {"http": {"method": "GET", "path": "/v1/models"}, "apiId": "abc123",
                                      "stage": "$default", "requestId": "r"}}
    no_api = {**good, "requestContext": {k: v for k, v in good["requestContext"].items() if k != "apiId"}}
    return [{}, {"path": "/key/list"}, no_context, http_api_v2, no_api,
            {**good, "requestContext": "forged"}, {"source": "aws.events", "detail-type": "Scheduled Event"}]


def test_events_that_are_not_from_api_gateway_are_refused(handler) -> None:  # type: ignore[no-untyped-def]
    for event in _crafted():
        assert _refused(handler(event, None)), event
    assert handler(rest_event("GET", "/v1/models"), None)["statusCode"] == 200


def test_api_id_and_stage_are_checked_when_configured(handler, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TOLLWAY_API_ID", "other1, abc123")
    monkeypatch.setenv("TOLLWAY_STAGE", "prod")
    assert handler(rest_event("GET", "/v1/models"), None)["statusCode"] == 200
    for field, value in (("apiId", "evil99"), ("stage", "dev")):
        event = rest_event("GET", "/v1/models")
        event["requestContext"][field] = value
        assert _refused(handler(event, None)), field


ADMIN_PATHS = [("GET", "/key/list"), ("GET", "/user/list"), ("GET", "/audit"), ("POST", "/key/generate"),
               ("POST", "/user/new"), ("GET", "/health")]
TRICKS = ["/v1/..{p}", "/v1/%2e%2e{p}", "/v1/%2E%2E{p}", "/v1/models/../..{p}", "/v1/models/%2e%2e/%2e%2e{p}",
          "/health/liveliness/../..{p}", "/health/%2e%2e{p}", "/.{p}", "/%2e{p}", "//{p}",
          "/v1/models/..%2f..%2f{q}", "/v1/chat/completions/%2e%2e/%2e%2e{p}", "{p}/.", "{p}%2f"]


def trick_paths() -> list[tuple[str, str]]:
    """Each admin route disguised every way, plus what a normalising adapter would make of it."""
    out = []
    for method, path in ADMIN_PATHS:
        for trick in TRICKS:
            raw = trick.format(p=path, q=path.lstrip("/").replace("/", "%2f"))
            out.append((method, raw))
            out.append((method, posixpath.normpath(unquote(raw)).replace("//", "/")))
    return out


def test_dot_segments_never_reach_admin_routes_without_credentials(handler) -> None:  # type: ignore[no-untyped-def]
    reached = []
    for method, path in trick_paths():
        event = rest_event(method, path, {} if method == "POST" else None,
                           headers={"Authorization": ""})
        event["headers"].pop("Authorization")
        event["multiValueHeaders"].pop("Authorization")
        response = handler(event, None)
        if response["statusCode"] not in (401, 404, 405, 307):  # 307: Starlette's trailing-slash redirect
            reached.append(f"{method} {path}: {response['statusCode']} {_body(response)[:80]}")
    assert not reached, "\n".join(reached)
