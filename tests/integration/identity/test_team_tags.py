"""A key's team's tags (and its own, field and ``metadata.tags`` alike) join every request's tags, as in LiteLLM:
on the spend log and in tag routing."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import openai
import pytest

from tests.integration.identity.conftest import Admin


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:8]


def _logged_tags(admin: Admin, digest: str, count: int) -> list[list[str]]:
    """The request tags of ``digest``'s spend log rows, once ``count`` are there (bounded wait)."""
    rows: list[dict[str, Any]] = []
    for _ in range(50):
        rows = admin.get("/spend/logs", key_digest=digest, limit="100")["data"]
        if len(rows) >= count:
            break
        time.sleep(0.1)
    return sorted(row["request_tags"] for row in rows)


def test_team_and_key_tags_join_the_request_tags(gateway: Any, uid: str) -> None:
    admin = Admin(gateway.url)
    team = admin.post("/team/new", {"team_id": f"team-{uid}", "tags": [f"team-{uid}"],
                                    "metadata": {"tags": [f"team-meta-{uid}"]}})["team_id"]
    made = admin.post("/key/generate", {"team_id": team, "tags": [f"key-{uid}"],
                                        "metadata": {"tags": [f"key-meta-{uid}"]}})
    client = openai.OpenAI(base_url=gateway.base_url, api_key=made["key"], max_retries=0)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                   extra_body={"tags": [f"req-{uid}", f"team-{uid}"]})
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    inherited = [f"key-{uid}", f"key-meta-{uid}", f"team-{uid}", f"team-meta-{uid}"]
    assert _logged_tags(admin, made["token"], 2) == sorted([
        [f"req-{uid}", f"team-{uid}", f"key-{uid}", f"key-meta-{uid}", f"team-meta-{uid}"], inherited])


def test_a_team_tag_routes_its_keys_requests(start_gateway: Callable[..., Any], table_prefix: str,
                                             uid: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With tag filtering on, a key whose team is tagged ``eu`` is served by the deployment tagged ``eu``."""
    monkeypatch.setenv("TOLLWAY_AUTH_CACHE_TTL", "30")
    gw = start_gateway({"model_list": [
        {"model_name": "m", "litellm_params": {"model": "mock/m-us", "tags": ["default"]}},
        {"model_name": "m", "litellm_params": {"model": "mock/m-eu", "tags": [f"eu-{uid}"]}},
    ], "router_settings": {"enable_tag_filtering": True}})
    admin = Admin(gw.url)
    tagged = admin.post("/team/new", {"team_id": f"eu-team-{uid}", "tags": [f"eu-{uid}"]})["team_id"]
    plain = admin.post("/team/new", {"team_id": f"us-team-{uid}"})["team_id"]
    served = {}
    for team in (tagged, plain):
        key = admin.post("/key/generate", {"team_id": team})["key"]
        client = openai.OpenAI(base_url=gw.base_url, api_key=key, max_retries=0)
        served[team] = {client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}]).model
                        for _ in range(4)}
    assert served == {tagged: {"m-eu"}, plain: {"m-us"}}
