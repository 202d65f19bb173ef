"""The Replicate adapter: create a prediction, then wait for it or stream it.

``api_base`` is the API root as the official SDK's ``base_url`` (default
``https://api.replicate.com``); the key is ``api_key`` or ``REPLICATE_API_TOKEN``.

- Chat: ``POST .../predictions`` with ``Prefer: wait`` answers synchronously when the model
  finishes in time; otherwise ``urls.get`` is polled (backing off to every 2 s) until the
  prediction succeeds, fails or is canceled, within the deployment's timeout (past it the
  prediction is canceled and the call is a 504).
- Stream: the prediction is created with ``stream: true`` and ``urls.stream`` is read as
  SSE (``output`` events carry text, ``error`` fails the stream, ``done`` ends it); usage
  then comes from the finished prediction's metrics, or is estimated.
- Tools, JSON mode and the like do not exist on Replicate: a 400 naming the parameter,
  unless ``drop_params``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from tollway.config import secrets
from tollway.errors import GatewayTimeoutError, InternalError, TollwayError, UpstreamError
from tollway.providers.http_provider import HttpProvider, UpstreamRequest
from tollway.providers.replicate import response as parse
from tollway.providers.replicate.request import prediction_input, target
from tollway.providers.sse import iter_events
from tollway.providers.transport import error_from_transport, http_client, timeout
from tollway.types.chat import ChatChunk, ChunkChoice, Delta

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tollway.providers.sse import SSEEvent
    from tollway.types.chat import ChatRequest, ChatResponse

DEFAULT_BASE = "https://api.replicate.com"
KEY_ENV = ("REPLICATE_API_TOKEN", "REPLICATE_API_KEY")
FIRST_POLL, MAX_POLL = 0.25, 2.0
MAX_PREFER_WAIT = 60  # Replicate holds a request open at most this long
_background: set[asyncio.Task[None]] = set()


class ReplicateProvider(HttpProvider):
    name = "replicate"
    unsupported_params: ClassVar[frozenset[str]] = frozenset({
        "tools", "tool_choice", "parallel_tool_calls", "functions", "function_call", "response_format",
        "logit_bias", "logprobs", "top_logprobs", "reasoning_effort", "modalities", "audio", "prediction",
    })

    @property
    def base_url(self) -> str:
        base = secrets.resolve(self.deployment.litellm_params.api_base) or DEFAULT_BASE
        return str(base).rstrip("/")

    async def headers(self) -> dict[str, str]:
        key = await secrets.aresolve(self.deployment.litellm_params.api_key)
        key = key or next((os.environ[name] for name in KEY_ENV if os.environ.get(name)), None)
        if not key:
            raise InternalError(f"no API key configured for deployment '{self.deployment.id}' "
                                "(set litellm_params.api_key or REPLICATE_API_TOKEN)")
        return {"authorization": f"Bearer {key}"}

    # ------------------------------------------------------------------ request

    def _input(self, request: ChatRequest) -> dict[str, Any]:
        if request.response_format is not None and request.response_format.type == "text":
            request = request.model_copy(update={"response_format": None})
        return prediction_input(self.prepare(request), request.messages, drop_params=self.settings.drop_params)

    async def build_chat(self, request: ChatRequest, *, stream: bool) -> UpstreamRequest:
        where = target(self.deployment.upstream_model)
        body: dict[str, Any] = {"input": self._input(request)}
        if where.version:
            body["version"] = where.version
        headers = await self.headers()
        if stream:
            body["stream"] = True
        else:
            headers["prefer"] = f"wait={max(1, min(MAX_PREFER_WAIT, int(self.timeout)))}"
        return UpstreamRequest(f"{self.base_url}{where.path}", body, headers)

    def parse_chat(self, data: Any, request: ChatRequest) -> ChatResponse:
        return parse.parse_prediction(data, data.get("input") or {}, self.deployment.upstream_model)

    # ------------------------------------------------------------------ chat (wait, then poll)

    async def chat(self, request: ChatRequest) -> ChatResponse:
        deadline = time.monotonic() + self.timeout
        upstream = await self.build_chat(request, stream=False)
        prediction = await self._send_json(upstream)
        prediction = await self._until_done(prediction, upstream.headers, deadline)
        return parse.parse_prediction(prediction, upstream.json["input"], self.deployment.upstream_model)

    async def _until_done(self, prediction: Any, headers: dict[str, str], deadline: float) -> dict[str, Any]:
        delay = FIRST_POLL
        auth = {"authorization": headers["authorization"]}
        while isinstance(prediction, dict) and prediction.get("status") not in parse.TERMINAL:
            url = (prediction.get("urls") or {}).get("get")
            if not url:
                raise UpstreamError("replicate: an unfinished prediction without a URL to poll")
            if time.monotonic() + delay > deadline:
                await self._cancel(prediction, auth)
                raise GatewayTimeoutError(f"replicate: the prediction did not finish within {self.timeout:g}s")
            await asyncio.sleep(delay)
            delay = min(MAX_POLL, delay * 1.5)
            prediction = await self._get(url, auth, max(1.0, deadline - time.monotonic()))
        if not isinstance(prediction, dict):
            raise UpstreamError("replicate: unexpected prediction shape from the upstream")
        return prediction

    async def _get(self, url: str, headers: dict[str, str], read_timeout: float) -> Any:
        try:
            response = await http_client().get(url, headers={**headers, "accept": "application/json"},
                                               timeout=timeout(read_timeout))
        except httpx.HTTPError as exc:
            raise error_from_transport(self.name, exc, read_timeout) from None
        if response.status_code >= 400:
            raise self.map_error(response.status_code, response.content, response.headers)
        try:
            return response.json()
        except ValueError:
            raise UpstreamError("replicate: the upstream answered with invalid JSON") from None

    async def _cancel(self, prediction: dict[str, Any], headers: dict[str, str]) -> None:
        """Best effort: stop paying for a prediction nobody will read."""
        url = (prediction.get("urls") or {}).get("cancel")
        if url:
            with contextlib.suppress(httpx.HTTPError):
                await http_client().post(url, headers=headers, timeout=timeout(5.0))

    # ------------------------------------------------------------------ stream (SSE)

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        upstream = await self.build_chat(request, stream=True)
        prediction = await self._send_json(upstream)
        input_ = upstream.json["input"]
        stream_url = (prediction.get("urls") or {}).get("stream") if isinstance(prediction, dict) else None
        auth = {"authorization": upstream.headers["authorization"]}
        if not stream_url:
            # The model cannot stream: wait for it and replay the answer as chunks.
            done = await self._until_done(prediction, auth, time.monotonic() + self.timeout)
            whole = parse.parse_prediction(done, input_, self.deployment.upstream_model)
            for chunk in _replay(whole):
                yield chunk
            return
        state = _Stream(self.deployment.upstream_model, str(prediction.get("id") or "replicate"))
        try:
            async with http_client().stream(
                "GET", stream_url, timeout=timeout(self.stream_timeout),
                headers={**auth, "accept": "text/event-stream", "cache-control": "no-store"},
            ) as response:
                if response.status_code >= 400:
                    raise self.map_error(response.status_code, await response.aread(), response.headers)
                yield state.chunk(Delta(role="assistant", content=""))
                async for chunk in self.parse_stream(iter_events(response), request, state=state):
                    yield chunk
        except httpx.HTTPError as exc:
            raise error_from_transport(self.name, exc, self.stream_timeout) from None
        except (GeneratorExit, asyncio.CancelledError):
            # The client went away: stop the prediction rather than pay for output nobody reads.
            # A task, because this one is being torn down and may not await anything more.
            task = asyncio.get_running_loop().create_task(self._cancel(prediction, auth))
            _background.add(task)
            task.add_done_callback(_background.discard)
            raise
        metrics = await self._final_metrics(prediction, auth)
        counted = parse.usage(metrics, input_, "".join(state.text))
        yield state.chunk(Delta(), finish=parse.finish_reason(counted.completion_tokens, input_))
        yield state.chunk(None, usage=counted)

    async def parse_stream(self, events: AsyncIterator[SSEEvent], request: ChatRequest, *,
                           state: _Stream | None = None) -> AsyncIterator[ChatChunk]:
        """Text chunks from ``output`` events until ``done``; ``error`` raises."""
        state = state or _Stream(self.deployment.upstream_model, "replicate")
        async for event in events:
            if event.event == "output":
                if event.data:
                    state.text.append(event.data)
                    yield state.chunk(Delta(content=event.data))
            elif event.event == "error":
                raise _stream_error(event.data)
            elif event.event == "done":
                reason = _json_object(event.data).get("reason")
                if reason in ("canceled", "error"):
                    raise UpstreamError(f"replicate: the prediction ended early ({reason})",
                                        code=f"prediction_{reason}")
                return
        raise UpstreamError("replicate: the upstream stream ended without a done event")

    async def _final_metrics(self, prediction: dict[str, Any], auth: dict[str, str]) -> Any:
        """Token counts from the finished prediction; None (usage is then estimated) if unavailable."""
        url = (prediction.get("urls") or {}).get("get")
        if not url:
            return None
        try:
            done = await self._get(url, auth, 10.0)
        except TollwayError:
            return None
        return done.get("metrics") if isinstance(done, dict) else None


class _Stream:
    """The chunk factory and the text so far, for one stream."""

    def __init__(self, model: str, prediction_id: str) -> None:
        self.model = model
        self.id = f"chatcmpl-{prediction_id}"
        self.created = int(time.time())
        self.text: list[str] = []

    def chunk(self, delta: Delta | None, finish: Any = None, usage: Any = None) -> ChatChunk:
        choices = [] if delta is None else [ChunkChoice(delta=delta, finish_reason=finish)]
        return ChatChunk(id=self.id, created=self.created, model=self.model, choices=choices, usage=usage)


def _replay(whole: ChatResponse) -> list[ChatChunk]:
    state = _Stream(whole.model, whole.id.removeprefix("chatcmpl-"))
    choice = whole.choices[0]
    return [state.chunk(Delta(role="assistant", content="")), state.chunk(Delta(content=choice.message.content)),
            state.chunk(Delta(), finish=choice.finish_reason), state.chunk(None, usage=whole.usage)]


def _json_object(data: str) -> dict[str, Any]:
    try:
        value = json.loads(data) if data else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _stream_error(data: str) -> Exception:
    detail = _json_object(data)
    text = str(detail.get("detail") or detail.get("error") or data or "the prediction failed")
    return parse.failure({"status": "failed", "error": text})
