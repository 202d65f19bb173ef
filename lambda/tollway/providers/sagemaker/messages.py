"""``sagemaker_chat/<endpoint>``: containers serving OpenAI's Chat Completions at ``/invocations``.

TGI's Messages API, LMI and vLLM containers take an OpenAI chat body (``messages``) on SageMaker's
``/invocations`` and answer with a chat completion, or with its SSE chunks when ``stream`` is
true. The body is the client's request with deployment defaults applied; ``model`` is left out
(the container serves one model, and vLLM refuses a name it does not serve). Streams ask for the
usage chunk. When the container reports no usage, it is estimated with ``tollway.tokens``.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from tollway.errors import UpstreamError
from tollway.providers.openai.errors import stream_error
from tollway.tokens import estimate_prompt, estimate_text
from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse, Usage


def request_body(body: dict[str, Any], *, stream: bool) -> dict[str, Any]:
    """The container's body from a prepared OpenAI request dict."""
    body.pop("model", None)
    for message in body["messages"]:
        message.pop("thinking_blocks", None)
    if stream:
        body["stream"] = True
        body["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
    else:
        body.pop("stream", None)
        body.pop("stream_options", None)
    return body


def estimated(request: ChatRequest, text: str) -> Usage:
    prompt = estimate_prompt(request)
    completion = estimate_text(text)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


def to_response(data: Any, request: ChatRequest, model: str) -> ChatResponse:
    try:
        response = ChatResponse.model_validate(data)
    except ValidationError:
        raise UpstreamError("sagemaker_chat: unexpected chat completion shape from the endpoint",
                            code="upstream_bad_response") from None
    response.model = model
    if response.usage is None or not response.usage.total_tokens:
        text = "".join(choice.message.content or "" for choice in response.choices)
        response.usage = estimated(request, text)
    return response


class StreamReader:
    """Chat completion chunks as the container sends them; usage kept for one usage-only last chunk."""

    def __init__(self, request: ChatRequest, model: str, provider: str) -> None:
        self.request = request
        self.model = model
        self.provider = provider
        self.usage: Usage | None = None
        self.text: list[str] = []
        self.last: ChatChunk | None = None

    def feed(self, value: Any) -> list[ChatChunk]:
        if isinstance(value, dict) and "error" in value:
            raise stream_error(self.provider, value)
        try:
            chunk = ChatChunk.model_validate(value)
        except ValidationError:
            raise UpstreamError(f"{self.provider}: unexpected chunk shape in the endpoint's stream",
                                code="upstream_bad_stream") from None
        chunk.model = self.model
        if chunk.usage is not None and chunk.usage.total_tokens:
            self.usage = chunk.usage
        chunk.usage = None
        self.last = chunk
        self.text += [choice.delta.content or "" for choice in chunk.choices]
        return [chunk] if chunk.choices else []

    def end(self) -> list[ChatChunk]:
        if self.last is None:
            raise UpstreamError(f"{self.provider}: the endpoint ended the stream without sending any event",
                                code="upstream_bad_stream")
        usage = self.usage or estimated(self.request, "".join(self.text))
        return [ChatChunk(id=self.last.id, created=self.last.created, model=self.model, choices=[], usage=usage)]
