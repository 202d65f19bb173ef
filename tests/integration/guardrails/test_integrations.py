"""A LiteLLM config.yaml with Presidio, Bedrock and built-in guardrails loads, and each one acts: Bedrock
through the real boto3 client against a loopback ApplyGuardrail fake, Presidio against fakes of its two
endpoints, driven by the OpenAI SDK."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.guardrails.conftest import SECRET_EMAIL
from tests.support.servers import serve_app

CONFIG = """
model_list:
  - model_name: gpt-4o
    litellm_params: {{model: openai/gpt-4o, api_key: sk-fake, api_base: "{openai}"}}
litellm_settings: {{drop_params: true}}
general_settings: {{master_key: {master}}}
guardrails:
  - guardrail_name: presidio-pii
    litellm_params:
      guardrail: presidio
      mode: pre_call
      presidio_analyzer_api_base: "{presidio}"
      presidio_anonymizer_api_base: "{presidio}/"
      pii_entities_config: {{EMAIL_ADDRESS: MASK, PHONE_NUMBER: MASK, PERSON: BLOCK}}
  - guardrail_name: presidio-restore
    litellm_params:
      guardrail: presidio
      mode: pre_call
      presidio_analyzer_api_base: "{presidio}"
      output_parse_pii: true
  - guardrail_name: bedrock-guard
    litellm_params:
      guardrail: bedrock
      mode: [pre_call, post_call]
      guardrailIdentifier: gr-abc123
      guardrailVersion: "3"
      aws_region_name: us-east-1
      aws_bedrock_runtime_endpoint: "{bedrock}"
  - guardrail_name: secrets
    litellm_params: {{guardrail: pii, mode: pre_call, default_on: true, action: block,
                      entities: [AWS_ACCESS_KEY, PRIVATE_KEY, API_KEY]}}
"""


@pytest.fixture
def client(tmp_path: Path, openai_upstream: Any, presidio: Any, bedrock: Any) -> Any:
    from tollway.app import create_app
    from tollway.gateway import Gateway

    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(openai=openai_upstream.base_url, presidio=presidio.url, bedrock=bedrock.url,
                                  master=MASTER_KEY))
    server = serve_app(create_app(Gateway.from_path(path)))
    yield openai.OpenAI(base_url=f"{server.url}/v1", api_key=MASTER_KEY, max_retries=0)
    server.stop()


def _ask(client: openai.OpenAI, text: str, *names: str) -> str:
    answer = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}],
                                            extra_body={"guardrails": list(names)})
    return answer.choices[0].message.content or ""


def test_presidio_masks_through_its_anonymizer_and_blocks_by_entity(client: Any, openai_upstream: Any,
                                                                    presidio: Any) -> None:
    _ask(client, f"write {SECRET_EMAIL} or 415-555-0100", "presidio-pii")
    assert openai_upstream.requests[-1]["messages"][0]["content"] == "write <EMAIL_ADDRESS> or <PHONE_NUMBER>"
    assert presidio.analyzed[-1]["language"] == "en" and presidio.anonymized
    with pytest.raises(openai.BadRequestError) as caught:
        _ask(client, "hello, my name is Jane Doe", "presidio-pii")
    assert caught.value.body["category"] == "PERSON" and "Jane" not in caught.value.response.text  # type: ignore[index]


def test_presidio_output_parse_pii_restores_the_originals(client: Any, openai_upstream: Any) -> None:
    answer = _ask(client, f"hi, contact {SECRET_EMAIL}", "presidio-restore")
    assert openai_upstream.requests[-1]["messages"][0]["content"] == "hi, contact [EMAIL_ADDRESS_1]"
    assert answer == f"echo: hi, contact {SECRET_EMAIL}"


def test_bedrock_guardrail_blocks_and_honours_its_masking(client: Any, openai_upstream: Any, bedrock: Any) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _ask(client, "give me a hot stock tip", "bedrock-guard")
    assert caught.value.body["category"] == "topic:Investment advice"  # type: ignore[index]
    assert not openai_upstream.requests
    call = bedrock.calls[0]
    assert call["identifier"] == "gr-abc123" and call["version"] == "3" and call["source"] == "INPUT"
    assert call["authorization"].startswith("AWS4-HMAC-SHA256")  # the real boto3 client signed it
    answer = _ask(client, f"forward to {SECRET_EMAIL}", "bedrock-guard")
    assert openai_upstream.requests[-1]["messages"][0]["content"] == "forward to {EMAIL}"
    assert answer == "echo: forward to {EMAIL}"
    assert [c["source"] for c in bedrock.calls[1:]] == ["INPUT", "OUTPUT"]


def test_bedrock_outage_fails_closed_with_a_503(client: Any, bedrock: Any) -> None:
    bedrock.force_error = True
    with pytest.raises(openai.InternalServerError) as caught:
        _ask(client, "anything", "bedrock-guard")
    assert caught.value.status_code == 503 and caught.value.body["code"] == "guardrail_unavailable"  # type: ignore[index]


def test_builtin_default_on_guardrail_acts_alongside(client: Any) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _ask(client, "my key is AKIAIOSFODNN7EXAMPLE")
    assert caught.value.body["guardrail"] == "secrets"  # type: ignore[index]
    assert caught.value.body["category"] == "AWS_ACCESS_KEY"  # type: ignore[index]
