"""The providers LiteLLM configs use (sagemaker, sagemaker_chat, azure_ai, xinference, voyage, mistralai): their
documented settings load and are honoured; anything else on those deployments is still named."""

from __future__ import annotations

from tollway.config.loader import parse_config
from tollway.config.unhonoured import PROVIDER_SETTINGS, unhonoured_keys

AWS = {"aws_access_key_id": "os.environ/AWS_ACCESS_KEY_ID", "aws_secret_access_key": "os.environ/AWS_SECRET",
       "aws_region_name": "us-west-2", "aws_session_token": "t", "aws_profile_name": "p"}


def test_each_new_providers_settings_are_honoured() -> None:
    config = parse_config({"model_list": [
        {"model_name": "jumpstart", "litellm_params": {
            "model": "sagemaker/jumpstart-dft-hf-textgeneration1-mp-20240815-185614", **AWS,
            "aws_sagemaker_allow_zero_temp": True, "hf_model_name": "meta-llama/Llama-2-7b-chat-hf", "top_k": 1,
            "temperature": 0.2, "model_id": "ic-1"}},
        {"model_name": "templated", "litellm_params": {
            "model": "sagemaker/ep", "initial_prompt_value": "<s>", "final_prompt_value": "</s>",
            "roles": {"user": {"pre_message": "[INST]", "post_message": "[/INST]"}}}},
        {"model_name": "sm-chat", "litellm_params": {"model": "sagemaker_chat/ep", **AWS, "model_id": "ic-2"}},
        {"model_name": "phi", "litellm_params": {"model": "azure_ai/Phi-4", "api_version": "2024-05-01",
                                                 "api_base": "https://x.services.ai.azure.com",
                                                 "api_key": "os.environ/AZURE_AI_API_KEY"}},
        {"model_name": "xinf", "litellm_params": {"model": "xinference/qwen2.5",
                                                  "api_base": "http://127.0.0.1:9997/v1"}},
        {"model_name": "voyage", "litellm_params": {"model": "voyage/voyage-3.5", "input_type": "document",
                                                    "truncation": True, "output_dtype": "float",
                                                    "output_dimension": 512}},
        {"model_name": "mistral-large", "litellm_params": {"model": "mistralai/mistral-large-latest",
                                                           "api_key": "os.environ/MISTRAL_API_KEY"}},
    ]})
    assert unhonoured_keys(config) == []
    assert config.model_list[-1].provider == "mistral"


def test_what_they_do_not_read_is_named() -> None:
    config = parse_config({"model_list": [
        {"model_name": "sm", "litellm_params": {"model": "sagemaker_chat/ep", "aws_role_name": "r",
                                                "hf_model_name": "x"}},
        {"model_name": "voyage", "litellm_params": {"model": "voyage/voyage-3", "mock_response": "x"}},
    ]})
    assert unhonoured_keys(config) == ["model_list[sm].litellm_params.aws_role_name",
                                       "model_list[sm].litellm_params.hf_model_name",
                                       "model_list[voyage].litellm_params.mock_response"]


def test_the_name_tables_match_what_the_adapters_read() -> None:
    from tollway.providers.sagemaker.prompt import CUSTOM_KEYS
    from tollway.providers.voyage.adapter import SETTINGS

    assert set(CUSTOM_KEYS) <= PROVIDER_SETTINGS["sagemaker"]
    assert PROVIDER_SETTINGS["voyage"] == frozenset(SETTINGS)
