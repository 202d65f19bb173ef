"""``router_settings.enable_tag_filtering``: deployments with ``litellm_params.tags`` serve requests carrying one
of them; ``default`` deployments serve the rest (LiteLLM's rules), through the running app."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.integration.routing.test_router import MESSAGES, client_for, deployment, upstreams

__all__ = ["upstreams"]


def _tagged(name: str, fake: Any, ident: str, tags: list[str] | None) -> dict[str, Any]:
    extra = {"tags": tags} if tags is not None else {}
    return deployment(name, fake, model_info={"id": ident}, **extra)


def _served(client: openai.OpenAI, model: str = "m", **options: Any) -> str:
    raw = client.chat.completions.with_raw_response.create(model=model, messages=MESSAGES, **options)
    return raw.headers["x-tollway-deployment"]


def test_tags_choose_deployments(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    team_a, team_b, fallback = upstreams(), upstreams(), upstreams()
    gateway = start_gateway({
        "model_list": [_tagged("m", team_a, "a", ["teamA"]), _tagged("m", team_b, "b", ["teamB", "paid"]),
                       _tagged("m", fallback, "d", ["default"])],
        "router_settings": {"enable_tag_filtering": True},
    })
    client = client_for(gateway)
    for _ in range(3):
        assert _served(client, extra_body={"tags": ["teamA"]}) == "a"
        assert _served(client, extra_headers={"x-litellm-tags": "paid"}) == "b"
        assert _served(client) == "d"  # untagged requests go to the default deployment
        assert _served(client, extra_body={"tags": ["nobody"]}) == "d"  # unmatched tags too
    assert len(team_a.requests) == 3 and len(team_b.requests) == 3 and len(fallback.requests) == 6


def test_without_a_default_unmatched_tags_are_a_400(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    tagged, plain = upstreams(), upstreams()
    gateway = start_gateway({
        "model_list": [_tagged("m", tagged, "t", ["teamA"]), _tagged("m", plain, "p", None)],
        "router_settings": {"enable_tag_filtering": True},
    })
    client = client_for(gateway)
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="m", messages=MESSAGES, extra_body={"tags": ["other"]})  # type: ignore[arg-type]
    assert raised.value.code == "no_deployments_with_tag_routing"
    assert {_served(client) for _ in range(8)} == {"t", "p"}  # no default: untagged requests use the whole group
    assert tagged.requests == [] or all("tags" not in body for body in tagged.requests)


def test_tags_are_ignored_for_routing_when_filtering_is_off(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    only = upstreams()
    gateway = start_gateway({"model_list": [_tagged("m", only, "o", ["teamA"])]})
    client = client_for(gateway)
    assert _served(client, extra_body={"tags": ["teamB"]}) == "o"
    assert "tags" not in only.requests[-1]  # a gateway field: never sent upstream
    assert _served(client, metadata={"tags": ["teamB"], "purpose": "eval"}) == "o"
    assert only.requests[-1]["metadata"] == {"purpose": "eval"}  # nor is metadata.tags
