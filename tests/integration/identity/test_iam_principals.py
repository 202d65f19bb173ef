"""IAM callers: the principal from a Mangum event and from the Lambda Web Adapter header.

The Mangum tests drive ``tollway.handler.handler`` with API Gateway REST events whose
``requestContext.identity.userArn`` API Gateway would have filled after checking SigV4.
The LWA tests send ``x-amzn-request-context`` to the app on a socket, which must be
ignored unless the gateway runs on Lambda behind API Gateway and is told to trust it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.test_lambda_handler import _body, rest_event

ROLE = "arn:aws:iam::123456789012:role/app-runner"
SESSION = "arn:aws:sts::123456789012:assumed-role/app-runner/i-0abc123"
CONFIG = f"""
model_list:
  - model_name: gpt-4o-mini
    litellm_params: {{model: mock/gpt-4o-mini}}
  - model_name: big-model
    litellm_params: {{model: mock/big-model}}
general_settings: {{master_key: {MASTER_KEY}}}
"""
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello iam"}]}


@pytest.fixture
def handler(tmp_path, monkeypatch, table_prefix):  # type: ignore[no-untyped-def]
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    monkeypatch.setenv("TOLLWAY_CONFIG", str(config))
    monkeypatch.setattr("tollway.gateway._default", None)
    from tollway import handler as module

    module.app.state.gateway = None
    yield module.handler
    module.app.state.gateway = None


def iam_event(method: str, path: str, body: Any = None, *, arn: str | None, headers: dict[str, str] | None = None,
              http_api: bool = False) -> dict[str, Any]:
    event = rest_event(method, path, body, headers=headers)
    event["headers"].pop("Authorization")
    event["multiValueHeaders"].pop("Authorization")
    if http_api:
        event["requestContext"]["authorizer"] = {"iam": {"userArn": arn, "accountId": "123456789012"}}
    else:
        event["requestContext"]["identity"]["userArn"] = arn
    return event


def admin_event(method: str, path: str, body: Any = None) -> dict[str, Any]:
    return rest_event(method, path, body)


def test_mapped_role_session_is_its_team(handler) -> None:  # type: ignore[no-untyped-def]
    team = json.loads(_body(handler(admin_event("POST", "/team/new", {"team_id": "iam-team",
                                                                       "models": ["gpt-4o-mini"]}), None)))
    assert team["team_id"] == "iam-team"
    mapped = handler(admin_event("POST", "/iam/principal/new", {"principal_arn": ROLE, "team_id": "iam-team"}), None)
    assert mapped["statusCode"] == 200

    answer = handler(iam_event("POST", "/v1/chat/completions", CHAT, arn=SESSION), None)
    assert answer["statusCode"] == 200, _body(answer)
    assert "hello iam" in json.loads(_body(answer))["choices"][0]["message"]["content"]
    denied = handler(iam_event("POST", "/v1/chat/completions", {**CHAT, "model": "big-model"}, arn=SESSION), None)
    assert denied["statusCode"] == 403  # the team's allowlist applies to its principals
    http_api = handler(iam_event("POST", "/v1/chat/completions", CHAT, arn=SESSION, http_api=True), None)
    assert http_api["statusCode"] == 200


def test_unmapped_principal_is_403_unless_a_default_team(handler, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    stranger = "arn:aws:sts::999999999999:assumed-role/other/s1"
    refused = handler(iam_event("POST", "/v1/chat/completions", CHAT, arn=stranger), None)
    assert refused["statusCode"] == 403
    assert json.loads(_body(refused))["error"]["code"] == "principal_not_mapped"

    handler(admin_event("POST", "/team/new", {"team_id": "fallback"}), None)
    monkeypatch.setenv("TOLLWAY_IAM_DEFAULT_TEAM", "fallback")
    from tollway import handler as module

    module.app.state.gateway = None
    monkeypatch.setattr("tollway.gateway._default", None)
    assert handler(iam_event("POST", "/v1/chat/completions", CHAT, arn=stranger), None)["statusCode"] == 200


def test_wildcard_mapping_and_admin_role(handler) -> None:  # type: ignore[no-untyped-def]
    created = handler(admin_event("POST", "/iam/principal/new", {
        "principal_arn": "arn:aws:iam::222222222222:role/ops-*", "role": "proxy_admin"}), None)
    assert created["statusCode"] == 200
    arn = "arn:aws:sts::222222222222:assumed-role/ops-oncall/alice"
    listed = handler(iam_event("GET", "/iam/principal/list", arn=arn), None)
    assert listed["statusCode"] == 200
    assert any(p["principal_arn"].endswith("ops-*") for p in json.loads(_body(listed)))
    audit = json.loads(_body(handler(iam_event("GET", "/audit", arn=arn, headers={}), None)))
    assert audit["entries"]


def test_virtual_key_in_x_tollway_api_key(handler) -> None:  # type: ignore[no-untyped-def]
    handler(admin_event("POST", "/team/new", {"team_id": "keyed"}), None)
    handler(admin_event("POST", "/iam/principal/new", {
        "principal_arn": "arn:aws:iam::333333333333:role/keyed", "team_id": "keyed"}), None)
    key = json.loads(_body(handler(admin_event("POST", "/key/generate", {"models": ["big-model"]}), None)))["key"]
    arn = "arn:aws:sts::333333333333:assumed-role/keyed/s"
    body = {**CHAT, "model": "big-model"}
    assert handler(iam_event("POST", "/v1/chat/completions", body, arn=arn), None)["statusCode"] == 200
    with_key = handler(iam_event("POST", "/v1/chat/completions", CHAT, arn=arn,
                                 headers={"x-tollway-api-key": key}), None)
    assert with_key["statusCode"] == 403  # the key's own allowlist (big-model only) now applies
    bad = handler(iam_event("POST", "/v1/chat/completions", CHAT, arn=arn, headers={"x-tollway-api-key": "sk-no"}),
                  None)
    assert bad["statusCode"] == 401


# ---------------------------------------------------------------------- Lambda Web Adapter header

def _lwa_headers(arn: str) -> dict[str, str]:
    return {"x-amzn-request-context": json.dumps({"identity": {"userArn": arn}, "requestId": "r-1"})}


@pytest.fixture
def lwa_gateway(start_gateway, table_prefix, monkeypatch):  # type: ignore[no-untyped-def]
    gateway = start_gateway({"model_list": [{"model_name": "gpt-4o-mini",
                                             "litellm_params": {"model": "mock/gpt-4o-mini"}}]})
    admin = httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {MASTER_KEY}"})
    admin.post("/team/new", json={"team_id": "lwa-team"})
    admin.post("/iam/principal/new", json={"principal_arn": "arn:aws:iam::444444444444:role/lwa",
                                           "team_id": "lwa-team"})
    yield gateway
    admin.close()


def test_lwa_header_is_trusted_only_on_lambda_when_configured(lwa_gateway, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    headers = _lwa_headers("arn:aws:sts::444444444444:assumed-role/lwa/session")
    url = f"{lwa_gateway.url}/v1/chat/completions"
    # local mode: the header is ignored, so without a key the caller is unauthenticated
    assert httpx.post(url, json=CHAT, headers=headers).status_code == 401
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "tollway-fn")
    assert httpx.post(url, json=CHAT, headers=headers).status_code == 401  # not told to trust it
    monkeypatch.setenv("TOLLWAY_TRUST_REQUEST_CONTEXT_HEADER", "true")
    answer = httpx.post(url, json=CHAT, headers=headers)
    assert answer.status_code == 200, answer.text
    stranger = httpx.post(url, json=CHAT, headers=_lwa_headers("arn:aws:iam::444444444444:role/other"))
    assert stranger.status_code == 403
