"""No key ignored in silence: a corpus of LiteLLM-style configs, each with exactly its unhonoured keys named."""

from __future__ import annotations

import pytest
import yaml

from tollway.config.loader import parse_config
from tollway.config.unhonoured import (
    CALL_DEFAULT_NAMES,
    PRICE_OVERRIDE_NAMES,
    PROVIDER_SETTINGS,
    unhonoured_keys,
    warning_line,
)
from tollway.errors import ConfigError

CORPUS: list[tuple[str, str, list[str]]] = [
    ("minimal", """
model_list:
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, api_key: os.environ/OPENAI_API_KEY}
""", []),
    ("every-declared-field", """
model_list:
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, rpm: 10, tpm: 100, weight: 1, timeout: 5, temperature: 0.2,
                     max_tokens: 100, input_cost_per_token: 0.1, cache_read_input_token_cost: 0.01}
    model_info: {id: a, max_input_tokens: 100, base_model: openai/gpt-4o}
router_settings: {routing_strategy: least-busy, num_retries: 2, allowed_fails: 1, retry_policy: {}, max_fallbacks: 2}
litellm_settings: {drop_params: true, request_timeout: 30}
general_settings: {master_key: sk-1, model_cost_map_sync: false}
""", []),
    ("callbacks", """
model_list: []
litellm_settings:
  callbacks: ["otel", "datadog"]
  success_callback: ["langsmith"]
  failure_callback: ["sentry"]
  service_callback: ["prometheus_system"]
general_settings: {otel: true}
""", ["litellm_settings.callbacks: datadog", "litellm_settings.success_callback: langsmith",
      "litellm_settings.failure_callback: sentry", "litellm_settings.service_callback: prometheus_system"]),
    ("cache-and-alerting", """
litellm_settings: {cache: true, cache_params: {type: redis}, set_verbose: true}
general_settings: {alerting: ["slack"], alerting_threshold: 300, database_url: postgres://x}
""", ["litellm_settings.cache", "litellm_settings.cache_params", "litellm_settings.set_verbose",
      "general_settings.alerting", "general_settings.alerting_threshold", "general_settings.database_url"]),
    ("top-level-sections", """
model_list:
  - model_name: m
    litellm_params: {model: mock/m}
guardrails:
  - guardrail_name: pii
    litellm_params: {guardrail: presidio, mode: pre_call, presidio_analyzer_api_base: "http://127.0.0.1:9",
                     presidio_anonymizer_api_base: "http://127.0.0.1:9"}
credential_list: []
mcp_servers: {}
""", ["mcp_servers"]),
    ("router-extras", """
router_settings: {routing_strategy: simple-shuffle, redis_host: localhost, enable_tag_filtering: true,
                  health_check_cache_seconds: 5, retry_after_max: 3}
""", ["router_settings.redis_host"]),
    ("params-extras", """
model_list:
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, extra_headers: {x: y}, organization: org-1, tags: [a], seed: 1}
  - model_name: gpt-4o-mini
    litellm_params: {model: openai/gpt-4o-mini, tags: [b], litellm_credential_name: cred}
  - model_name: titan
    litellm_params: {model: bedrock/amazon.titan-text, extra_body: {x: 1}, organization: o, tags: [c]}
credential_list: [{credential_name: cred, credential_values: {api_key: k}}]
""", ["model_list[titan].litellm_params.extra_body", "model_list[titan].litellm_params.organization"]),
    ("provider-specific", """
model_list:
  - model_name: claude
    litellm_params: {model: bedrock/anthropic.claude-3, aws_region: us-east-1, aws_profile_name: p,
                     vertex_project: wrong-provider, anthropic_beta: [context-1m-2025-08-07]}
  - model_name: gem
    litellm_params: {model: vertex_ai/gemini-2.0-flash, vertex_project: p, vertex_location: us-central1}
  - model_name: local
    litellm_params: {model: ollama/llama3, num_ctx: 8192, keep_alive: 5m, anthropic_beta: x}
""", ["model_list[claude].litellm_params.vertex_project", "model_list[local].litellm_params.anthropic_beta"]),
    ("model-info-and-entry-extras", """
model_list:
  - model_name: m
    litellm_params: {model: mock/m, mock_response: hi}
    model_info: {id: x, supports_vision: true, description: d}
    tpm: 5
""", ["model_list[m].model_info.supports_vision", "model_list[m].model_info.description", "model_list[m].tpm"]),
    ("mixed-real-world", """
model_list:
  - model_name: gpt-4o
    litellm_params: {model: azure/gpt-4o, api_base: https://x.openai.azure.com, api_version: "2024-10-21",
                     tenant_id: t, client_id: c, client_secret: s, azure_scope: sc, max_retries: 2}
router_settings: {num_retries: 3, fallbacks: [{gpt-4o: [gpt-4o]}], model_group_alias: {gpt4: gpt-4o}}
litellm_settings: {drop_params: true, num_retries: 3, success_callback: ["langfuse", "prometheus", "helicone"],
                   json_logs: true}
general_settings: {master_key: sk-1, disable_spend_logs: true, enforce_user_param: true, strict_config: false,
                   ui_oidc: {issuer: "https://login.example.com", client_id: c}}
environment_variables: {TOLLWAY_UNHONOURED_TEST: "1"}
""", ["litellm_settings.json_logs", "litellm_settings.success_callback: helicone"]),
]


