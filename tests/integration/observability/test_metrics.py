"""``GET /metrics`` over HTTP: scraped after real calls through the OpenAI SDK, parsed as Prometheus text."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.identity.conftest import Admin
from tests.support.tables import fresh_tables

CONFIG = {"model_list": [
    {"model_name": "cheap", "litellm_params": {"model": "mock/cheap", "input_cost_per_token": 0.000001,
                                                "output_cost_per_token": 0.000002}},
]}
_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Prometheus text format 0.0.4: every line a comment or a well-formed sample (else the test fails)."""
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    types: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "histogram", "gauge"), line
            types[name] = kind
            continue
        if line.startswith("# HELP ") or not line:
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a valid sample line: {line!r}"
        name, labels, value = match.group(1), match.group(2) or "", match.group(3)
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or family in types, f"sample {name} without a TYPE"
        samples.setdefault(name, []).append((dict(_LABEL.findall(labels)), float(value)))
    return samples


def total(samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(v for found, v in samples.get(name, []) if all(found.get(k) == x for k, x in labels.items()))


@pytest.fixture(scope="module")
def table_prefix(dynamodb_endpoint: str) -> Iterator[str]:
    with fresh_tables("m") as prefix:
        yield prefix


def test_metrics_count_calls_by_model_and_team_for_admins_only(
        start_gateway: Callable[..., Any], table_prefix: str) -> None:
    from tollway.observability.prometheus import REGISTRY

    REGISTRY.reset()
    gateway = start_gateway(CONFIG)
    admin = Admin(gateway.url)
    team = admin.post("/team/new", {"team_id": f"team-{uuid.uuid4().hex[:6]}"})["team_id"]
    key = admin.post("/key/generate", {"team_id": team})["key"]
    client = openai.OpenAI(base_url=gateway.base_url, api_key=key, max_retries=0)
    usage = [client.chat.completions.create(model="cheap", messages=[{"role": "user", "content": f"hi {i}"}]).usage
             for i in range(3)]
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])

    response = httpx.get(f"{gateway.url}/metrics", headers={"Authorization": f"Bearer {MASTER_KEY}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = parse(response.text)
    assert total(samples, "tollway_requests_total", model="cheap", team=team, status="200") == 3
    assert total(samples, "tollway_errors_total", team=team, error_type="not_found_error") == 1
    assert total(samples, "tollway_tokens_total", model="cheap", team=team, direction="input") == \
        sum(u.prompt_tokens for u in usage if u)
    assert total(samples, "tollway_tokens_total", model="cheap", team=team, direction="output") == \
        sum(u.completion_tokens for u in usage if u)
    assert total(samples, "tollway_cost_usd_total", model="cheap", team=team) == pytest.approx(
        sum(u.prompt_tokens * 0.000001 + u.completion_tokens * 0.000002 for u in usage if u))
    assert total(samples, "tollway_request_duration_seconds_count", model="cheap", team=team) == 3
    infinite = [v for labels, v in samples["tollway_request_duration_seconds_bucket"]
                if labels.get("team") == team and labels.get("model") == "cheap" and labels["le"] == "+Inf"]
    assert infinite == [3]
    assert key not in response.text

    viewer = admin.post("/user/new", {"user_id": f"v-{uuid.uuid4().hex[:6]}", "user_role": "proxy_admin_viewer",
                                      "auto_create_key": False})["user_id"]
    viewer_key = admin.post("/key/generate", {"user_id": viewer})["key"]
    assert httpx.get(f"{gateway.url}/metrics", headers={"Authorization": f"Bearer {viewer_key}"}).status_code == 200
    denied = httpx.get(f"{gateway.url}/metrics", headers={"Authorization": f"Bearer {key}"})
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "admin_only"
    assert httpx.get(f"{gateway.url}/metrics").status_code == 401


def test_metrics_are_not_served_on_lambda(start_gateway: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = start_gateway(CONFIG)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "tollway")
    response = httpx.get(f"{gateway.url}/metrics", headers={"Authorization": f"Bearer {MASTER_KEY}"})
    assert response.status_code == 404
    assert "CloudWatch" in response.json()["error"]["message"]
