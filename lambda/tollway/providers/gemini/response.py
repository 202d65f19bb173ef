"""Gemini ``GenerateContentResponse`` -> OpenAI chat completion (and the pieces streams reuse).

Contract: thought parts become ``reasoning_content``; function calls become ``tool_calls``
with stable generated ids; ``usageMetadata`` becomes usage where completion tokens include
thinking tokens and cached prompt tokens are reported; a blocked prompt is a
``ContentPolicyError`` (400 ``content_filter``), a blocked answer a ``content_filter`` finish.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from tollway.errors import ContentPolicyError, UpstreamError
from tollway.providers.gemini.toolids import tool_call_id
from tollway.types.chat import (
    ChatResponse,
    Choice,
    CompletionTokensDetails,
    FunctionCall,
    PromptTokensDetails,
    ResponseMessage,
    ToolCall,
    Usage,
)

#: Gemini finishReason -> OpenAI finish_reason (absent or unknown -> "stop")
FINISH_REASONS: dict[str, str] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "LANGUAGE": "stop",
    "OTHER": "stop",
    "MALFORMED_FUNCTION_CALL": "stop",
}


def finish_reason(reason: str | None, *, has_tool_calls: bool) -> str:
    mapped = FINISH_REASONS.get(reason or "STOP", "stop")
    return "tool_calls" if mapped == "stop" and has_tool_calls else mapped


def check_blocked(data: dict[str, Any], provider: str) -> None:
    """Raise when Gemini refused the prompt itself (no candidates, ``promptFeedback.blockReason``)."""
    reason = (data.get("promptFeedback") or {}).get("blockReason")
    if reason and not data.get("candidates"):
        message = (data.get("promptFeedback") or {}).get("blockReasonMessage") or "the prompt was blocked"
        raise ContentPolicyError(f"{provider}: {message} (blockReason {reason})")


def usage_from(meta: dict[str, Any] | None) -> Usage | None:
    if not meta:
        return None
    prompt = int(meta.get("promptTokenCount", 0)) + int(meta.get("toolUsePromptTokenCount", 0))
    thoughts = int(meta.get("thoughtsTokenCount", 0))
    completion = int(meta.get("candidatesTokenCount", 0)) + thoughts
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion,
        prompt_tokens_details=PromptTokensDetails(cached_tokens=int(meta.get("cachedContentTokenCount", 0))),
        completion_tokens_details=CompletionTokensDetails(reasoning_tokens=thoughts),
    )


@dataclass
class Parts:
    """A candidate's parts sorted into what OpenAI distinguishes."""

    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)


def split_parts(parts: list[dict[str, Any]], response_id: str, candidate: int, first_call: int = 0) -> Parts:
    """Sort parts; ``first_call`` numbers tool calls on from earlier stream events."""
    out = Parts()
    for part in parts:
        if "functionCall" in part:
            call = part["functionCall"]
            args = json.dumps(call.get("args") or {}, separators=(",", ":"), ensure_ascii=False)
            position = first_call + len(out.tool_calls)
            call_id = tool_call_id(response_id, candidate, position, call["name"], args,
                                   signature=part.get("thoughtSignature"))
            out.tool_calls.append(ToolCall(id=call_id, function=FunctionCall(name=call["name"], arguments=args)))
        elif "text" in part:
            (out.reasoning if part.get("thought") else out.text).append(part["text"])
    return out


def logprobs_from(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """Gemini ``logprobsResult`` in OpenAI's ``choice.logprobs`` shape."""
    if not result:
        return None
    chosen = result.get("chosenCandidates") or []
    tops = result.get("topCandidates") or []
    content = []
    for i, token in enumerate(chosen):
        text = token.get("token", "")
        alternatives = tops[i].get("candidates", []) if i < len(tops) else []
        content.append({
            "token": text, "logprob": token.get("logProbability", 0.0), "bytes": list(text.encode()),
            "top_logprobs": [{"token": alt.get("token", ""), "logprob": alt.get("logProbability", 0.0),
                              "bytes": list(alt.get("token", "").encode())} for alt in alternatives],
        })
    return {"content": content, "refusal": None}


def response_id_of(data: dict[str, Any]) -> str:
    return str(data.get("responseId") or uuid.uuid4().hex)


def parse_response(data: Any, model: str, provider: str) -> ChatResponse:
    if not isinstance(data, dict):
        raise UpstreamError(f"{provider}: unexpected response shape from the upstream")
    check_blocked(data, provider)
    response_id = response_id_of(data)
    choices = []
    for position, candidate in enumerate(data.get("candidates") or []):
        index = int(candidate.get("index", position))
        parts = split_parts((candidate.get("content") or {}).get("parts") or [], response_id, index)
        message = ResponseMessage(
            content="".join(parts.text) if parts.text else None,
            reasoning_content="".join(parts.reasoning) if parts.reasoning else None,
            tool_calls=parts.tool_calls or None,
        )
        reason = finish_reason(candidate.get("finishReason"), has_tool_calls=bool(parts.tool_calls))
        choices.append(Choice(index=index, message=message, finish_reason=reason,  # type: ignore[arg-type]
                              logprobs=logprobs_from(candidate.get("logprobsResult"))))
    if not choices:
        raise UpstreamError(f"{provider}: the upstream answered without candidates")
    return ChatResponse(
        id=f"chatcmpl-{response_id}", created=int(time.time()), model=str(data.get("modelVersion") or model),
        choices=choices, usage=usage_from(data.get("usageMetadata")),
    )
