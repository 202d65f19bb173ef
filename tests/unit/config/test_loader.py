"""Config loading: LiteLLM's schema in, one readable line out for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from tollway.config import load_config
from tollway.config.loader import parse_config
from tollway.errors import ConfigError

LITELLM_CONFIG = """
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
      rpm: 600
      tpm: 1000000
      weight: 2
      timeout: 60
      input_cost_per_token: 0.0000025
      output_cost_per_token: 0.00001
    model_info: {id: gpt4o-east, max_input_tokens: 128000}
  - model_name: gpt-4o
    litellm_params: {model: azure/my-gpt4o, api_base: https://x.openai.azure.com, api_version: "2024-10-21"}
  - model_name: claude
    litellm_params: {model: anthropic/claude-sonnet-4-5, api_key: secretsmanager/prod/keys#ANTHROPIC}
  - model_name: bare
    litellm_params: {model: gpt-4o-mini}
router_settings: {routing_strategy: simple-shuffle, num_retries: 2, timeout: 60, allowed_fails: 3, cooldown_time: 30,
                  fallbacks: [{gpt-4o: [claude]}], context_window_fallbacks: [{gpt-4o: [claude]}]}
litellm_settings: {drop_params: true, set_verbose: false, success_callback: ["langfuse"]}
general_settings: {master_key: os.environ/TOLLWAY_MASTER_KEY, model_cost_map_sync: true, database_url: "x"}
environment_variables: {TOLLWAY_TEST_FROM_CONFIG: "hello"}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_a_litellm_config_loads_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOLLWAY_TEST_FROM_CONFIG", raising=False)
    config = load_config(write(tmp_path, LITELLM_CONFIG))
    groups = config.groups()
    assert list(groups) == ["gpt-4o", "claude", "bare"]
    first, second = groups["gpt-4o"]
    assert (first.provider, first.upstream_model, first.id) == ("openai", "gpt-4o", "gpt4o-east")
    assert second.provider == "azure" and len(second.id) == 12
    assert groups["bare"][0].provider == "openai"
    assert first.litellm_params.api_key == "os.environ/OPENAI_API_KEY"  # kept as written: resolved lazily
    assert config.router_settings.num_retries == 2 and config.litellm_settings.drop_params is True
    assert config.router_settings.fallbacks == [{"gpt-4o": ["claude"]}]
    assert config.default_timeout == 60
    import os

    assert os.environ["TOLLWAY_TEST_FROM_CONFIG"] == "hello"


def test_empty_file_is_an_empty_config(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")).model_list == []
    assert load_config(write(tmp_path, "model_list:\n")).model_list == []


@pytest.mark.parametrize(("text", "expected"), [
    ("model_list: [\n  - a", "invalid YAML at line"),
    ("- just\n- a list\n", "top level must be a mapping"),
    ("model_list:\n  - model_name: x\n    litellm_params: {model: foo/bar}\n",
     "model_list[0] (model_name 'x'): unknown provider 'foo' in model 'foo/bar'"),
    ("model_list:\n  - model_name: x\n    litellm_params: {api_key: k}\n",
     "model_list[0].litellm_params.model (model_name 'x'): Field required"),
    ("model_list:\n  - model_name: x\n    litellm_params: {model: llama3}\n", "needs a provider prefix"),
    ("model_list:\n  - model_name: x\n    litellm_params: {model: openai/x, rpm: lots}\n",
     "model_list[0].litellm_params.rpm (model_name 'x')"),
    ("router_settings: {num_retries: -1}\n", "router_settings.num_retries"),
    ("router_settings: {routing_strategy: fastest}\n", "router_settings.routing_strategy: unknown strategy 'fastest'"),
])
def test_mistakes_are_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    message = str(info.value)
    assert expected in message, message
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(str(tmp_path / "config.yaml"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "nope.yaml")


def test_more_problems_are_counted() -> None:
    with pytest.raises(ConfigError, match=r"and 2 more problems"):
        parse_config({"model_list": [{"model_name": "a", "litellm_params": {}}, {"litellm_params": {}}]})


def test_the_example_config_is_valid() -> None:
    config = load_config(Path(__file__).parents[3] / "config.example.yaml")
    assert {d.provider for d in config.model_list} == {"mock"}


def test_router_keys_under_litellm_settings_fill_what_router_settings_leaves_unset() -> None:
    config = parse_config({
        "model_list": [{"model_name": "a", "litellm_params": {"model": "mock/a"}},
                       {"model_name": "b", "litellm_params": {"model": "mock/b"}}],
        "router_settings": {"allowed_fails": 7, "content_policy_fallbacks": [{"a": ["b"]}]},
        "litellm_settings": {"num_retries": 4, "allowed_fails": 1, "cooldown_time": 9, "fallbacks": [{"a": ["b"]}],
                             "content_policy_fallbacks": [{"b": ["a"]}], "default_fallbacks": ["b"],
                             "max_fallbacks": 2, "request_timeout": 12},
    })
    router = config.router_settings
    assert router.num_retries == 4 and router.allowed_fails == 7 and router.cooldown_time == 9
    assert router.fallbacks == [{"a": ["b"]}] and router.content_policy_fallbacks == [{"a": ["b"]}]
    assert router.default_fallbacks == ["b"] and (router.model_extra or {})["max_fallbacks"] == 2
    assert config.default_timeout == 12


def test_a_deployment_id_is_computed_once_and_read_as_a_plain_attribute(tmp_path: Path) -> None:
    """The router, meter and tracing read ``Deployment.id`` many times a request: after the first read it must not
    go through pydantic's ``__getattr__`` (a private attribute did, raising and catching inside on every read)."""
    config = load_config(write(tmp_path, LITELLM_CONFIG))
    first, second = config.groups()["gpt-4o"]
    computed = second.id
    assert len(computed) == 12 and second.model_dump() == config.groups()["gpt-4o"][1].model_dump()
    assert "id" not in second.model_dump()  # not a field: dumps, equality and the schema are unchanged
    original = type(second).__getattr__  # type: ignore[attr-defined]

    def refuse(self: object, name: str) -> object:
        raise AssertionError(f"{name} read through pydantic's __getattr__")

    type(second).__getattr__ = refuse  # type: ignore[attr-defined,assignment]
    try:
        assert second.id == computed and first.id == "gpt4o-east"
    finally:
        type(second).__getattr__ = original  # type: ignore[attr-defined]
