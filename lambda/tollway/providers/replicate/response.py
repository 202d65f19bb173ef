"""Replicate predictions -> canonical responses, usage and errors.

A language model's ``output`` is a list of string tokens (joined here) or one string.
Replicate reports token counts only for some models, in ``metrics.input_token_count`` and
``metrics.output_token_count``; when they are missing, usage is *estimated* with
``tollway.tokens`` from the prompt actually sent and the text received (close to BPE
counts, not exact). Replicate has no finish reason: "length" when the output reached the
requested ``max_tokens``, else "stop".
"""

from __future__ import annotations

import time
from typing import Any

from tollway.errors import ContextWindowExceededError, TollwayError, UpstreamError
from tollway.providers.transport import error_from_status
from tollway.tokens import estimate_text
from tollway.types.chat import ChatResponse, Choice, ResponseMessage, Usage

TERMINAL = frozenset({"succeeded", "failed", "canceled", "aborted"})


def output_text(output: Any) -> str:
    if output is None:
        return ""
    if isinstance(output, str):
        return output
    if isinstance(output, list) and all(isinstance(item, str) for item in output):
        return "".join(output)
    raise UpstreamError("replicate: the model's output is not text (is it a language model?)")


def failure(prediction: dict[str, Any]) -> TollwayError:
    """The error for a prediction that ended without success."""
    status = prediction.get("status")
    if status == "failed":
        text = str(prediction.get("error") or "the prediction failed")
        mapped = error_from_status("replicate", 400, text)
        if isinstance(mapped, ContextWindowExceededError):
            return mapped
        return UpstreamError(f"replicate: prediction failed: {text}", code="prediction_failed")
    return UpstreamError(f"replicate: the prediction was {status}", code=f"prediction_{status}")


def usage(metrics: Any, input_: dict[str, Any], text: str) -> Usage:
    """Replicate's counts when it reports them, else an estimate (see the module docstring)."""
    metrics = metrics if isinstance(metrics, dict) else {}
    prompt = metrics.get("input_token_count")
    completion = metrics.get("output_token_count")
    if not isinstance(prompt, int):
        prompt = estimate_text(str(input_.get("system_prompt", ""))) + estimate_text(str(input_.get("prompt", "")))
    if not isinstance(completion, int):
        completion = estimate_text(text)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


def finish_reason(completion_tokens: int, input_: dict[str, Any]) -> str:
    limit = input_.get("max_tokens") or input_.get("max_new_tokens")
    return "length" if isinstance(limit, int) and completion_tokens >= limit else "stop"


def parse_prediction(prediction: Any, input_: dict[str, Any], model: str) -> ChatResponse:
    if not isinstance(prediction, dict) or "status" not in prediction:
        raise UpstreamError("replicate: unexpected prediction shape from the upstream")
    if prediction["status"] != "succeeded":
        raise failure(prediction)
    text = output_text(prediction.get("output"))
    counted = usage(prediction.get("metrics"), input_, text)
    return ChatResponse(
        id=f"chatcmpl-{prediction.get('id') or 'replicate'}",
        created=int(time.time()),
        model=model,
        choices=[Choice(message=ResponseMessage(content=text),
                        finish_reason=finish_reason(counted.completion_tokens, input_))],  # type: ignore[arg-type]
        usage=counted,
    )
