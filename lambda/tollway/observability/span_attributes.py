"""The attributes tracing puts on spans: GenAI semantic conventions from an answer and from the request's
``RequestContext`` (never a key, never message content)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tollway.passthrough.answers import NativeEvent, NativeResponse

if TYPE_CHECKING:
    from tollway.api.context import RequestContext

#: Tollway's provider prefixes -> ``gen_ai.provider.name`` well-known values (others pass as they are)
GENAI_PROVIDER_NAMES = {
    "openai": "openai", "azure": "azure.ai.openai", "anthropic": "anthropic", "bedrock": "aws.bedrock",
    "gemini": "gcp.gemini", "vertex_ai": "gcp.vertex_ai", "cohere": "cohere", "mistral": "mistral_ai",
    "groq": "groq", "deepseek": "deepseek", "xai": "x_ai", "perplexity": "perplexity",
}

_RESPONSE = ("gen_ai.response.model", "gen_ai.response.finish_reasons")
_USAGE = ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens")


def provider_name(provider: str | None) -> str:
    return GENAI_PROVIDER_NAMES.get(provider or "", provider or "unknown")


def response_attributes(response: Any) -> dict[str, Any]:
    """GenAI attributes of a canonical answer, or of a passthrough one (its parsed body in ``data``)."""
    out: dict[str, Any] = {}
    data = response.data if isinstance(response, (NativeResponse, NativeEvent)) else None
    native = data if isinstance(data, dict) else {}
    model = native.get("model") if native else getattr(response, "model", None)
    if isinstance(model, str) and model:
        out["gen_ai.response.model"] = model
    if native:
        listed = native.get("choices")
        choices: list[Any] = listed if isinstance(listed, list) else []
        reasons = [c.get("finish_reason") for c in choices if isinstance(c, dict) and c.get("finish_reason")]
        reasons += [native["stop_reason"]] if native.get("stop_reason") else []
    else:
        reasons = [c.finish_reason for c in getattr(response, "choices", None) or []
                   if getattr(c, "finish_reason", None)]
    if reasons:
        out["gen_ai.response.finish_reasons"] = tuple([str(r) for r in reasons])  # a tuple, as the SDK keeps one
    usage = getattr(response, "usage", None)
    if usage is not None and getattr(usage, "prompt_tokens", None) is not None:
        out["gen_ai.usage.input_tokens"] = int(usage.prompt_tokens)
        if getattr(usage, "completion_tokens", None) is not None:
            out["gen_ai.usage.output_tokens"] = int(usage.completion_tokens)
    return out


def request_attributes(ctx: RequestContext | None, facts: dict[str, Any]) -> dict[str, Any]:
    """What the request's ``RequestContext`` knows once it is answered (no keys, no content)."""
    out: dict[str, Any] = {}
    for name in _RESPONSE:  # what the last upstream answer said (``tracing.attempt`` reports it up)
        found = facts.get(name)
        if found:
            out[name] = found
    if ctx is None:
        return out
    out["tollway.request_id"] = ctx.request_id
    if ctx.model:
        out["gen_ai.request.model"] = ctx.model
    if ctx.provider:
        out["gen_ai.provider.name"] = provider_name(ctx.provider)
    if ctx.deployment:
        out["tollway.deployment_id"] = ctx.deployment
    if ctx.usage is not None:
        out["gen_ai.usage.input_tokens"] = int(ctx.usage.prompt_tokens or 0)
        out["gen_ai.usage.output_tokens"] = int(ctx.usage.completion_tokens or 0)
    else:
        for name in _USAGE:
            found = facts.get(name)
            if found is not None:
                out[name] = found
    if ctx.charge is not None and ctx.charge.cost is not None:
        out["tollway.cost_usd"] = float(ctx.charge.cost)
    if ctx.error_type:
        out["error.type"] = ctx.error_type
    auth = ctx.auth
    if auth is not None:
        for name, value in (("tollway.team_id", auth.team_id), ("tollway.user_id", auth.user_id),
                            ("tollway.key_alias", (auth.metadata or {}).get("key_alias"))):
            if value:
                out[name] = str(value)
    if ctx.extra.get("attempts"):
        out["tollway.attempts"] = int(ctx.extra["attempts"])
    return out
