"""The clamp arithmetic: the largest output a budget's headroom pays for, and capping a request at it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tollway.metering.catalog import ModelPrice
from tollway.metering.clamp import cap_canonical, fitting_output, output_floor, worst
from tollway.passthrough.wire import ANTHROPIC_MESSAGES, OPENAI_CHAT, OPENAI_RESPONSES, WireRequest
from tollway.storage.counters_repo import dec
from tollway.types.chat import ChatRequest

CHEAP = ModelPrice(input=1e-6, output=2e-6, max_output_tokens=4096)
DEAR = ModelPrice(input=3e-6, output=1.5e-5, cache_write=3.75e-6, max_output_tokens=8192)


def test_the_dearest_candidate_decides_and_the_worst_case_fits_exactly() -> None:
    headroom = Decimal("0.001")
    tokens = fitting_output([CHEAP, DEAR], 100, 1, headroom, None)
    # 100 prompt bytes at the dearest input rate (cache writes), the rest at 1.5e-5 per token
    assert tokens == int((0.001 - 100 * 3.75e-6) / 1.5e-5)
    assert dec(worst([CHEAP, DEAR], 100, tokens, 1)[0]) <= headroom
    assert dec(worst([CHEAP, DEAR], 100, tokens + 1, 1)[0]) > headroom


def test_choices_share_the_headroom_and_the_clients_limit_is_a_ceiling() -> None:
    one = fitting_output([DEAR], 10, 1, Decimal("0.01"), None)
    assert fitting_output([DEAR], 10, 4, Decimal("0.01"), None) == one // 4
    assert fitting_output([DEAR], 10, 1, Decimal("0.01"), 50) == 50
    assert fitting_output([CHEAP], 10, 1, Decimal("100"), None) == 4096  # the model's max output


@pytest.mark.parametrize(("prices", "headroom"), [
    ([DEAR], Decimal("0.0001")),  # the prompt alone costs more than what is left
    ([DEAR], Decimal(0)),
    ([DEAR], Decimal("-0.5")),  # overspent by a provider that reported more than its cap
    ([ModelPrice(input=1e-6, mode="embedding")], Decimal(1)),  # nothing to cap
])
def test_nothing_fits(prices: list[ModelPrice], headroom: Decimal) -> None:
    assert fitting_output(prices, 1000, 1, headroom, None) == 0


def test_an_unpriced_model_costs_nothing_and_free_output_is_not_capped() -> None:
    assert fitting_output([None], 100, 1, Decimal("0.001"), None) == 8192
    assert fitting_output([ModelPrice(input=1e-6)], 100, 1, Decimal("0.001"), 300) == 300


def test_cap_canonical_keeps_the_lower_limit_in_the_field_the_caller_used() -> None:
    base = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    assert cap_canonical(ChatRequest.model_validate(base), 40).output_limit == 40
    own = ChatRequest.model_validate({**base, "max_completion_tokens": 20})
    capped = cap_canonical(own, 40)
    assert capped.max_completion_tokens == 20 and capped.max_tokens is None
    assert cap_canonical(ChatRequest.model_validate({**base, "max_tokens": 900}), 40).max_tokens == 40


@pytest.mark.parametrize(("fmt", "body", "expected"), [
    (OPENAI_CHAT, {}, {"max_completion_tokens": 40}),
    (OPENAI_CHAT, {"max_tokens": 900}, {"max_tokens": 40}),
    (OPENAI_CHAT, {"max_tokens": 10}, {"max_tokens": 10}),
    (OPENAI_CHAT, {"max_completion_tokens": 900, "max_tokens": 30}, {"max_completion_tokens": 40, "max_tokens": 30}),
    (ANTHROPIC_MESSAGES, {"max_tokens": 1024}, {"max_tokens": 40}),
    (OPENAI_RESPONSES, {}, {"max_output_tokens": 40}),
    (OPENAI_RESPONSES, {"max_output_tokens": 2000}, {"max_output_tokens": 40}),
])
def test_a_wire_body_is_capped_in_its_own_fields_and_the_clients_body_is_untouched(
        fmt: str, body: dict[str, int], expected: dict[str, int]) -> None:
    sent = {"model": "m", **body}
    capped = WireRequest(fmt, sent).capped(40)
    assert capped.body == {"model": "m", **expected}
    assert sent == {"model": "m", **body}
    assert capped.output_limit == min(40, WireRequest(fmt, sent).output_limit or 40)


def test_anthropic_thinking_sets_a_floor_the_clamp_must_clear() -> None:
    thinking = {"type": "enabled", "budget_tokens": 2048}
    assert WireRequest(ANTHROPIC_MESSAGES, {"max_tokens": 4096, "thinking": thinking}).output_floor == 2049
    assert WireRequest(ANTHROPIC_MESSAGES, {"max_tokens": 4096, "thinking": {"type": "disabled"}}).output_floor == 0
    assert WireRequest(OPENAI_CHAT, {"thinking": thinking}).output_floor == 0


@pytest.mark.parametrize(("request_", "providers", "floor"), [
    (ChatRequest.model_validate({"model": "m", "messages": [{"role": "user", "content": "hi"}],
                                 "reasoning_effort": "low", "max_tokens": 100}), ["openai", "anthropic"], 1025),
    (ChatRequest.model_validate({"model": "m", "messages": [{"role": "user", "content": "hi"}],
                                 "reasoning_effort": "low"}), ["openai"], 0),  # OpenAI keeps the caller's limit
    (WireRequest(OPENAI_CHAT, {"reasoning_effort": "high"}), ["bedrock"], 1025),
    (WireRequest(OPENAI_RESPONSES, {"reasoning": {"effort": "low"}}), ["vertex_ai"], 1025),
    (WireRequest(ANTHROPIC_MESSAGES, {"thinking": {"type": "adaptive"}}), ["bedrock"], 1025),
    (WireRequest(ANTHROPIC_MESSAGES, {"thinking": {"type": "enabled", "budget_tokens": 4000}}), ["anthropic"], 4001),
    (WireRequest(OPENAI_CHAT, {}), ["anthropic"], 0),
])
def test_output_floor(request_: object, providers: list[str], floor: int) -> None:
    assert output_floor(request_, providers) == floor
