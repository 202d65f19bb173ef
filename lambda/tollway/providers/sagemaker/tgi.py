"""``sagemaker/<endpoint>``: Hugging Face TGI's text-generation format, as LiteLLM sends it.

Request: ``{"inputs": <prompt>, "parameters": {...}}`` (plus ``"stream": true`` for a stream),
the prompt built by ``prompt``. OpenAI parameters map to TGI's: ``max_tokens`` /
``max_completion_tokens`` -> ``max_new_tokens``, ``temperature`` (0 becomes 0.01, which TGI
requires to be positive, unless ``aws_sagemaker_allow_zero_temp``), ``top_p``, ``top_k``, ``stop``,
``seed``; ``n`` > 1 -> ``best_of`` with sampling (one answer, the best of n, as LiteLLM does).

Answer: ``[{"generated_text": ...}]`` (TGI, LMI) or ``{"generation": ...}`` (JumpStart), with
``details`` (``finish_reason``, ``generated_tokens``, ``prefill``) when the container reports them;
an answer that repeats the prompt (``return_full_text``) has it removed. Stream: TGI's events
(``{"token": {"text", "special"}, "generated_text", "details"}``), or LMI's ``{"outputs": [...]}``
lines. Usage is the container's count when given (``generated_tokens``, ``prefill``), else
estimated with ``tollway.tokens`` from the prompt sent and the text received.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from tollway.errors import TollwayError, UpstreamError
from tollway.providers.sagemaker.errors import from_container
from tollway.tokens import estimate_text
from tollway.types.chat import ChatChunk, ChatResponse, Choice, ChunkChoice, Delta, ResponseMessage, Usage

#: the OpenAI request fields this format has a place for; any other is refused (or dropped)
ACCEPTED = frozenset({"model", "messages", "stream", "stream_options", "temperature", "top_p", "top_k",
                      "max_tokens", "max_completion_tokens", "stop", "seed", "n"})
_FINISH = {"length": "length", "eos_token": "stop", "stop_sequence": "stop"}
#: TGI's ``error_type`` of an error event -> the HTTP status it would have answered with
_ERROR_STATUS = {"validation": 422, "overloaded": 429}


def parameters(body: dict[str, Any], *, allow_zero_temp: bool) -> dict[str, Any]:
    """TGI ``parameters`` for an OpenAI request dict (already checked against ``ACCEPTED``)."""
    out: dict[str, Any] = {}
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if limit is not None:
        out["max_new_tokens"] = int(limit)
    if body.get("temperature") is not None:
        out["temperature"] = body["temperature"] if body["temperature"] > 0 or allow_zero_temp else 0.01
    for name in ("top_p", "top_k", "seed"):
        if body.get(name) is not None:
            out[name] = body[name]
    if body.get("stop") is not None:
        out["stop"] = [body["stop"]] if isinstance(body["stop"], str) else list(body["stop"])
    if (body.get("n") or 1) > 1:
        out.update(best_of=body["n"], do_sample=True)
    return out


def request_body(prompt: str, params: dict[str, Any], *, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"inputs": prompt, "parameters": params}
    if stream:
        body["stream"] = True
    return body


def usage(details: Any, prompt: str, text: str) -> Usage:
    details = details if isinstance(details, dict) else {}
    prefill = details.get("prefill")
    prompt_tokens = len(prefill) if isinstance(prefill, list) and prefill else estimate_text(prompt)
    generated = details.get("generated_tokens")
    completion = generated if isinstance(generated, int) else estimate_text(text)
    return Usage(prompt_tokens=prompt_tokens, completion_tokens=completion, total_tokens=prompt_tokens + completion)


def finish_reason(details: Any, completion_tokens: int, params: dict[str, Any]) -> str:
    reason = details.get("finish_reason") if isinstance(details, dict) else None
    if reason in _FINISH:
        return _FINISH[reason]
    limit = params.get("max_new_tokens")
    return "length" if isinstance(limit, int) and completion_tokens >= limit else "stop"


def to_response(data: Any, prompt: str, params: dict[str, Any], model: str) -> ChatResponse:
    """The canonical answer to a TGI/LMI/JumpStart text-generation body."""
    item = data[0] if isinstance(data, list) and data else data
    if not isinstance(item, dict):
        raise UpstreamError("sagemaker: unexpected answer shape from the endpoint", code="upstream_bad_response")
    text = item.get("generated_text", item.get("generation"))
    if not isinstance(text, str):
        raise UpstreamError("sagemaker: the endpoint's answer has no generated_text", code="upstream_bad_response")
    if prompt and text.startswith(prompt):
        text = text[len(prompt):]
    counted = usage(item.get("details"), prompt, text)
    choice = Choice(message=ResponseMessage(content=text),
                    finish_reason=finish_reason(item.get("details"), counted.completion_tokens, params))  # type: ignore[arg-type]
    return ChatResponse(id=f"chatcmpl-{uuid.uuid4().hex}", created=int(time.time()), model=model,
                        choices=[choice], usage=counted)


class StreamTranslator:
    """TGI / LMI stream objects -> canonical chunks; ``end`` adds the finish and usage chunks."""

    def __init__(self, model: str, prompt: str, params: dict[str, Any], provider: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model
        self.prompt = prompt
        self.params = params
        self.provider = provider
        self.text: list[str] = []
        self.details: Any = None
        self.started = False
        self.seen = False

    def feed(self, value: Any) -> list[ChatChunk]:
        self.seen = True
        if isinstance(value, dict) and "error" in value:
            raise _stream_error(self.provider, value)
        piece = self._piece(value)
        if isinstance(value, dict) and isinstance(value.get("details"), dict):
            self.details = value["details"]
        if not piece:
            return []
        self.text.append(piece)
        chunks = [] if self.started else [self._chunk(Delta(role="assistant", content=""))]
        self.started = True
        return [*chunks, self._chunk(Delta(content=piece))]

    def end(self) -> list[ChatChunk]:
        if not self.seen:
            raise UpstreamError(f"{self.provider}: the endpoint ended the stream without sending any event",
                                code="upstream_bad_stream")
        text = "".join(self.text)
        counted = usage(self.details, self.prompt, text)
        finish = finish_reason(self.details, counted.completion_tokens, self.params)
        start = [] if self.started else [self._chunk(Delta(role="assistant", content=""))]
        return [*start, self._chunk(Delta(), finish),
                ChatChunk(id=self.id, created=self.created, model=self.model, choices=[], usage=counted)]

    def _piece(self, value: Any) -> str:
        if isinstance(value, list):  # a whole (non-streamed) answer sent down the stream
            item = value[0] if value else {}
            self.details = item.get("details") if isinstance(item, dict) else None
            text = item.get("generated_text", item.get("generation")) if isinstance(item, dict) else None
            return text if isinstance(text, str) else ""
        if not isinstance(value, dict):
            raise UpstreamError(f"{self.provider}: unexpected stream event from the endpoint",
                                code="upstream_bad_stream")
        token = value.get("token")
        if isinstance(token, dict):
            return "" if token.get("special") else str(token.get("text") or "")
        outputs = value.get("outputs")
        if isinstance(outputs, list):
            return "".join(str(part) for part in outputs)
        text = value.get("generated_text")
        return text if isinstance(text, str) and not self.text else ""

    def _chunk(self, delta: Delta, finish: str | None = None) -> ChatChunk:
        choice = ChunkChoice(index=0, delta=delta, finish_reason=finish)  # type: ignore[arg-type]
        return ChatChunk(id=self.id, created=self.created, model=self.model, choices=[choice])


def _stream_error(provider: str, value: dict[str, Any]) -> TollwayError:
    """TGI's in-stream ``{"error", "error_type"}`` event, mapped as its HTTP answer would be."""
    return from_container(provider, _ERROR_STATUS.get(str(value.get("error_type")), 500), str(value.get("error")))
