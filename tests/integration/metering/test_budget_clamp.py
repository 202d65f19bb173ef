"""Budgets that serve what fits, through two ``tollway serve`` processes on one store (both backends).

A key whose budget cannot pay a call's worst case is still served while its headroom pays for
``budget_min_output_tokens``: the upstream's output limit is clamped (translated and passthrough
bodies alike), the answer says so in ``x-tollway-budget-clamped``, and spend never exceeds the budget
however many callers race for the last of it. Keys are made with ``/key/generate`` (the real admin API);
the official SDKs call the gateway.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
import yaml

from tests.fakes.anthropic_upstream import FakeAnthropic
from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.test_cli_serve import TOLLWAY
from tests.support.servers import RunningServer, free_port, serve_app, wait_ready
from tollway.identity.keygen import digest
from tollway.metering.periods import period
from tollway.storage.counters_repo import CountersRepo

pytestmark = pytest.mark.slow
MASTER = "sk-clamp-master"
PRICE = 1e-5  # USD per output token everywhere: a $0.002 budget pays 200 output tokens
LONG = " ".join(["word"] * 60)  # the mock's answer: 60 tokens, unless capped


class Serve:
    """One ``tollway serve`` process on the store the ``store_backend`` fixture selected."""

    def __init__(self, config: Path, log: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        data_dir = os.environ.get("TOLLWAY_DATA_DIR") or str(log.parent / "unused")
        self.log = log
        self.proc = subprocess.Popen(
            [*TOLLWAY, "serve", "--config", str(config), "--port", self.url.rsplit(":", 1)[1],
             "--data-dir", data_dir], env={k: v for k, v in os.environ.items() if k != "TOLLWAY_MASTER_KEY"},
            stdout=subprocess.DEVNULL, stderr=log.open("w"), text=True)
        wait_ready(self.url, self.proc, output=log.read_text)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def fakes() -> Any:
    fake_openai, fake_anthropic = FakeOpenAI(), FakeAnthropic()
    servers: list[RunningServer] = [serve_app(fake_openai.app), serve_app(fake_anthropic.app)]
    yield fake_openai, fake_anthropic, servers[0].url, servers[1].url
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def cluster(store_backend: str, fakes: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    _, _, openai_url, anthropic_url = fakes
    prices = {"input_cost_per_token": 1e-7, "output_cost_per_token": PRICE}
    config = {"model_list": [
        {"model_name": "clamped", "litellm_params": {"model": "mock/clamped", "mock_response": LONG, **prices}},
        {"model_name": "fake-gpt", "litellm_params": {"model": "openai/gpt-4o", "api_base": f"{openai_url}/v1",
                                                      "api_key": "sk-fake-upstream", **prices}},
        {"model_name": "fake-claude", "litellm_params": {"model": "anthropic/claude-sonnet-4-5",
                                                         "api_base": anthropic_url, "api_key": "sk-ant-fake",
                                                         **prices}},
    ], "general_settings": {"master_key": MASTER}}
    where = tmp_path_factory.mktemp("clamp")
    (where / "config.yaml").write_text(yaml.safe_dump(config))
    procs = [Serve(where / "config.yaml", where / f"serve-{i}.log") for i in range(2)]
    yield [p.url for p in procs]
    for proc in procs:
        proc.stop()


def _key(url: str, max_budget: float) -> str:
    response = httpx.post(f"{url}/key/generate", json={"max_budget": max_budget},
                          headers={"authorization": f"Bearer {MASTER}"})
    assert response.status_code == 200, response.text
    return str(response.json()["key"])


def _spent(key: str) -> dict[str, Decimal]:
    return CountersRepo().budget("key", digest(key), period(None, datetime.now(UTC).timestamp())[0])


async def _round(urls: list[str], key: str, n: int) -> list[httpx.Response]:
    body = {"model": "clamped", "messages": [{"role": "user", "content": "tell me everything"}]}
    async with httpx.AsyncClient(timeout=60) as client:
        return list(await asyncio.gather(*[
            client.post(f"{urls[i % 2]}/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"})
            for i in range(n)]))


def test_a_tiny_budget_serves_clamped_calls_until_exhausted_and_never_exceeds(cluster: list[str]) -> None:
    key = _key(cluster[0], 0.002)
    answered: list[httpx.Response] = []
    for _ in range(20):  # rounds of 8 racing callers on both processes, until nothing fits any more
        responses = asyncio.run(_round(cluster, key, 8))
        assert {r.status_code for r in responses} <= {200, 429}
        assert {r.json()["error"]["type"] for r in responses if r.status_code == 429} <= {"budget_exceeded"}
        answered += [r for r in responses if r.status_code == 200]
        if all(r.status_code == 429 for r in responses):
            break
    else:
        pytest.fail("the budget never ran out")
    assert len(answered) >= 3
    for response in answered:
        clamp = int(response.headers["x-tollway-budget-clamped"])
        usage = response.json()["usage"]
        assert 16 <= clamp < 8192 and usage["completion_tokens"] <= clamp
        finish = response.json()["choices"][0]["finish_reason"]
        assert finish == ("length" if clamp < 60 else "stop")
    costs = sum(Decimal(r.headers["x-tollway-response-cost"]) for r in answered)
    state = _spent(key)
    assert state["spent"] == costs and state["committed"] == state["spent"] and state["reservations"] == 0
    assert Decimal("0.002") - 16 * Decimal(repr(PRICE)) < state["spent"] <= Decimal("0.002")  # used up, never over


def test_the_key_spend_header_is_the_keys_spend_after_each_call(cluster: list[str]) -> None:
    key = _key(cluster[1], 0.002)
    total = Decimal(0)
    client = openai.OpenAI(base_url=f"{cluster[0]}/v1", api_key=key, max_retries=0)
    for url in cluster:  # one call on each process
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
        raw = client.chat.completions.with_raw_response.create(
            model="clamped", messages=[{"role": "user", "content": "hi"}], max_tokens=10)
        total += Decimal(raw.headers["x-tollway-response-cost"])
        assert Decimal(raw.headers["x-tollway-key-spend"]) == total == _spent(key)["spent"]
        assert raw.headers["x-litellm-key-spend"] == raw.headers["x-tollway-key-spend"]
        assert "x-tollway-budget-clamped" not in raw.headers  # 10 tokens fit: nothing clamped
        assert raw.parse().choices[0].finish_reason == "length"  # the client's own max_tokens
    stream = client.chat.completions.with_raw_response.create(
        model="clamped", messages=[{"role": "user", "content": "hi"}], stream=True)
    assert int(stream.headers["x-tollway-budget-clamped"]) >= 16  # streams say so before the first byte
    assert "x-tollway-key-spend" not in stream.headers  # sent before the spend is known
    chunks = list(stream.parse())
    assert chunks[-1].choices[0].finish_reason == "stop"  # 60 tokens fit the ~190 that were left


def test_passthrough_bodies_carry_the_clamp(cluster: list[str], fakes: Any) -> None:
    fake_openai, fake_anthropic, _, _ = fakes
    key = _key(cluster[0], 0.001)
    gpt = openai.OpenAI(base_url=f"{cluster[0]}/v1", api_key=key, max_retries=0)

    fake_openai.reset()
    raw = gpt.chat.completions.with_raw_response.create(model="fake-gpt", messages=[{"role": "user", "content": "hi"}])
    clamp = int(raw.headers["x-tollway-budget-clamped"])
    assert 16 <= clamp < 100 and fake_openai.requests[-1]["max_completion_tokens"] == clamp
    assert "max_tokens" not in fake_openai.requests[-1]  # no field the client did not use but its own
    raw = gpt.chat.completions.with_raw_response.create(model="fake-gpt", max_tokens=50000,
                                                        messages=[{"role": "user", "content": "hi"}])
    assert fake_openai.requests[-1]["max_tokens"] == int(raw.headers["x-tollway-budget-clamped"])
    assert "max_completion_tokens" not in fake_openai.requests[-1]
    raw = gpt.chat.completions.with_raw_response.create(model="fake-gpt", max_tokens=20,
                                                        messages=[{"role": "user", "content": "hi"}])
    assert fake_openai.requests[-1]["max_tokens"] == 20  # the client's own limit was lower

    raw_response = gpt.responses.with_raw_response.create(model="fake-gpt", input="hi", max_output_tokens=50000)
    assert fake_openai.requests[-1]["max_output_tokens"] == int(raw_response.headers["x-tollway-budget-clamped"])

    fake_anthropic.reset()
    claude = anthropic.Anthropic(base_url=cluster[1], api_key=key, max_retries=0)
    message = claude.messages.with_raw_response.create(model="fake-claude", max_tokens=8192,
                                                       messages=[{"role": "user", "content": "hi"}])
    assert fake_anthropic.requests[-1]["max_tokens"] == int(message.headers["x-tollway-budget-clamped"])
    assert set(fake_anthropic.requests[-1]) == {"model", "max_tokens", "messages"}  # nothing added
    sent = len(fake_anthropic.requests)
    with pytest.raises(anthropic.RateLimitError) as caught:  # thinking needs max_tokens > 1024: not clamped below it
        claude.messages.create(model="fake-claude", max_tokens=8192, messages=[{"role": "user", "content": "hi"}],
                               thinking={"type": "enabled", "budget_tokens": 1024})
    assert caught.value.status_code == 429 and len(fake_anthropic.requests) == sent
    state = _spent(key)
    assert state["spent"] <= Decimal("0.001") and state["committed"] == state["spent"]
