"""Costs against hand-computed prices: plain, cached reads, cache writes, reasoning, Bedrock, embeddings."""

from __future__ import annotations

import pytest

from tollway.config.models import Deployment
from tollway.metering.catalog import PriceCatalog
from tollway.metering.cost import cost_of, prompt_bound, worst_case
from tollway.types.chat import ChatRequest, CompletionTokensDetails, PromptTokensDetails, Usage
from tollway.types.embeddings import EmbeddingRequest

CATALOG = PriceCatalog()  # the bundled map


def _deployment(model: str, **params: object) -> Deployment:
    return Deployment.model_validate({"model_name": "x", "litellm_params": {"model": model, **params}})


def test_openai_with_cached_tokens() -> None:
    price = CATALOG.price(_deployment("openai/gpt-4o"))
    assert price is not None and (price.input, price.output, price.cache_read) == (2.5e-06, 1e-05, 1.25e-06)
    usage = Usage(prompt_tokens=1000, completion_tokens=200, total_tokens=1200,
                  prompt_tokens_details=PromptTokensDetails(cached_tokens=400))
    # 600 uncached x $2.50/M + 400 cached x $1.25/M + 200 out x $10/M
    assert cost_of(price, usage).total == pytest.approx(600 * 2.5e-06 + 400 * 1.25e-06 + 200 * 1e-05)
    assert cost_of(price, usage).total == pytest.approx(0.004)  # 0.0015 + 0.0005 + 0.002


def test_anthropic_cache_write_and_read() -> None:
    price = CATALOG.price(_deployment("anthropic/claude-sonnet-4-5-20250929"))
    usage = Usage(prompt_tokens=3000, completion_tokens=100, total_tokens=3100,
                  prompt_tokens_details=PromptTokensDetails(cached_tokens=1000, cache_creation_tokens=1500))
    expected = 500 * 3e-06 + 1000 * 3e-07 + 1500 * 3.75e-06 + 100 * 1.5e-05
    assert cost_of(price, usage).total == pytest.approx(expected)


def test_reasoning_tokens_use_their_own_price_when_listed() -> None:
    price = CATALOG.price(_deployment("mock/r", input_cost_per_token=1e-06, output_cost_per_token=4e-06,
                                      output_cost_per_reasoning_token=8e-06))
    usage = Usage(prompt_tokens=10, completion_tokens=50, total_tokens=60,
                  completion_tokens_details=CompletionTokensDetails(reasoning_tokens=30))
    breakdown = cost_of(price, usage)
    assert breakdown.reasoning == pytest.approx(30 * 8e-06) and breakdown.output == pytest.approx(20 * 4e-06)
    assert breakdown.total == pytest.approx(10e-06 + 240e-06 + 80e-06)


def test_bedrock_regional_and_cross_region_profiles() -> None:
    regional = CATALOG.price(_deployment("bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0",
                                         aws_region_name="us-east-1"))
    cross = CATALOG.price(_deployment("bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0"))
    glob = CATALOG.price(_deployment("bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0"))
    gov = CATALOG.price(_deployment("bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0",
                                    aws_region_name="us-gov-west-1"))
    base = CATALOG.price(_deployment("bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0",
                                     aws_region_name="us-east-1"))
    assert regional is not None and cross is not None and glob is not None and gov is not None and base is not None
    usage = Usage(prompt_tokens=1000, completion_tokens=1000, total_tokens=2000)
    assert cost_of(regional, usage).total == pytest.approx(1000 * 3e-06 + 1000 * 1.5e-05)
    assert cost_of(cross, usage).total == pytest.approx(0.018)
    assert cost_of(glob, usage).total == pytest.approx(0.018)
    # the GovCloud regional entry is priced apart from the commercial one
    assert CATALOG.entry_for(_deployment("bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0",
                                         aws_region_name="us-gov-west-1")) is CATALOG.entries[
        "bedrock/us-gov-west-1/anthropic.claude-sonnet-4-5-20250929-v1:0"]
    assert (gov.input, gov.output) != (base.input, base.output)


def test_embeddings_priced_on_input_only() -> None:
    price = CATALOG.price(_deployment("openai/text-embedding-3-small"))
    assert price is not None and price.mode == "embedding"
    assert cost_of(price, Usage(prompt_tokens=1_000_000, total_tokens=1_000_000)).total == pytest.approx(0.02)
    bound = prompt_bound(EmbeddingRequest(model="e", input=["héllo", "world"]))
    assert worst_case(price, bound, None) == (pytest.approx(bound * 2e-08), bound)


def test_override_wins_and_unpriced_is_flagged() -> None:
    price = CATALOG.price(_deployment("openai/gpt-4o", input_cost_per_token=1e-06))
    assert price is not None and price.input == 1e-06 and price.output == 1e-05
    missing = cost_of(CATALOG.price(_deployment("mock/nothing")), Usage(prompt_tokens=5, total_tokens=5))
    assert missing.price_missing and missing.total == 0


def test_worst_case_bounds_the_actual_cost() -> None:
    request = ChatRequest.model_validate({"model": "m", "max_tokens": 100,
                                          "messages": [{"role": "user", "content": "¿qué tal? " * 50}]})
    bound = prompt_bound(request)
    assert bound >= len(("¿qué tal? " * 50).encode())
    price = CATALOG.price(_deployment("anthropic/claude-sonnet-4-5-20250929"))
    worst, tokens = worst_case(price, bound, request.output_limit)
    assert tokens == bound + 100
    assert worst == pytest.approx(bound * 3.75e-06 + 100 * 1.5e-05)  # the dearest input rate: cache writes
