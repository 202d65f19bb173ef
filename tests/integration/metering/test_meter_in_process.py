"""The meter through the real app in one process, on both store backends: cost header, spend log, budgets, refusals."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.metering.conftest import CALL_COST, MOCK_MODEL, chat_body
from tests.integration.metering.support import StaticLookup
from tollway.auth.context import AuthContext, Limits
from tollway.metering.periods import period
from tollway.storage.counters_repo import CountersRepo
from tollway.storage.ops import Key


def _gateway(start_gateway: Any, keys: dict[str, AuthContext], **general: Any) -> Any:
    gw = start_gateway({"model_list": [MOCK_MODEL], "general_settings": general})
    gw.app.state.gateway.auth.lookup = StaticLookup(keys)
    return gw


async def _fire(url: str, key: str, n: int, **extra: Any) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        return list(await asyncio.gather(*[
            client.post("/v1/chat/completions", json=chat_body(**extra), headers={"authorization": f"Bearer {key}"})
            for _ in range(n)
        ]))


def test_answered_request_is_priced_logged_and_rolled_up(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    auth = AuthContext(kind="virtual_key", key_digest=f"k-{uid}", team_id=f"t-{uid}", user_id=f"u-{uid}")
    gw = _gateway(start_gateway, {"sk-a": auth})
    response = httpx.post(f"{gw.url}/v1/chat/completions", json=chat_body(user=f"end-{uid}"),
                          headers={"authorization": "Bearer sk-a"})
    assert response.status_code == 200
    assert float(response.headers["x-tollway-response-cost"]) == pytest.approx(CALL_COST)
    today = datetime.now(UTC).date().isoformat()
    logs = httpx.get(f"{gw.url}/spend/logs", params={"team_id": f"t-{uid}", "start_date": today},
                     headers={"authorization": f"Bearer {MASTER_KEY}"}).json()
    [log] = logs["data"]
    assert log["key_digest"] == f"k-{uid}" and log["end_user"] == f"end-{uid}" and log["status"] == "success"
    assert log["completion_tokens"] == 5 and log["cost"] == pytest.approx(CALL_COST)
    assert log["provider"] == "mock" and log["model"] == "metered" and "messages" not in log


def test_key_budget_refuses_with_budget_exceeded_naming_it(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    auth = AuthContext(kind="virtual_key", key_digest=f"k-{uid}",
                       limits=(Limits(scope="key", scope_id=f"k-{uid}", max_budget=CALL_COST * 2.5,
                                      budget_duration="1mo"),))
    gw = _gateway(start_gateway, {"sk-b": auth})
    responses = asyncio.run(_fire(gw.url, "sk-b", 6))
    assert sorted(r.status_code for r in responses) == [200, 200, 429, 429, 429, 429]
    refused = next(r for r in responses if r.status_code == 429).json()["error"]
    assert refused["type"] == "budget_exceeded" and f"key 'k-{uid}' budget" in refused["message"]
    bucket, _ = period("1mo", datetime.now(UTC).timestamp())
    state = CountersRepo().budget("key", f"k-{uid}", bucket)
    assert float(state["spent"]) == pytest.approx(2 * CALL_COST)
    assert state["committed"] == state["spent"] and state["reservations"] == 0


def test_provider_and_team_budgets(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    team = AuthContext(kind="virtual_key", key_digest=f"k-{uid}", team_id=f"t-{uid}",
                       limits=(Limits(scope="team", scope_id=f"t-{uid}", max_budget=CALL_COST * 3.5),))
    gw = _gateway(start_gateway, {"sk-team": team})
    assert sorted(r.status_code for r in asyncio.run(_fire(gw.url, "sk-team", 8))) == [200] * 3 + [429] * 5
    provider_gw = _gateway(start_gateway, {"sk-p": AuthContext(kind="virtual_key", key_digest=f"p-{uid}")},
                           provider_budgets={"mock": {"max_budget": CALL_COST * 1.5, "budget_duration": "1d"}})
    # only this test configures a budget on the mock provider, so its day bucket starts empty
    statuses = [r.status_code for r in asyncio.run(_fire(provider_gw.url, "sk-p", 4))]
    assert sorted(statuses) == [200, 429, 429, 429]


def test_rate_limit_headers(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    auth = AuthContext(kind="virtual_key", key_digest=f"k-{uid}",
                       limits=(Limits(scope="key", scope_id=f"k-{uid}", max_parallel_requests=1),))
    gw = _gateway(start_gateway, {"sk-r": auth})
    responses = asyncio.run(_fire(gw.url, "sk-r", 3))
    refused = [r for r in responses if r.status_code == 429]
    assert refused and all(r.headers["retry-after"] == "1" for r in refused)
    assert refused[0].headers["x-ratelimit-limit-requests"] == "1"
    assert refused[0].json()["error"]["type"] == "rate_limit_error"


def test_tpm_and_end_user_budget(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    tpm = AuthContext(kind="virtual_key", key_digest=f"k-{uid}",
                      limits=(Limits(scope="key", scope_id=f"k-{uid}", tpm_limit=10),))
    gw = _gateway(start_gateway, {"sk-tpm": tpm, "sk-eu": AuthContext(kind="virtual_key", key_digest=f"e-{uid}")},
                  max_end_user_budget=CALL_COST * 1.5)
    refused = asyncio.run(_fire(gw.url, "sk-tpm", 1))[0]  # worst case: the prompt's bytes + 5 > 10 tokens
    assert refused.status_code == 429 and refused.headers["x-ratelimit-limit-tokens"] == "10"
    assert "tpm_limit" in refused.json()["error"]["message"]
    statuses = sorted(r.status_code for r in asyncio.run(_fire(gw.url, "sk-eu", 3, user=f"end-{uid}")))
    assert statuses == [200, 429, 429]
    other_user = asyncio.run(_fire(gw.url, "sk-eu", 1, user=f"other-{uid}"))[0]
    assert other_user.status_code == 200


def test_failed_upstream_releases_the_reservation_and_is_logged(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    auth = AuthContext(kind="virtual_key", key_digest=f"k-{uid}", team_id=f"t-{uid}",
                       limits=(Limits(scope="key", scope_id=f"k-{uid}", max_budget=1, max_parallel_requests=1),))
    gw = start_gateway({"model_list": [{"model_name": "down", "litellm_params": {
        "model": "openai/gpt-4o", "api_base": "http://127.0.0.1:9/v1", "api_key": "sk-x"}}]})
    gw.app.state.gateway.auth.lookup = StaticLookup({"sk-f": auth})
    response = httpx.post(f"{gw.url}/v1/chat/completions", headers={"authorization": "Bearer sk-f"},
                          json={"model": "down", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5})
    assert response.status_code >= 500 and "x-tollway-response-cost" not in response.headers
    state = CountersRepo().budget("key", f"k-{uid}", "all")
    assert state["committed"] == 0 and state["spent"] == 0 and state["reservations"] == 0
    today = datetime.now(UTC).date().isoformat()
    [log] = httpx.get(f"{gw.url}/spend/logs", params={"team_id": f"t-{uid}", "start_date": today},
                      headers={"authorization": f"Bearer {MASTER_KEY}"}).json()["data"]
    assert log["status"] == "failure" and log["error_type"] and log["cost"] == 0
    parallel = CountersRepo().counter(Key(f"rate#key#k-{uid}", "parallel"))
    assert parallel is not None and parallel["n"] == 0


def test_embeddings_are_metered(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    gw = start_gateway({"model_list": [{"model_name": "emb", "litellm_params": {
        "model": "mock/emb", "input_cost_per_token": 1e-06}, "model_info": {"mode": "embedding"}}]})
    gw.app.state.gateway.auth.lookup = StaticLookup({"sk-e": AuthContext(
        kind="virtual_key", key_digest=f"k-{uid}", limits=(Limits(scope="key", scope_id=f"k-{uid}", max_budget=1),))})
    response = httpx.post(f"{gw.url}/v1/embeddings", headers={"authorization": "Bearer sk-e"},
                          json={"model": "emb", "input": ["one two three"]})
    assert response.status_code == 200
    tokens = response.json()["usage"]["prompt_tokens"]
    assert float(response.headers["x-tollway-response-cost"]) == pytest.approx(tokens * 1e-06)
    assert CountersRepo().budget("key", f"k-{uid}", "all")["spent"] == Decimal(str(tokens * 1e-06))


def test_soft_budget_alerts_once_when_crossed(store_backend, start_gateway, uid, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    monkeypatch.setenv("TOLLWAY_EMF_METRICS", "1")
    auth = AuthContext(kind="virtual_key", key_digest=f"k-{uid}",
                       limits=(Limits(scope="key", scope_id=f"k-{uid}", soft_budget=CALL_COST * 1.5),))
    gw = _gateway(start_gateway, {"sk-soft": auth})
    for _ in range(3):
        assert asyncio.run(_fire(gw.url, "sk-soft", 1))[0].status_code == 200  # soft: never refuses
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    alerts = [d for d in docs if "BudgetAlerts" in d]
    assert len(alerts) == 1 and alerts[0]["scope_id"] == f"k-{uid}" and alerts[0]["Scope"] == "key"


def test_budget_of_a_key_made_through_the_identity_api(store_backend, start_gateway) -> None:  # type: ignore[no-untyped-def]
    gw = start_gateway({"model_list": [MOCK_MODEL]})
    made = httpx.post(f"{gw.url}/key/generate", headers={"authorization": f"Bearer {MASTER_KEY}"},
                      json={"max_budget": CALL_COST * 2.5, "budget_duration": "1d", "rpm_limit": 100})
    assert made.status_code == 200, made.text
    statuses = sorted(r.status_code for r in asyncio.run(_fire(gw.url, made.json()["key"], 5)))
    assert statuses == [200, 200, 429, 429, 429]


@pytest.mark.parametrize(("status", "exception"), [
    (None, openai.RateLimitError), (422, openai.UnprocessableEntityError), (400, openai.BadRequestError)])
def test_budget_exceeded_status_is_configurable(store_backend, start_gateway, uid, status, exception) -> None:  # type: ignore[no-untyped-def]
    auth = AuthContext(kind="virtual_key", key_digest=f"k-{uid}",
                       limits=(Limits(scope="key", scope_id=f"k-{uid}", max_budget=CALL_COST * 0.5),))
    settings = {} if status is None else {"budget_exceeded_status": status}
    gw = _gateway(start_gateway, {"sk-st": auth}, **settings)
    client = openai.OpenAI(base_url=f"{gw.url}/v1", api_key="sk-st", max_retries=0)
    with pytest.raises(exception) as caught:  # $0.0025 left pays 2 output tokens: under the 16 minimum
        client.chat.completions.create(model="metered", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == (status or 429)
    assert isinstance(caught.value.body, dict) and caught.value.body["type"] == "budget_exceeded"  # LiteLLM's type
    assert caught.value.body["code"] == "budget_exceeded" and f"key 'k-{uid}' budget" in caught.value.body["message"]


def test_the_minimum_output_is_configurable(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    auth = AuthContext(kind="virtual_key", key_digest=f"k-{uid}",
                       limits=(Limits(scope="key", scope_id=f"k-{uid}", max_budget=CALL_COST * 0.8),))
    gw = _gateway(start_gateway, {"sk-min": auth}, budget_min_output_tokens=2)
    body = {"model": "metered", "messages": [{"role": "user", "content": "hi"}]}
    first = httpx.post(f"{gw.url}/v1/chat/completions", json=body, headers={"authorization": "Bearer sk-min"})
    assert first.status_code == 200 and first.headers["x-tollway-budget-clamped"] == "4"  # $0.004 at $0.001
    assert first.json()["choices"][0]["finish_reason"] == "length"
    assert first.json()["choices"][0]["message"]["content"] == "a b c d"
    assert first.headers["x-tollway-key-spend"] == first.headers["x-tollway-response-cost"] == "0.004"
    second = httpx.post(f"{gw.url}/v1/chat/completions", json=body, headers={"authorization": "Bearer sk-min"})
    assert second.status_code == 429
    assert "what is left pays for fewer than 2 output tokens" in second.json()["error"]["message"]


def test_clamped_answers_stop_at_the_cap_in_each_front_doors_format(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    import anthropic

    keys = {f"sk-{door}": AuthContext(kind="virtual_key", key_digest=f"{door}-{uid}", limits=(
        Limits(scope="key", scope_id=f"{door}-{uid}", max_budget=CALL_COST * 0.8),)) for door in ("m", "r", "s")}
    gw = _gateway(start_gateway, keys, budget_min_output_tokens=2)  # $0.004 left pays 4 of the mock's 5 tokens
    message = anthropic.Anthropic(base_url=gw.url, api_key="sk-m", max_retries=0).messages.with_raw_response.create(
        model="metered", max_tokens=1024, messages=[{"role": "user", "content": "hi"}])
    assert message.headers["x-tollway-budget-clamped"] == "4" and message.parse().stop_reason == "max_tokens"
    gpt = openai.OpenAI(base_url=f"{gw.url}/v1", api_key="sk-r", max_retries=0)
    response = gpt.responses.with_raw_response.create(model="metered", input="hi")
    assert response.headers["x-tollway-budget-clamped"] == "4" and response.parse().status == "incomplete"
    gpt = openai.OpenAI(base_url=f"{gw.url}/v1", api_key="sk-s", max_retries=0)
    stream = gpt.chat.completions.with_raw_response.create(
        model="metered", messages=[{"role": "user", "content": "hi"}], stream=True)
    assert stream.headers["x-tollway-budget-clamped"] == "4"
    finishes = [c.choices[0].finish_reason for c in stream.parse() if c.choices and c.choices[0].finish_reason]
    assert finishes == ["length"]
    for door in ("m", "r", "s"):
        state = CountersRepo().budget("key", f"{door}-{uid}", "all")
        assert state["spent"] == Decimal("0.004") and state["committed"] == state["spent"]


def test_a_claude_adapters_thinking_floor_is_reserved(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    """With ``reasoning_effort`` the Anthropic adapter sends ``max_tokens`` >= 1025 whatever the caller's cap:
    reserving the caller's 100 would let a $0.005 budget (500 output tokens) be overspent."""
    from tests.fakes.anthropic_upstream import FakeAnthropic
    from tests.support.servers import serve_app

    fake = FakeAnthropic()
    upstream = serve_app(fake.app)
    try:
        gw = start_gateway({"model_list": [{"model_name": "claude", "litellm_params": {
            "model": "anthropic/claude-sonnet-4-5", "api_base": upstream.url, "api_key": "sk-ant-fake",
            "input_cost_per_token": 0.0, "output_cost_per_token": 1e-5}}]})
        gw.app.state.gateway.auth.lookup = StaticLookup({"sk-th": AuthContext(kind="virtual_key", key_digest=f"k-{uid}",
            limits=(Limits(scope="key", scope_id=f"k-{uid}", max_budget=0.005),))})
        client = openai.OpenAI(base_url=f"{gw.url}/v1", api_key="sk-th", max_retries=0)
        hi = [{"role": "user", "content": "hi"}]
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="claude", messages=hi, max_tokens=100,  # type: ignore[arg-type]
                                           reasoning_effort="low")
        assert fake.requests == []
        assert client.chat.completions.create(model="claude", messages=hi, max_tokens=100).choices  # type: ignore[arg-type]
        assert fake.requests[-1]["max_tokens"] == 100
    finally:
        upstream.stop()
