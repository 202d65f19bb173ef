"""Big request bodies neither stall the event loop for other requests nor get past the message limit."""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from tests.conftest import MASTER_KEY
from tests.integration.metering.conftest import MOCK_MODEL
from tollway.api import bodies

HEADERS = {"authorization": f"Bearer {MASTER_KEY}", "content-type": "application/json"}


def _body(messages: int) -> bytes:
    return json.dumps({"model": "metered", "max_tokens": 5,
                       "messages": [{"role": "user", "content": "x"}] * messages}).encode()


def test_too_many_messages_is_a_400_naming_the_limit(start_gateway) -> None:  # type: ignore[no-untyped-def]
    gw = start_gateway({"model_list": [MOCK_MODEL]})
    response = httpx.post(f"{gw.base_url}/chat/completions", content=_body(bodies.MAX_MESSAGES + 1), headers=HEADERS,
                          timeout=60)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "messages" and error["code"] == "too_many_messages"
    assert str(bodies.MAX_MESSAGES) in error["message"]
    messages = httpx.post(f"{gw.url}/v1/messages", content=_body(bodies.MAX_MESSAGES + 1), timeout=60,
                          headers={"x-api-key": MASTER_KEY, "content-type": "application/json"})
    assert messages.status_code == 400 and messages.json()["type"] == "error"
    assert httpx.post(f"{gw.base_url}/chat/completions", content=_body(3), headers=HEADERS).status_code == 200


def test_liveliness_stays_responsive_while_big_bodies_are_parsed(start_gateway) -> None:  # type: ignore[no-untyped-def]
    """Four ~9 MB bodies of 290k messages at once (the issue's stall: 5.3 s): every probe is answered
    within a generous ceiling, and the bodies are refused."""
    gw = start_gateway({"model_list": [MOCK_MODEL]})
    big = _body(290_000)
    assert len(big) < bodies.MAX_BODY_BYTES

    async def run() -> tuple[list[int], list[float]]:
        async with httpx.AsyncClient(timeout=120) as client:
            probes: list[float] = []

            async def probe() -> None:
                for _ in range(200):
                    started = time.monotonic()
                    assert (await client.get(f"{gw.url}/health/liveliness")).status_code == 200
                    probes.append(time.monotonic() - started)
                    if not pending:
                        return
                    await asyncio.sleep(0.02)

            pending = [asyncio.ensure_future(client.post(f"{gw.base_url}/chat/completions", content=big,
                                                         headers=HEADERS)) for _ in range(4)]
            prober = asyncio.ensure_future(probe())
            statuses = []
            for task in pending[:]:
                statuses.append((await task).status_code)
                pending.remove(task)
            await prober
            return statuses, probes

    statuses, probes = asyncio.run(run())
    assert statuses == [400] * 4
    assert probes and max(probes) < 3.0, probes
