"""Wildcard entries and aliases in the config: pattern matching, filling, validation."""

from __future__ import annotations

import pytest

from tollway.config import wildcards
from tollway.config.loader import parse_config
from tollway.config.models import ANY_PROVIDER
from tollway.errors import ConfigError


@pytest.mark.parametrize(("model_name", "template", "requested", "expected"), [
    ("*", "*", "anthropic/claude-sonnet-4-5", "anthropic/claude-sonnet-4-5"),
    ("*", "openai/*", "gpt-4o", "openai/gpt-4o"),
    ("*", "openai/*", "openai/gpt-4o", "openai/gpt-4o"),
    ("anthropic/*", "anthropic/*", "anthropic/claude-x", "anthropic/claude-x"),
    ("claude-*", "anthropic/claude-*", "claude-haiku-4-5", "anthropic/claude-haiku-4-5"),
    ("claude-*", "anthropic/claude-sonnet-4-5", "claude-anything", "anthropic/claude-sonnet-4-5"),
    ("openrouter/*", "openrouter/*", "openrouter/meta/llama-3", "openrouter/meta/llama-3"),
])
def test_match_and_fill(model_name: str, template: str, requested: str, expected: str) -> None:
    captures = wildcards.match(model_name, requested)
    assert captures is not None
    assert wildcards.fill(template, captures) == expected


def test_patterns_match_whole_names_and_need_a_non_empty_star() -> None:
    assert wildcards.match("anthropic/*", "openai/gpt-4o") is None
    assert wildcards.match("anthropic/*", "anthropic/") is None
    assert wildcards.match("a.b/*", "axb/c") is None  # the dot is literal
    assert wildcards.specificity("anthropic/*") > wildcards.specificity("*")


def test_litellm_wildcard_configs_load() -> None:
    config = parse_config({"model_list": [
        {"model_name": "*", "litellm_params": {"model": "*"}},
        {"model_name": "openai/*", "litellm_params": {"model": "openai/*", "api_key": "os.environ/OPENAI_API_KEY"}},
    ], "router_settings": {"model_group_alias": {"gpt-4": "gpt-4o", "old": {"model": "gpt-4o", "hidden": True}}}})
    anything, openai = config.model_list
    assert anything.is_pattern and anything.provider == ANY_PROVIDER
    assert openai.provider == "openai"
    aliases = config.router_settings.aliases()
    assert aliases["gpt-4"].model == "gpt-4o" and not aliases["gpt-4"].hidden
    assert aliases["old"].hidden


def test_a_star_the_model_name_cannot_fill_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"model_list\[0\] \(model_name 'gpt-4o'\).*'\*'"):
        parse_config({"model_list": [{"model_name": "gpt-4o", "litellm_params": {"model": "openai/*"}}]})
    with pytest.raises(ConfigError, match="unknown provider 'nosuch'"):
        parse_config({"model_list": [{"model_name": "*", "litellm_params": {"model": "nosuch/*"}}]})


def test_names_module_is_a_leaf_matching_the_registries() -> None:
    from tollway.config import names
    from tollway.providers.registry import PROVIDERS
    from tollway.routing.strategies import STRATEGIES

    assert set(PROVIDERS) == names.PROVIDER_NAMES
    assert tuple(STRATEGIES) == names.STRATEGY_NAMES


def test_an_alias_must_name_a_served_model() -> None:
    entries = [{"model_name": "gpt-4o", "litellm_params": {"model": "openai/gpt-4o"}},
               {"model_name": "anthropic/*", "litellm_params": {"model": "anthropic/*"}}]
    parse_config({"model_list": entries, "router_settings": {"model_group_alias": {"claude": "anthropic/claude-x"}}})
    with pytest.raises(ConfigError, match=r"^config: router_settings\.model_group_alias\.gpt-4: 'gpt-5' is not a"):
        parse_config({"model_list": entries, "router_settings": {"model_group_alias": {"gpt-4": "gpt-5"}}})


def test_the_example_config_serves_claude_names_offline() -> None:
    from pathlib import Path

    from tollway.config.loader import load_config
    from tollway.routing.groups import ModelGroups

    config = load_config(Path(__file__).parents[3] / "config.example.yaml")
    [deployment] = ModelGroups(config).resolve("claude-sonnet-4-5-20250929") or []
    assert deployment.litellm_params.model == "mock/claude-sonnet-4-5-20250929"
