"""Call any provider from Python without a server: ``tollway.completion()``, ``acompletion()``,
``embedding()``, ``aembedding()``.

``model`` is ``<provider>/<model id>`` as in a config's ``litellm_params.model``; keyword
arguments that are OpenAI request fields go into the request, the rest (``api_key``,
``api_base``, ``aws_region_name``, provider settings) configure the deployment, exactly as
``litellm_params`` would. Answers are the canonical (OpenAI-shaped) pydantic models;
failures raise ``tollway.errors`` exceptions.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from tollway.config.models import Deployment
from tollway.providers import registry
from tollway.providers.base import CallSettings
from tollway.types.chat import ChatRequest
from tollway.types.embeddings import EmbeddingRequest

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from tollway.types.chat import ChatChunk
    from tollway.types.embeddings import EmbeddingResponse


def _split(model: str, fields: frozenset[str], kwargs: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    request = {k: v for k, v in kwargs.items() if k in fields}
    params = {k: v for k, v in kwargs.items() if k not in fields and k not in ("drop_params", "timeout")}
    deployment = Deployment.model_validate({"model_name": model, "litellm_params": {"model": model, **params}})
    settings = CallSettings(timeout=float(kwargs.get("timeout") or 600), drop_params=bool(kwargs.get("drop_params")))
    return request, registry.load(deployment.provider)(deployment, settings)


_CHAT_FIELDS = frozenset(ChatRequest.model_fields) - {"model", "messages"}
_EMBED_FIELDS = frozenset(EmbeddingRequest.model_fields) - {"model", "input"}


async def acompletion(model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
    """A chat completion (``ChatResponse``), or with ``stream=True`` an async iterator of ``ChatChunk``."""
    fields, provider = _split(model, _CHAT_FIELDS, kwargs)
    request = ChatRequest.model_validate({"model": model, "messages": messages, **fields})
    if request.stream:
        return provider.chat_stream(request)
    return await provider.chat(request)


def completion(model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
    """``acompletion`` for synchronous code; with ``stream=True`` a plain iterator of ``ChatChunk``."""
    if kwargs.get("stream"):
        return _iterate(lambda: acompletion(model, messages, **kwargs))
    return _run(acompletion(model, messages, **kwargs))


async def aembedding(model: str, input: str | list[str], **kwargs: Any) -> EmbeddingResponse:
    fields, provider = _split(model, _EMBED_FIELDS, kwargs)
    response: EmbeddingResponse = await provider.embed(
        EmbeddingRequest.model_validate({"model": model, "input": input, **fields}))
    return response


def embedding(model: str, input: str | list[str], **kwargs: Any) -> EmbeddingResponse:
    response: EmbeddingResponse = _run(aembedding(model, input, **kwargs))
    return response


def _run(coro: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise RuntimeError("tollway.completion() was called inside an event loop; await tollway.acompletion() instead")


def _iterate(open_stream: Any) -> Iterator[ChatChunk]:
    loop = asyncio.new_event_loop()
    try:
        stream: AsyncIterator[ChatChunk] = loop.run_until_complete(open_stream())
        while True:
            try:
                yield loop.run_until_complete(stream.__anext__())
            except StopAsyncIteration:
                return
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


__all__ = ["acompletion", "aembedding", "completion", "embedding"]