@pytest.mark.parametrize(("name", "text", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_the_warning_names_exactly_the_unhonoured_keys(name: str, text: str, expected: list[str]) -> None:
    config = parse_config(yaml.safe_load(text) or {}, source=name)
    assert sorted(unhonoured_keys(config)) == sorted(expected)
    line = warning_line(config)
    if not expected:
        assert line is None
    else:
        assert line is not None and "\n" not in line
        for key in expected:
            assert key in line


def test_strict_config_refuses_an_unknown_integration() -> None:
    data = {"litellm_settings": {"callbacks": ["otel", "datadog"]}, "general_settings": {"strict_config": True}}
    with pytest.raises(ConfigError, match=r"strict.*: unknown integration litellm_settings.callbacks: datadog"):
        parse_config(data, source="strict")
    data["litellm_settings"] = {"callbacks": ["otel", "prometheus"]}
    assert unhonoured_keys(parse_config(data, source="strict")) == []


def test_declared_fields_count_as_honoured_without_listing_them() -> None:
    """A field added to the pydantic models is honoured at once: nothing here lists declared fields."""
    from tollway.config.models import GeneralSettings

    data = {"general_settings": {name: field.get_default(call_default_factory=True)
                                 for name, field in GeneralSettings.model_fields.items()}}
    assert unhonoured_keys(parse_config(data)) == []


def test_the_name_tables_match_what_the_code_reads() -> None:
    from tollway.metering.catalog import PRICE_FIELDS
    from tollway.providers.base import CALL_DEFAULTS
    from tollway.providers.ollama.request import OPTION_SETTINGS, TOP_LEVEL_SETTINGS

    assert frozenset(CALL_DEFAULTS) == CALL_DEFAULT_NAMES
    assert frozenset(PRICE_FIELDS) == PRICE_OVERRIDE_NAMES
    assert PROVIDER_SETTINGS["ollama"] == frozenset(TOP_LEVEL_SETTINGS + OPTION_SETTINGS)


def test_key_generate_params_name_the_fields_that_do_nothing() -> None:
    config = parse_config({
        "litellm_settings": {"default_key_generate_params": {"max_budget": 1, "allowed_routes": ["x"]},
                             "upperbound_key_generate_params": {"max_budget": 9, "models": ["a"]}},
        "general_settings": {"default_key_generate_params": {"team_id": "t", "key_type": "llm_api"}},
    })
    assert unhonoured_keys(config) == ["litellm_settings.default_key_generate_params.allowed_routes",
                                       "litellm_settings.upperbound_key_generate_params.models",
                                       "general_settings.default_key_generate_params.key_type"]


def test_default_internal_user_params_names_all_but_available_teams() -> None:
    config = parse_config({"litellm_settings": {"default_internal_user_params": {
        "available_teams": ["a"], "user_role": "internal_user", "max_budget": 5}}})
    assert unhonoured_keys(config) == ["litellm_settings.default_internal_user_params.user_role",
                                       "litellm_settings.default_internal_user_params.max_budget"]


def test_the_key_generate_tables_match_the_request_model() -> None:
    from tollway.config.unhonoured import KEY_BOUND_FIELDS, KEY_GENERATE_FIELDS
    from tollway.identity.key_params import DURATION_BOUNDS, NUMERIC_BOUNDS
    from tollway.identity.records import KeyGenerate

    assert frozenset(KeyGenerate.model_fields) - {"key"} == KEY_GENERATE_FIELDS  # a given key is never a default
    assert frozenset(NUMERIC_BOUNDS + DURATION_BOUNDS) == KEY_BOUND_FIELDS
