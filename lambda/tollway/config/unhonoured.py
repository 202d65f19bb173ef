"""Name every config key Tollway does not honour, so no LiteLLM setting is ignored in silence.

A leaf module (names as data, no runtime imports): the loader calls ``check_strict`` and the
places that start a gateway (``tollway serve``, the Lambda's first gateway build, CDK synth)
print ``warning_line``. Honoured keys are the fields the pydantic models declare (so a new
field counts at once) plus the extras that code reads by name, listed here:

- ``litellm_params`` extras: OpenAI call defaults and price overrides on every provider, and
  each provider's own settings (``PROVIDER_SETTINGS``); anything else on that deployment is named;
- ``router_settings`` / ``general_settings`` / ``litellm_settings`` extras read by name;
- callback lists (``callbacks``, ``success_callback``, ...): the list is honoured, each
  integration name Tollway does not implement is named (``litellm_settings.callbacks: datadog``),
  and is a ConfigError when ``general_settings.strict_config: true``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

    from tollway.config.models import Config

#: OpenAI request parameters a deployment may set as defaults (``providers.base.CALL_DEFAULTS``)
CALL_DEFAULT_NAMES = frozenset({
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed", "presence_penalty",
    "frequency_penalty", "reasoning_effort", "response_format", "user", "n",
})
#: price overrides read by ``metering.catalog`` (``PRICE_FIELDS``)
PRICE_OVERRIDE_NAMES = frozenset({
    "input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
    "cache_creation_input_token_cost", "output_cost_per_reasoning_token",
})
#: ``litellm_params`` extras each provider adapter reads
PROVIDER_SETTINGS: dict[str, frozenset[str]] = {
    "mock": frozenset({"mock_response", "mock_chunk_delay_ms", "dimensions"}),
    "anthropic": frozenset({"anthropic_beta"}),
    "azure": frozenset({"azure_ad_token", "tenant_id", "client_id", "client_secret", "azure_authority_host",
                        "azure_scope"}),
    "bedrock": frozenset({"aws_region", "aws_bedrock_runtime_endpoint", "aws_profile_name", "aws_access_key_id",
                          "aws_secret_access_key", "aws_session_token", "normalize", "input_type", "truncate",
                          "anthropic_beta"}),
    "cohere": frozenset({"top_k", "safety_mode", "thinking", "citation_options", "strict_tools", "priority",
                         "input_type", "truncate"}),
    "gemini": frozenset({"safety_settings"}),
    "vertex_ai": frozenset({"vertex_project", "vertex_ai_project", "vertex_location", "vertex_ai_location",
                            "vertex_credentials"}),
    "huggingface": frozenset({"hf_router_base"}),
    "ollama": frozenset({"keep_alive", "num_ctx", "top_k", "min_p", "repeat_penalty", "num_gpu"}),
}
PROVIDER_SETTINGS["ollama_chat"] = PROVIDER_SETTINGS["ollama"]
_AWS_CREDENTIALS = frozenset({"aws_region", "aws_profile_name", "aws_access_key_id", "aws_secret_access_key",
                              "aws_session_token"})
PROVIDER_SETTINGS["sagemaker_chat"] = _AWS_CREDENTIALS | {"model_id"}
PROVIDER_SETTINGS["sagemaker"] = PROVIDER_SETTINGS["sagemaker_chat"] | {
    "hf_model_name", "aws_sagemaker_allow_zero_temp", "roles", "initial_prompt_value", "final_prompt_value", "top_k"}
PROVIDER_SETTINGS["voyage"] = frozenset({"input_type", "truncation", "output_dtype", "output_dimension"})
#: ``litellm_params`` extras every deployment may set: ``config.credentials``, ``routing.tags``
DEPLOYMENT_EXTRAS = frozenset({"litellm_credential_name", "tags"})
#: ``litellm_params`` extras ``providers.extras`` adds to every upstream request of an HTTP adapter
UPSTREAM_EXTRA_NAMES = frozenset({"extra_headers", "extra_body", "organization"})
#: providers whose calls do not go through ``HttpProvider`` (the upstream extras do not apply)
NO_UPSTREAM_EXTRAS = frozenset({"mock", "bedrock", "replicate", "sagemaker", "sagemaker_chat"})
#: ``model_info`` extras read by name (``metering.catalog``)
MODEL_INFO_EXTRAS = frozenset({"base_model"})
#: section extras read by name, by section
SECTION_EXTRAS: dict[str, frozenset[str]] = {
    "router_settings": frozenset({"retry_policy", "max_fallbacks", "retry_backoff_base", "retry_after_max",
                                  "health_check_cache_seconds", "enable_tag_filtering"}),
    "litellm_settings": frozenset({"default_key_generate_params", "upperbound_key_generate_params",
                                   "default_internal_user_params"}),
    "general_settings": frozenset({"strict_config", "otel", "ui_oidc", "default_key_generate_params",
                                   "upperbound_key_generate_params"}),
}
#: ``default_internal_user_params`` fields read (``/team/available``: ``api.routes.admin_teams``)
INTERNAL_USER_FIELDS = frozenset({"available_teams"})
#: ``/key/generate`` fields ``default_key_generate_params`` may fill (``identity.records.KeyGenerate``)
KEY_GENERATE_FIELDS = frozenset({
    "blocked", "budget_duration", "budget_id", "duration", "guardrails", "key_alias", "max_budget",
    "max_parallel_requests", "metadata", "models", "project_id", "rpm_limit", "soft_budget", "tags", "team_id",
    "tpm_limit", "user_id",
})
#: fields ``upperbound_key_generate_params`` may bound (``identity.key_params``)
KEY_BOUND_FIELDS = frozenset({"max_budget", "soft_budget", "rpm_limit", "tpm_limit", "max_parallel_requests",
                              "duration", "budget_duration"})
#: callback/integration lists, by section
CALLBACK_KEYS: dict[str, tuple[str, ...]] = {
    "litellm_settings": ("callbacks", "success_callback", "failure_callback", "service_callback"),
    "general_settings": ("callbacks", "success_callback", "failure_callback", "service_callback"),
}
#: integration names Tollway implements (``observability.tracing``, ``observability.langfuse``;
#: ``prometheus``: ``GET /metrics`` on ``tollway serve``)
KNOWN_CALLBACKS = frozenset({"otel", "opentelemetry", "langfuse", "prometheus"})


def unhonoured_keys(config: Config) -> list[str]:
    """Every key (and unimplemented callback name) of ``config`` that Tollway does not honour, in config order.

    Deployment keys are named once per key with the ``model_name``s that set them:
    ``model_list[gpt-4o,claude].litellm_params.extra_headers``.
    """
    found: list[str] = [str(key) for key in (config.model_extra or {})]
    for section in ("router_settings", "litellm_settings", "general_settings"):
        settings: BaseModel = getattr(config, section)
        honoured = SECTION_EXTRAS[section] | frozenset(CALLBACK_KEYS.get(section, ()))
        found += [f"{section}.{key}" for key in (settings.model_extra or {}) if key not in honoured]
        found += [f"{section}.{key}: {name}" for key, name in _callbacks(settings, section)
                  if name not in KNOWN_CALLBACKS]
        found += _key_generate_params(settings, section)
    by_key: dict[str, list[str]] = {}
    for deployment in config.model_list:
        params = deployment.litellm_params.model_extra or {}
        allowed = (DEPLOYMENT_EXTRAS | CALL_DEFAULT_NAMES | PRICE_OVERRIDE_NAMES
                   | PROVIDER_SETTINGS.get(deployment.provider, frozenset()))
        if deployment.provider not in NO_UPSTREAM_EXTRAS:
            allowed |= UPSTREAM_EXTRA_NAMES
        for key in params:
            if key not in allowed:
                by_key.setdefault(f"litellm_params.{key}", []).append(deployment.model_name)
        for key in deployment.model_info.model_extra or {}:
            if key not in MODEL_INFO_EXTRAS:
                by_key.setdefault(f"model_info.{key}", []).append(deployment.model_name)
        for key in deployment.model_extra or {}:
            by_key.setdefault(str(key), []).append(deployment.model_name)
    found += [f"model_list[{','.join(dict.fromkeys(names))}].{key}" for key, names in by_key.items()]
    return found


def unknown_callbacks(config: Config) -> list[str]:
    """``section.key: name`` for each callback name Tollway does not implement."""
    return [f"{section}.{key}: {name}"
            for section in CALLBACK_KEYS
            for key, name in _callbacks(getattr(config, section), section)
            if name not in KNOWN_CALLBACKS]


def strict(config: Config) -> bool:
    return bool((config.general_settings.model_extra or {}).get("strict_config"))


def check_strict(config: Config) -> None:
    """With ``general_settings.strict_config: true``, an unknown integration name is a ValueError."""
    if not strict(config):
        return
    unknown = unknown_callbacks(config)
    if unknown:
        raise ValueError(f"unknown integration {'; '.join(unknown)} (Tollway implements: "
                         f"{', '.join(sorted(KNOWN_CALLBACKS))}; general_settings.strict_config is true)")


def warning_line(config: Config) -> str | None:
    """The one startup line naming every unhonoured key, or None when there is none."""
    keys = unhonoured_keys(config)
    if not keys:
        return None
    return f"config keys Tollway does not honour (ignored): {'; '.join(keys)}"


def callback_names(config: Config) -> set[str]:
    """Every integration name the config's callback lists mention (lower-cased)."""
    return {name for section in CALLBACK_KEYS for _, name in _callbacks(getattr(config, section), section)}


def _key_generate_params(settings: BaseModel, section: str) -> list[str]:
    """The fields of ``default_key_generate_params`` / ``upperbound_key_generate_params`` /
    ``default_internal_user_params`` that do nothing."""
    extras: dict[str, Any] = settings.model_extra or {}
    out: list[str] = []
    for name, known in (("default_key_generate_params", KEY_GENERATE_FIELDS),
                        ("upperbound_key_generate_params", KEY_BOUND_FIELDS),
                        ("default_internal_user_params", INTERNAL_USER_FIELDS)):
        value = extras.get(name)
        if isinstance(value, dict):
            out += [f"{section}.{name}.{key}" for key in value if key not in known]
    return out


def _callbacks(settings: BaseModel, section: str) -> list[tuple[str, str]]:
    extras: dict[str, Any] = settings.model_extra or {}
    out: list[tuple[str, str]] = []
    for key in CALLBACK_KEYS.get(section, ()):
        value = extras.get(key)
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        out += [(key, str(item).strip().lower()) for item in items if str(item).strip()]
    return out
