"""Which deployments serve a requested name: exact groups, aliases, wildcard patterns."""

from __future__ import annotations

from typing import Any

from tollway.config.loader import parse_config
from tollway.routing.groups import ModelGroups


def groups(model_list: list[dict[str, Any]], aliases: dict[str, Any] | None = None, **kw: Any) -> ModelGroups:
    config = parse_config({"model_list": model_list, "router_settings": {"model_group_alias": aliases or {}}})
    return ModelGroups(config, **kw)


LIST = [
    {"model_name": "gpt-4o", "litellm_params": {"model": "openai/gpt-4o", "rpm": 10}},
    {"model_name": "*", "litellm_params": {"model": "*", "api_base": "http://127.0.0.1:9/v1"}},
    {"model_name": "anthropic/*", "litellm_params": {"model": "anthropic/*", "api_key": "sk-a"},
     "model_info": {"access_groups": ["claude"]}},
]


def test_exact_name_wins_then_alias_then_the_most_specific_pattern() -> None:
    models = groups(LIST, {"gpt-4": "gpt-4o", "sonnet": "anthropic/claude-sonnet-4-5"})
    exact = models.resolve("gpt-4o")
    assert exact is not None and exact[0].litellm_params.model == "openai/gpt-4o" and exact[0].model_name == "gpt-4o"
    assert models.resolve("gpt-4") is exact
    [claude] = models.resolve("anthropic/claude-x") or []
    assert claude.model_name == "anthropic/claude-x" and claude.litellm_params.model == "anthropic/claude-x"
    assert claude.litellm_params.api_key == "sk-a" and claude.model_info.access_groups == ["claude"]
    [sonnet] = models.resolve("sonnet") or []
    assert sonnet.model_name == "anthropic/claude-sonnet-4-5"
    [mistral] = models.resolve("mistral/mistral-large") or []
    assert mistral.provider == "mistral" and mistral.litellm_params.api_base == "http://127.0.0.1:9/v1"


def test_concrete_deployments_have_their_own_ids_and_are_cached_within_a_bound() -> None:
    models = groups(LIST, max_concrete=2)
    first = models.resolve("anthropic/a")
    assert first is models.resolve("anthropic/a")
    assert first is not None and first[0].id != (models.resolve("anthropic/b") or [])[0].id
    models.resolve("anthropic/c")
    assert len(models._concrete) == 2 and "anthropic/a" not in models._concrete


def test_names_nothing_serves() -> None:
    models = groups(LIST[:1] + LIST[2:])
    assert models.resolve("gpt-5") is None
    assert models.resolve("anthropic/") is None
    everything = groups(LIST)
    assert everything.resolve("nosuch/model") is None  # model "*" with an unknown provider prefix
    assert everything.resolve("*") is None


def test_a_group_of_wildcard_entries_load_balances_per_concrete_model() -> None:
    models = groups([
        {"model_name": "openai/*", "litellm_params": {"model": "openai/*", "api_base": "http://a/v1"}},
        {"model_name": "openai/*", "litellm_params": {"model": "openai/*", "api_base": "http://b/v1"}},
    ])
    group = models.resolve("openai/gpt-4o") or []
    assert [d.litellm_params.api_base for d in group] == ["http://a/v1", "http://b/v1"]
    assert len({d.id for d in group}) == 2


def test_hidden_aliases_are_not_visible() -> None:
    models = groups(LIST, {"gpt-4": "gpt-4o", "legacy": {"model": "gpt-4o", "hidden": True}})
    assert models.visible_aliases() == {"gpt-4": "gpt-4o"}
    assert models.resolve("legacy") is models.resolve("gpt-4o")


def test_state_kept_per_concrete_deployment_is_bounded_with_the_cache() -> None:
    from tollway.gateway import Gateway

    gateway = Gateway(parse_config({"model_list": [{"model_name": "*", "litellm_params": {"model": "mock/*"}}]}))
    gateway.router.models.max_concrete = 3
    for n in range(20):
        [deployment] = gateway.router.group(f"model-{n}")
        gateway.provider(deployment)
        gateway.provider(deployment, drop_params=True)
        gateway.router.health.released(deployment.id)  # a finished call leaves stats behind
    assert len(gateway.router.models._concrete) == 3
    assert len(gateway._providers) == 6 and len(gateway.router.health._stats) == 3


def test_wildcard_served_models_are_priced_as_the_concrete_model() -> None:
    from tollway.metering.catalog import PriceCatalog

    models = groups([*LIST, {"model_name": "direct", "litellm_params": {"model": "anthropic/claude-haiku-4-5"}}])
    catalog = PriceCatalog()
    [concrete] = models.resolve("anthropic/claude-haiku-4-5") or []
    [direct] = models.resolve("direct") or []
    price = catalog.price(concrete)
    assert price is not None and price == catalog.price(direct)
    assert catalog.price((models.patterns["anthropic/*"])[0]) is None  # the pattern itself has no price


def test_fallbacks_of_a_wildcard_pattern_apply_to_the_models_it_serves() -> None:
    from tollway.errors import UpstreamError
    from tollway.routing.router import Router

    config = parse_config({"model_list": LIST, "router_settings": {
        "fallbacks": [{"anthropic/*": ["gpt-4o"]}, {"anthropic/claude-own": ["openai/o3"]}],
        "model_group_alias": {"gpt-4": "gpt-4o"}}})
    router = Router(config)
    error = UpstreamError("upstream failed")
    assert router.fallback_models("anthropic/claude-x", error, None) == ["gpt-4o"]
    assert router.fallback_models("anthropic/claude-own", error, None) == ["openai/o3"]  # its own chain wins
    assert router.fallback_models("gpt-4o", error, None) == []  # an exact group uses only its own chain
    assert router.models.pattern_of("mistral/x") == "*" and router.models.pattern_of("gpt-4o") is None
