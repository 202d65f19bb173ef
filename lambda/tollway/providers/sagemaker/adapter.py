"""``sagemaker/<endpoint>`` and ``sagemaker_chat/<endpoint>``: SageMaker real-time endpoints via boto3.

The part after the prefix is the endpoint name. ``InvokeEndpoint`` answers a whole request and
``InvokeEndpointWithResponseStream`` streams it (``PayloadPart`` events, read off the loop by
``bedrock.stream.aiter_blocking``; the pipeline bounds the stream by the attempt's deadline and
``stream_timeout`` between chunks, and botocore's read timeout bounds each read). The two
prefixes differ in the body the container takes (``tgi`` for ``sagemaker``, ``messages`` for
``sagemaker_chat``, which also takes Chat Completions requests as sent: ``native``).

Region and credentials as for Bedrock (``aws_region_name``, ``aws_profile_name``,
``aws_access_key_id`` / ``aws_secret_access_key`` / ``aws_session_token``; ``api_base`` is
boto3's ``endpoint_url``); ``model_id`` names the inference component on a multi-model endpoint.
Embeddings (``sagemaker/`` only, as in LiteLLM) go to Hugging Face embedding containers
(``embeddings``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tollway.errors import TollwayError, UpstreamError
from tollway.passthrough.wire import OPENAI_CHAT
from tollway.providers import transport
from tollway.providers.base import Provider
from tollway.providers.bedrock import errors as aws_errors
from tollway.providers.bedrock.client import get_client, run_blocking
from tollway.providers.bedrock.stream import aiter_blocking, interrupt_event_stream
from tollway.providers.sagemaker import embeddings, errors, messages, prompt, tgi
from tollway.providers.sagemaker.payload import PayloadLines

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from tollway.passthrough.answers import NativeEvent, NativeResponse
    from tollway.passthrough.wire import WireRequest
    from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse
    from tollway.types.embeddings import EmbeddingRequest, EmbeddingResponse

SERVICE = "sagemaker-runtime"


class SageMakerProvider(Provider):
    """``sagemaker/<endpoint>``: a text-generation container (TGI's ``inputs``/``parameters``)."""

    name = "sagemaker"
    extension_params = frozenset({"top_k"})

    @property
    def endpoint(self) -> str:
        return self.deployment.upstream_model

    @property
    def extras(self) -> dict[str, Any]:
        return dict(self.deployment.litellm_params.model_extra or {})

    # ------------------------------------------------------------------ boto3 calls

    async def _call(self, read_timeout: float, method: Callable[[Any], Any]) -> Any:
        """Run ``method(client)`` in a worker thread, mapping every boto3 failure."""
        try:
            client = await get_client(self.deployment.litellm_params, read_timeout, SERVICE)
            return await run_blocking(lambda: method(client))
        except Exception as exc:  # noqa: BLE001 - from_exception maps boto3's errors and re-raises the rest
            raise self._mapped(exc, read_timeout) from None

    def _mapped(self, exc: BaseException, read_timeout: float) -> TollwayError:
        return aws_errors.from_exception(exc, read_timeout, provider=self.name, client_error=errors.from_client_error)

    def _kwargs(self, body: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"EndpointName": self.endpoint, "Body": json.dumps(body).encode(),
                                  "ContentType": "application/json", "Accept": "application/json"}
        if self.extras.get("model_id"):
            kwargs["InferenceComponentName"] = str(self.extras["model_id"])
        return kwargs

    async def invoke_raw(self, body: dict[str, Any]) -> bytes:
        """The container's answer to ``body`` (``InvokeEndpoint``), byte for byte, within the response cap."""
        kwargs = self._kwargs(body)
        cap = transport.MAX_RESPONSE_BYTES

        def call(client: Any) -> bytes:
            stream = client.invoke_endpoint(**kwargs)["Body"]
            try:
                return bytes(stream.read(cap + 1))
            finally:
                stream.close()

        raw: bytes = await self._call(self.timeout, call)
        if len(raw) > cap:
            raise transport.ResponseTooLarge(self.name, "response", cap)
        return raw

    async def invoke(self, body: dict[str, Any]) -> Any:
        """The container's JSON answer to ``body``."""
        raw = await self.invoke_raw(body)
        try:
            return json.loads(raw)
        except ValueError:
            raise UpstreamError(f"{self.name}: the endpoint answered with invalid JSON",
                                code="upstream_bad_response") from None

    async def invoke_parts(self, body: dict[str, Any]) -> AsyncIterator[bytes]:
        """The bytes of each ``PayloadPart`` the container streams for ``body``
        (``InvokeEndpointWithResponseStream``), within the stream cap."""
        kwargs = self._kwargs(body)
        output = await self._call(self.stream_timeout,
                                  lambda client: client.invoke_endpoint_with_response_stream(**kwargs))
        events = output["Body"]
        parts = aiter_blocking(events, close=events.close, interrupt=lambda: interrupt_event_stream(events))
        total, cap = 0, transport.MAX_STREAM_BYTES
        try:
            async for event in parts:
                data = (event.get("PayloadPart") or {}).get("Bytes") or b""
                total += len(data)
                if total > cap:
                    raise transport.ResponseTooLarge(self.name, "stream", cap)
                yield data
        except Exception as exc:  # noqa: BLE001 - boto3 errors mapped, anything else re-raised
            raise self._mapped(exc, self.stream_timeout) from None
        finally:
            await parts.aclose()  # stops the reader thread now, not when the generator is collected

    async def invoke_stream(self, body: dict[str, Any]) -> AsyncIterator[Any]:
        """The JSON values the container streams for ``body``, one per line (``payload``)."""
        lines = PayloadLines(self.name)
        async for data in self.invoke_parts(body):
            for value in lines.feed(data):
                yield value
        for value in lines.end():
            yield value

    # ------------------------------------------------------------------ chat (TGI)

    def _tgi(self, request: ChatRequest) -> tuple[str, dict[str, Any]]:
        body = self.prepare(request)
        self.drop_unsupported(body, frozenset(body) - tgi.ACCEPTED)
        hint = str(self.extras.get("hf_model_name") or self.endpoint)
        text = prompt.build(body["messages"], hint, self.extras)
        return text, tgi.parameters(body, allow_zero_temp=bool(self.extras.get("aws_sagemaker_allow_zero_temp")))

    async def chat(self, request: ChatRequest) -> ChatResponse:
        text, params = self._tgi(request)
        data = await self.invoke(tgi.request_body(text, params, stream=False))
        return tgi.to_response(data, text, params, self.endpoint)

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        text, params = self._tgi(request)
        translator = tgi.StreamTranslator(self.endpoint, text, params, self.name)
        async for value in self.invoke_stream(tgi.request_body(text, params, stream=True)):
            for chunk in translator.feed(value):
                yield chunk
        for chunk in translator.end():
            yield chunk

    # ------------------------------------------------------------------ embeddings (TEI, JumpStart)

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        body = embeddings.request_body(request, drop_params=self.settings.drop_params)
        return embeddings.to_response(await self.invoke(body), request, self.endpoint)


class SageMakerChatProvider(SageMakerProvider):
    """``sagemaker_chat/<endpoint>``: a container serving OpenAI's Chat Completions (``messages``)."""

    name = "sagemaker_chat"
    extension_params = frozenset()
    native_formats = frozenset({OPENAI_CHAT})

    async def send_native(self, request: WireRequest) -> NativeResponse:
        from tollway.providers.sagemaker import native

        body = messages.request_body(self.prepare_native(request.body), stream=False)
        return native.answer(request, await self.invoke_raw(body), self.name)

    async def stream_native(self, request: WireRequest) -> AsyncIterator[NativeEvent]:
        from tollway.providers.sagemaker import native

        body = messages.request_body(self.prepare_native(request.body), stream=True)
        async for event in native.events(request, self.invoke_parts(body), self.name):
            yield event

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        return await Provider.embed(self, request)  # a chat container: the base class's 400

    async def chat(self, request: ChatRequest) -> ChatResponse:
        data = await self.invoke(messages.request_body(self.prepare(request), stream=False))
        return messages.to_response(data, request, self.endpoint)

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        reader = messages.StreamReader(request, self.endpoint, self.name)
        async for value in self.invoke_stream(messages.request_body(self.prepare(request), stream=True)):
            for chunk in reader.feed(value):
                yield chunk
        for chunk in reader.end():
            yield chunk
