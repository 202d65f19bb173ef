"""The gateway's overhead excludes time spent waiting on the provider, for every stream chunk."""

from __future__ import annotations

from tollway import pipeline
from tollway.api.context import RequestContext
from tollway.auth.context import MASTER
from tollway.config.loader import parse_config
from tollway.gateway import Gateway
from tollway.types.chat import ChatRequest


async def test_waits_between_stream_chunks_count_as_upstream_time() -> None:
    gateway = Gateway(parse_config({"model_list": [{"model_name": "m", "litellm_params": {
        "model": "mock/m", "mock_response": "one two three four five six", "mock_chunk_delay_ms": 30}}]}))
    ctx = RequestContext(request_id="req-test")
    request = ChatRequest.model_validate({"model": "m", "messages": [{"role": "user", "content": "x"}],
                                          "stream": True})
    chunks = [c async for c in await pipeline.chat_stream(gateway, MASTER, ctx, request)]
    assert chunks[-1].usage is not None
    # six words, each sent after a 30 ms sleep inside the provider: at least 0.18 s of upstream time
    assert ctx.upstream_seconds >= 0.18


def test_deployment_id_is_stable_and_cached() -> None:
    config = parse_config({"model_list": [{"model_name": "m", "litellm_params": {"model": "openai/x"}}]})
    deployment = config.model_list[0]
    assert deployment.id == deployment.id and len(deployment.id) == 12
    assert parse_config({"model_list": [{"model_name": "m", "litellm_params": {"model": "openai/x"}}]}
                        ).model_list[0].id == deployment.id
