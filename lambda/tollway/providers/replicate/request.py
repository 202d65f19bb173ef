"""Canonical chat request -> a Replicate prediction: where to POST it and its ``input``.

Replicate models take a flat ``input`` object, not messages. Language models on Replicate
(Llama, Mistral, Granite, ...) accept ``prompt`` and ``system_prompt`` and wrap them in their
own chat template, so the gateway's template is deliberately plain:

- system (and developer) messages, joined by a blank line, become ``system_prompt``;
- a conversation of a single user message is sent as that message's text;
- anything longer becomes a transcript, turns separated by a blank line, ending with
  an open assistant turn for the model to complete::

      User: What is 2+2?

      Assistant: 4

      User: And times 3?

      Assistant:

Sampling: ``max_tokens`` -> ``max_tokens`` (``max_new_tokens`` for Llama 2), ``temperature``,
``top_p``, ``seed``, ``presence_penalty``, ``frequency_penalty``, ``stop`` -> ``stop_sequences``
(comma-separated, as Replicate's language models take it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tollway.errors import InvalidRequestError, UnsupportedParamError
from tollway.tokens import message_text

if TYPE_CHECKING:
    from tollway.types.chat import Message

PASSTHROUGH = ("temperature", "top_p", "seed", "presence_penalty", "frequency_penalty")
ROLE_LABELS = {"user": "User", "assistant": "Assistant", "tool": "Tool result", "function": "Tool result"}


@dataclass(frozen=True)
class Target:
    """Where a prediction is created: ``path`` under the API base, plus ``version`` when pinned."""

    path: str
    version: str | None = None


def target(model: str) -> Target:
    """``owner/name`` (official model), ``owner/name:version`` or a bare version id, ``deployments/owner/name``."""
    if model.startswith("deployments/"):
        return Target(f"/v1/{model}/predictions")
    name, sep, version = model.partition(":")
    if sep:
        return Target("/v1/predictions", version)
    if "/" not in name:
        return Target("/v1/predictions", name)
    return Target(f"/v1/models/{name}/predictions")


def prediction_input(body: dict[str, Any], messages: list[Message], *, drop_params: bool) -> dict[str, Any]:
    """The model ``input`` from ``Provider.prepare``'s dict (defaults applied, unsupported handled)."""
    system, prompt = render(messages, drop_params=drop_params)
    out: dict[str, Any] = {"prompt": prompt}
    if system:
        out["system_prompt"] = system
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if limit:
        out[max_tokens_name(body["model"])] = limit
    for key in PASSTHROUGH:
        if key in body:
            out[key] = body[key]
    stop = body.get("stop")
    if stop:
        out["stop_sequences"] = stop if isinstance(stop, str) else ",".join(stop)
    if body.get("n", 1) > 1 and not drop_params:
        raise UnsupportedParamError("replicate returns one output per prediction; 'n' must be 1", param="n")
    return out


def max_tokens_name(model: str) -> str:
    return "max_new_tokens" if "llama-2" in model else "max_tokens"


def render(messages: list[Message], *, drop_params: bool) -> tuple[str, str]:
    """(system_prompt, prompt) by the template in this module's docstring."""
    system: list[str] = []
    turns: list[tuple[str, str]] = []
    for message in messages:
        if message.role in ("system", "developer"):
            system.append(message_text(message.content))
            continue
        if message.role == "user" and not isinstance(message.content, str):
            _check_parts(message.content, drop_params=drop_params)
        turns.append((message.role, message_text(message.content)))
    if len(turns) == 1 and turns[0][0] == "user":
        return "\n\n".join(system), turns[0][1]
    lines = [f"{ROLE_LABELS[role]}: {text}" for role, text in turns]
    lines.append("Assistant:")
    return "\n\n".join(system), "\n\n".join(lines)


def _check_parts(parts: list[Any], *, drop_params: bool) -> None:
    for part in parts:
        if part.type != "text" and not drop_params:
            raise InvalidRequestError(
                f"replicate chat models take text only; '{part.type}' content is not supported "
                "(set litellm_settings.drop_params: true to drop it)",
                param="messages", code="unsupported_parameter",
            )
