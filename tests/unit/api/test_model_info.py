"""``/model/info`` rows: ``litellm_params`` never carry a secret; parameters come from the adapter classes."""

from __future__ import annotations

import json

from tollway.api import model_info
from tollway.auth.context import MASTER, AuthContext
from tollway.config.loader import parse_config
from tollway.gateway import Gateway

SECRETS = ("sk-openai-secret", "AKIASECRET", "aws-secret-value", "aws-session-value", "azure-ad-secret",
           "vertex-creds-secret", "bearer-secret", "cookie-secret", "x-api-secret")
CONFIG = {"model_list": [
    {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o", "api_key": "sk-openai-secret",
                                             "extra_headers": {"Authorization": "Bearer bearer-secret",
                                                               "Cookie": "cookie-secret", "x-api-key": "x-api-secret",
                                                               "X-Team": "search"},
                                             "input_cost_per_token": 1e-06}},
    {"model_name": "claude", "litellm_params": {"model": "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
                                                "aws_access_key_id": "AKIASECRET",
                                                "aws_secret_access_key": "aws-secret-value",
                                                "aws_session_token": "aws-session-value",
                                                "aws_region_name": "us-east-1"}},
    {"model_name": "azure-gpt", "litellm_params": {"model": "azure/gpt-4o", "api_base": "https://x.openai.azure.com",
                                                   "azure_ad_token": "azure-ad-secret", "api_version": "2024-10-21"}},
    {"model_name": "gemini", "litellm_params": {"model": "vertex_ai/gemini-2.0-flash",
                                                "vertex_credentials": "vertex-creds-secret"}},
    {"model_name": "llama", "litellm_params": {"model": "groq/llama-3.1-8b-instant"}},
    {"model_name": "any/*", "litellm_params": {"model": "*"}},
]}


def test_no_secret_in_any_row_and_settings_kept() -> None:
    gateway = Gateway(parse_config(CONFIG))
    rows = model_info.list_deployments(gateway, MASTER)
    text = json.dumps(rows)
    assert not [s for s in SECRETS if s in text]
    by_name = {r["model_name"]: r for r in rows}
    assert by_name["gpt"]["litellm_params"]["extra_headers"] == {"X-Team": "search"}
    assert by_name["gpt"]["litellm_params"]["input_cost_per_token"] == 1e-06  # a price, not a secret
    assert by_name["claude"]["litellm_params"]["aws_region_name"] == "us-east-1"
    assert by_name["azure-gpt"]["litellm_params"]["api_version"] == "2024-10-21"
    assert set(by_name) == {"gpt", "claude", "azure-gpt", "gemini", "llama", "any/*"}


def test_supported_params_follow_each_adapter() -> None:
    gateway = Gateway(parse_config(CONFIG))
    params = {r["model_name"]: set(r["model_info"]["supported_openai_params"])
              for r in model_info.list_deployments(gateway, MASTER)}
    assert {"temperature", "tools", "logit_bias"} <= params["gpt"]
    assert "logit_bias" not in params["claude"] and "temperature" in params["claude"]
    assert "logit_bias" not in params["llama"]  # groq's catalog entry drops it
    assert params["any/*"] == set()
    groups = {g["model_group"]: g for g in model_info.list_groups(gateway, MASTER)}
    assert groups["gpt"]["supports_function_calling"] is True and groups["gpt"]["providers"] == ["openai"]


def test_rows_follow_the_callers_allowlist() -> None:
    gateway = Gateway(parse_config(CONFIG))
    caller = AuthContext(kind="virtual_key", models=("llama", "gpt"))
    assert [r["model_name"] for r in model_info.list_deployments(gateway, caller)] == ["gpt", "llama"]
    assert model_info.list_groups(gateway, caller, "claude") == []
