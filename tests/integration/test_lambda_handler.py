"""``tollway.handler.handler`` answering real API Gateway REST (v1 proxy) events through Mangum."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.conftest import MASTER_KEY

CONFIG = f"""
model_list:
  - model_name: gpt-4o-mini
    litellm_params: {{model: mock/gpt-4o-mini}}
general_settings: {{master_key: {MASTER_KEY}}}
"""


def rest_event(method: str, path: str, body: Any = None, *, base64_body: bool = False,
               headers: dict[str, str] | None = None) -> dict[str, Any]:
    raw = json.dumps(body) if body is not None else None
    if raw is not None and base64_body:
        raw = base64.b64encode(raw.encode()).decode()
    all_headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", "Content-Type": "application/json",
                   "Authorization": f"Bearer {MASTER_KEY}", "X-Forwarded-Proto": "https", **(headers or {})}
    return {
        "resource": "/{proxy+}", "path": path, "httpMethod": method,
        "headers": all_headers, "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")}, "stageVariables": None,
        "requestContext": {
            "resourceId": "abc", "resourcePath": "/{proxy+}", "httpMethod": method, "path": f"/prod{path}",
            "accountId": "123456789012", "stage": "prod", "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "protocol": "HTTP/1.1", "requestTimeEpoch": 1700000000000, "apiId": "abc123", "domainName":
            "abc123.execute-api.us-east-1.amazonaws.com",
            "identity": {"sourceIp": "10.0.0.1", "userAgent": "openai-python", "userArn": None, "caller": None,
                         "accessKey": None, "accountId": None, "user": None, "cognitoIdentityId": None},
        },
        "body": raw, "isBase64Encoded": base64_body,
    }


@pytest.fixture
def handler(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    monkeypatch.setenv("TOLLWAY_CONFIG", str(config))
    monkeypatch.setattr("tollway.gateway._default", None)
    from tollway import handler as module

    module.app.state.gateway = None  # the module-level app builds its gateway on first request
    return module.handler


def _body(response: dict[str, Any]) -> str:
    body = response["body"]
    return base64.b64decode(body).decode() if response.get("isBase64Encoded") else body  # type: ignore[no-any-return]


def test_chat_completion_event(handler) -> None:  # type: ignore[no-untyped-def]
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello lambda"}]}
    response = handler(rest_event("POST", "/v1/chat/completions", body), None)
    assert response["statusCode"] == 200
    data = json.loads(_body(response))
    assert data["choices"][0]["message"]["content"].endswith("You said: hello lambda")
    headers = {k.lower(): v for k, v in response["headers"].items()}
    assert headers["x-request-id"] and "x-tollway-overhead-ms" in headers


def test_base64_encoded_body(handler) -> None:  # type: ignore[no-untyped-def]
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "encoded"}]}
    response = handler(rest_event("POST", "/chat/completions", body, base64_body=True), None)
    assert response["statusCode"] == 200
    assert "You said: encoded" in json.loads(_body(response))["choices"][0]["message"]["content"]


def test_stream_arrives_whole_in_buffered_mode(handler) -> None:  # type: ignore[no-untyped-def]
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "a b c"}], "stream": True,
            "stream_options": {"include_usage": True}}
    response = handler(rest_event("POST", "/v1/chat/completions", body), None)
    assert response["statusCode"] == 200
    events = [line[6:] for line in _body(response).split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text.endswith("You said: a b c")
    assert chunks[-1]["usage"]["total_tokens"] > 0


def test_errors_and_models_over_events(handler) -> None:  # type: ignore[no-untyped-def]
    response = handler(rest_event("GET", "/v1/models", headers={"Authorization": "Bearer nope"}), None)
    assert response["statusCode"] == 401
    assert json.loads(_body(response))["error"]["type"] == "authentication_error"
    response = handler(rest_event("GET", "/v1/models"), None)
    assert [m["id"] for m in json.loads(_body(response))["data"]] == ["gpt-4o-mini"]
    bad = rest_event("POST", "/v1/chat/completions")
    bad["body"] = '{"model": '
    assert handler(bad, None)["statusCode"] == 400


def test_several_invocations_share_one_runtime(handler) -> None:  # type: ignore[no-untyped-def]
    from tollway import handler as module

    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}
    handler(rest_event("POST", "/v1/chat/completions", body), None)
    first = module.app.state.gateway
    handler(rest_event("POST", "/v1/chat/completions", body), None)
    assert module.app.state.gateway is first
