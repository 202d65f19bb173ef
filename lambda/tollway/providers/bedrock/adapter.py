"""``bedrock/<model id | inference profile | ARN>``: Converse, ConverseStream and InvokeModel via boto3.

The part after ``bedrock/`` is sent as ``modelId`` unchanged: base model ids, cross-region
inference profiles (``us.``, ``eu.``, ``apac.``, ``global.``) and application inference profile
or provisioned throughput ARNs all work. ``api_base`` is boto3's ``endpoint_url``;
``aws_region_name`` picks the region (else ``AWS_REGION``). Every boto3 call runs in a worker
thread (``client.run_blocking``) and the event stream is read off the loop (``stream.aiter_blocking``).
Claude models speak the Messages API natively (``native``): InvokeModel with the client's body.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from tollway.errors import UnsupportedParamError
from tollway.passthrough.wire import ANTHROPIC_MESSAGES
from tollway.providers.base import Provider
from tollway.providers.bedrock import embeddings, errors
from tollway.providers.bedrock.client import get_client, run_blocking
from tollway.providers.bedrock.request import is_claude, to_converse_kwargs
from tollway.providers.bedrock.response import response_id, to_chat_response
from tollway.providers.bedrock.stream import StreamTranslator, aiter_blocking, interrupt_event_stream

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from tollway.passthrough.answers import NativeEvent, NativeResponse
    from tollway.passthrough.wire import WireRequest
    from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse
    from tollway.types.embeddings import EmbeddingRequest, EmbeddingResponse

#: OpenAI parameters Converse has no field for (a 400 naming them unless ``drop_params``)
UNSUPPORTED = frozenset({
    "logprobs", "top_logprobs", "seed", "presence_penalty", "frequency_penalty", "logit_bias", "modalities",
    "audio", "prediction", "functions", "function_call", "store", "service_tier", "metadata",
})


class BedrockProvider(Provider):
    name = "bedrock"
    unsupported_params = UNSUPPORTED
    extension_params = frozenset({"top_k"})
    native_formats = frozenset({ANTHROPIC_MESSAGES})

    @property
    def model_id(self) -> str:
        return self.deployment.upstream_model

    async def _call(self, read_timeout: float, method: Callable[[Any], Any]) -> Any:
        """Run ``method(client)`` in a worker thread, mapping every boto3 failure."""
        try:
            client = await get_client(self.deployment.litellm_params, read_timeout)
            return await run_blocking(lambda: method(client))
        except Exception as exc:  # noqa: BLE001 - from_exception maps boto3's errors and re-raises the rest
            raise errors.from_exception(exc, read_timeout) from None

    async def _converse_kwargs(self, request: ChatRequest) -> dict[str, Any]:
        body = self.prepare(request)
        if (body.get("n") or 1) > 1 and not self.settings.drop_params:
            raise UnsupportedParamError("bedrock returns one choice per request; 'n' must be 1 "
                                        "(or set litellm_settings.drop_params: true)", param="n")
        return await to_converse_kwargs(body, model_id=self.model_id, drop_params=self.settings.drop_params)

    # ------------------------------------------------------------------ chat

    async def chat(self, request: ChatRequest) -> ChatResponse:
        kwargs = await self._converse_kwargs(request)
        output = await self._call(self.timeout, lambda client: client.converse(**kwargs))
        return to_chat_response(output, self.model_id)

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        kwargs = await self._converse_kwargs(request)
        output = await self._call(self.stream_timeout, lambda client: client.converse_stream(**kwargs))
        events = output["stream"]
        translator = StreamTranslator(response_id(output), self.model_id, int(time.time()))
        reader = aiter_blocking(events, close=events.close, interrupt=lambda: interrupt_event_stream(events))
        try:
            async for event in reader:
                for chunk in translator.feed(event):
                    yield chunk
        except Exception as exc:  # noqa: BLE001 - boto3 errors mapped, anything else re-raised
            raise errors.from_exception(exc, self.stream_timeout) from None
        finally:
            await reader.aclose()  # stops the reader thread now, not when the generator is collected
        for chunk in translator.end():
            yield chunk

    # ------------------------------------------------------------------ same wire (Claude)

    def speaks(self, wire_format: str) -> bool:
        return super().speaks(wire_format) and is_claude(self.model_id)

    def _native_body(self, request: WireRequest) -> bytes:
        from tollway.providers.bedrock.native import native_body

        return native_body(request, (self.deployment.litellm_params.model_extra or {}).get("anthropic_beta"))

    async def send_native(self, request: WireRequest) -> NativeResponse:
        from tollway.passthrough.answers import NativeResponse
        from tollway.providers.bedrock.native import read_body

        payload = self._native_body(request)
        content = await self._call(self.timeout, lambda client: client.invoke_model(
            modelId=self.model_id, body=payload, contentType="application/json", accept="application/json",
        )["body"].read())
        raw, data, usage = read_body(request, content)
        return NativeResponse(request.format, raw, data, usage)

    async def stream_native(self, request: WireRequest) -> AsyncIterator[NativeEvent]:
        from tollway.providers.bedrock.native import EventReader

        payload = self._native_body(request)
        output = await self._call(self.stream_timeout, lambda client: client.invoke_model_with_response_stream(
            modelId=self.model_id, body=payload, contentType="application/json", accept="application/json"))
        events = output["body"]
        reader = EventReader()
        parts = aiter_blocking(events, close=events.close, interrupt=lambda: interrupt_event_stream(events))
        try:
            async for part in parts:
                event = reader.read(part)
                if event is not None:
                    yield event
            reader.stream.end()
        except Exception as exc:  # noqa: BLE001 - boto3 errors mapped, anything else re-raised
            raise errors.from_exception(exc, self.stream_timeout) from None
        finally:
            await parts.aclose()

    async def count_tokens(self, request: WireRequest) -> int | None:
        body = {k: v for k, v in request.body.items() if k not in ("stream",)}
        body.setdefault("max_tokens", 1)
        from tollway.passthrough.wire import WireRequest as Wire

        payload = self._native_body(Wire(request.format, body, request.headers))
        output = await self._call(self.timeout, lambda client: client.count_tokens(
            modelId=self.model_id, input={"invokeModel": {"body": payload}}))
        tokens = output.get("inputTokens") if isinstance(output, dict) else None
        return tokens if isinstance(tokens, int) else None

    # ------------------------------------------------------------------ embeddings

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        async def invoke(body: dict[str, Any]) -> tuple[Any, int | None]:
            payload = json.dumps(body).encode()

            def call(client: Any) -> tuple[Any, int | None]:
                output = client.invoke_model(modelId=self.model_id, body=payload, contentType="application/json",
                                             accept="application/json")
                return embeddings.parse_invoke_output(output)

            result: tuple[Any, int | None] = await self._call(self.timeout, call)
            return result

        return await embeddings.embed(request, model_id=self.model_id,
                                      options=dict(self.deployment.litellm_params.model_extra or {}),
                                      drop_params=self.settings.drop_params, invoke=invoke)
