"""``mock/<anything>``: answers without a network, the same way every time.

The reply is derived from the last user message; ``litellm_params.mock_response`` fixes it.
It follows the request (tools, tool choice, JSON schemas, reasoning) by the rules in ``reply``,
so tool round trips, structured outputs and agent CLIs work offline.
``mock_latency_ms`` delays the first byte; ``mock_chunk_delay_ms`` spaces stream chunks.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import struct
import time
import uuid
from typing import TYPE_CHECKING, Any

from tollway.errors import InvalidRequestError
from tollway.providers.base import Provider
from tollway.providers.mock import reply
from tollway.tokens import estimate_prompt, estimate_text, message_text
from tollway.types.chat import (
    ChatChunk,
    ChatResponse,
    Choice,
    ChunkChoice,
    CompletionTokensDetails,
    Delta,
    FunctionCall,
    FunctionCallDelta,
    ResponseMessage,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from tollway.types.embeddings import Embedding, EmbeddingResponse, EmbeddingUsage

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tollway.types.chat import ChatRequest
    from tollway.types.embeddings import EmbeddingRequest

DEFAULT_DIMENSIONS = 1536
#: characters of tool-call arguments per streamed delta (several deltas, as real models send)
ARGUMENT_PIECE = 16
MAX_DIMENSIONS = 8192


class MockProvider(Provider):
    name = "mock"

    def _param(self, key: str, default: Any = None) -> Any:
        return (self.deployment.litellm_params.model_extra or {}).get(key, default)

    async def _latency(self, key: str = "mock_latency_ms") -> None:
        delay = self.deployment.litellm_params.mock_latency_ms if key == "mock_latency_ms" else self._param(key)
        if delay:
            await asyncio.sleep(float(delay) / 1000)

    # ------------------------------------------------------------------ answer

    def _reply_text(self, request: ChatRequest) -> str:
        fixed = self._param("mock_response")
        if fixed is not None:
            return str(fixed)
        last_user = next((m for m in reversed(request.messages) if m.role == "user"), None)
        said = " ".join(message_text(last_user.content).split()) if last_user else ""
        if request.messages[-1].role == "tool":
            return f"Mock answer using the tool result: {message_text(request.messages[-1].content)[:200]}"
        if said:
            return f"This is a mock response from Tollway. You said: {said[:300]}"
        return "This is a mock response from Tollway."

    def _limit(self, text: str, request: ChatRequest) -> tuple[str, str]:
        limit = request.output_limit
        words = text.split(" ")
        if limit is None or estimate_text(text) <= limit:
            return text, "stop"
        kept: list[str] = []
        for word in words:
            if estimate_text(" ".join([*kept, word])) > limit:
                break
            kept.append(word)
        return " ".join(kept), "length"

    async def chat(self, request: ChatRequest) -> ChatResponse:
        await self._latency()
        prompt_tokens = estimate_prompt(request)
        answer = reply.plan(request, self._reply_text(request))
        choices: list[Choice] = []
        completion_tokens = reasoning_tokens = 0
        for index in range(request.n or 1):
            extra: dict[str, Any] = {}
            if answer.reasoning is not None:
                reasoning_tokens += estimate_text(answer.reasoning)
                extra["thinking_blocks"] = [{"type": "thinking", "thinking": answer.reasoning,
                                             "signature": reply.signature(answer.reasoning)}]
            if answer.tool is not None:
                call = ToolCall(id=answer.call_id, function=FunctionCall(name=answer.tool, arguments=answer.arguments))
                message = ResponseMessage(content=None, tool_calls=[call], reasoning_content=answer.reasoning, **extra)
                finish = "tool_calls"
                completion_tokens += estimate_text(answer.tool) + estimate_text(answer.arguments)
            else:
                text, finish = self._limit(answer.text or "", request)
                message = ResponseMessage(content=text, reasoning_content=answer.reasoning, **extra)
                completion_tokens += estimate_text(text)
            choices.append(Choice(index=index, message=message, finish_reason=finish))  # type: ignore[arg-type]
        completion_tokens += reasoning_tokens
        details = CompletionTokensDetails(reasoning_tokens=reasoning_tokens) if reasoning_tokens else None
        return ChatResponse(
            id=f"chatcmpl-mock-{uuid.uuid4().hex[:24]}",
            created=int(time.time()),
            model=self.deployment.upstream_model,
            choices=choices,
            usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                        total_tokens=prompt_tokens + completion_tokens, completion_tokens_details=details),
        )

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        whole = await self.chat(request.model_copy(update={"n": 1}))

        def chunk(delta: Delta | None = None, finish: Any = None, usage: Usage | None = None) -> ChatChunk:
            choices = [] if delta is None else [ChunkChoice(delta=delta, finish_reason=finish)]
            return ChatChunk(id=whole.id, created=whole.created, model=whole.model, choices=choices, usage=usage)

        message = whole.choices[0].message
        yield chunk(Delta(role="assistant", content=""))
        for i, word in enumerate((message.reasoning_content or "").split(" ") if message.reasoning_content else []):
            await self._latency("mock_chunk_delay_ms")
            yield chunk(Delta(reasoning_content=word if i == 0 else " " + word))
        if message.tool_calls:
            call = message.tool_calls[0]
            start = FunctionCallDelta(name=call.function.name, arguments="")
            yield chunk(Delta(tool_calls=[ToolCallDelta(index=0, id=call.id, type="function", function=start)]))
            arguments = call.function.arguments
            for offset in range(0, len(arguments), ARGUMENT_PIECE):
                await self._latency("mock_chunk_delay_ms")
                piece = FunctionCallDelta(arguments=arguments[offset:offset + ARGUMENT_PIECE])
                yield chunk(Delta(tool_calls=[ToolCallDelta(index=0, function=piece)]))
        else:
            for i, word in enumerate((message.content or "").split(" ")):
                await self._latency("mock_chunk_delay_ms")
                yield chunk(Delta(content=word if i == 0 else " " + word))
        yield chunk(Delta(), finish=whole.choices[0].finish_reason)
        yield chunk(usage=whole.usage)

    # ------------------------------------------------------------------ embeddings

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        await self._latency()
        texts = request.texts or [json.dumps(item) for item in request.input]  # type: ignore[union-attr]
        dims = request.dimensions or int(self._param("dimensions", DEFAULT_DIMENSIONS))
        if dims > MAX_DIMENSIONS:  # a real model rejects it too; building the vector would hog the process
            raise InvalidRequestError(f"Invalid value for 'dimensions': at most {MAX_DIMENSIONS} are supported.",
                                      param="dimensions")
        data = []
        for index, text in enumerate(texts):
            vector = _vector(text, dims)
            encoded: list[float] | str = vector
            if request.encoding_format == "base64":
                encoded = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
            data.append(Embedding(index=index, embedding=encoded))
        tokens = sum(estimate_text(t) for t in texts)
        return EmbeddingResponse(data=data, model=self.deployment.upstream_model,
                                 usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens))


def _vector(text: str, dims: int) -> list[float]:
    """A unit vector that depends only on the text."""
    seed = hashlib.sha256(text.encode()).digest()
    raw: list[float] = []
    counter = 0
    while len(raw) < dims:
        block = hashlib.sha256(seed + counter.to_bytes(4, "little")).digest()
        raw.extend((b - 127.5) / 127.5 for b in block)
        counter += 1
    raw = raw[:dims]
    norm = math.sqrt(sum(v * v for v in raw)) or 1.0
    return [v / norm for v in raw]
