"""``WireRequest``: a chat request as the client sent it, in its own wire format.

The pipeline routes, meters and retries a ``WireRequest``; each attempt either sends ``body``
natively (the deployment speaks ``format``) or translates it once into the canonical
``ChatRequest`` (``canonical()``, cached; it may raise a 400 naming what the target cannot take).
Metering reads the request through the same few attributes it reads on a ``ChatRequest``
(``messages``, ``model_dump(include=...)``, ``output_limit``, ``n``, ``user``, ``metadata``),
taken straight from the body.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from tollway.types.chat import ChatRequest

#: Anthropic's Messages API (``/v1/messages``)
ANTHROPIC_MESSAGES = "anthropic.messages"
#: OpenAI's Chat Completions API (``/v1/chat/completions``)
OPENAI_CHAT = "openai.chat"
#: OpenAI's Responses API (``/v1/responses``)
OPENAI_RESPONSES = "openai.responses"

#: request headers a native attempt forwards upstream, per format
FORWARDED_HEADERS: dict[str, tuple[str, ...]] = {
    ANTHROPIC_MESSAGES: ("anthropic-beta", "anthropic-version"),
    OPENAI_CHAT: (),
    OPENAI_RESPONSES: (),
}


#: the body fields that cap a format's output; the first is the one added when the client set none
OUTPUT_LIMIT_FIELDS: dict[str, tuple[str, ...]] = {
    OPENAI_CHAT: ("max_completion_tokens", "max_tokens"),
    ANTHROPIC_MESSAGES: ("max_tokens",),
    OPENAI_RESPONSES: ("max_output_tokens",),
}


@dataclass(frozen=True, slots=True)
class Turn:
    """What token estimates read of one message: its content."""

    content: Any
    tool_calls: None = None


@dataclass
class WireRequest:
    format: str
    #: the client's JSON body (gateway-only fields such as ``fallbacks`` removed)
    body: dict[str, Any]
    #: the forwarded headers the client sent (lower-case names)
    headers: dict[str, str] = field(default_factory=dict)
    #: builds the canonical form for attempts on a deployment of another format
    translate: Callable[[], ChatRequest] | None = None
    _canonical: ChatRequest | None = field(default=None, repr=False)

    def canonical(self) -> ChatRequest:
        """The request in the canonical model (translated on first use, then cached)."""
        if self._canonical is None:
            if self.translate is None:
                raise TypeError(f"no translation for {self.format}")
            self._canonical = self.translate()
        return self._canonical

    def capped(self, tokens: int) -> WireRequest:
        """This request with its output limit at most ``tokens`` (a budget's clamp): the lower of the
        client's own limit and ``tokens`` in each limit field the client set, else the format's own
        field added; never a field the format lacks. The body is copied, the client's left as sent."""
        names = OUTPUT_LIMIT_FIELDS.get(self.format, ())
        body = dict(self.body)
        present = [name for name in names if _is_int(body.get(name))]
        for name in present:
            body[name] = min(body[name], tokens)
        if not present and names:
            body[names[0]] = tokens
        return replace(self, body=body)

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def stream(self) -> bool:
        return self.body.get("stream") is True

    # ------------------------------------------------------------------ what metering reads

    @property
    def messages(self) -> list[Turn]:
        if self.format == OPENAI_RESPONSES:
            return _response_turns(self.body)
        turns = [Turn(m.get("content")) for m in self.body.get("messages") or [] if isinstance(m, dict)]
        system = self.body.get("system")
        return [Turn(system), *turns] if system else turns

    @property
    def tools(self) -> None:
        return None  # tool schemas are counted by ``model_dump`` (the prompt bound), not by estimates

    @property
    def output_limit(self) -> int | None:
        for name in ("max_completion_tokens", "max_tokens", "max_output_tokens"):
            value = self.body.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        return None

    @property
    def output_floor(self) -> int:
        """The least output limit the body stays valid with: Anthropic's extended thinking needs
        ``max_tokens`` above ``thinking.budget_tokens``; 0 otherwise."""
        thinking = self.body.get("thinking") if self.format == ANTHROPIC_MESSAGES else None
        budget = thinking.get("budget_tokens") if isinstance(thinking, dict) and thinking.get("type") == "enabled" \
            else None
        return budget + 1 if isinstance(budget, int) and not isinstance(budget, bool) else 0

    @property
    def reasoning_effort(self) -> str | None:
        """Whether (and how hard) a translated attempt asks the model to think: Chat's ``reasoning_effort``,
        Responses' ``reasoning.effort``, Messages' ``output_config.effort`` (``medium`` for adaptive
        thinking, as the Messages front door maps it; enabled thinking has its ``output_floor``)."""
        if self.format == ANTHROPIC_MESSAGES:
            config, thinking = self.body.get("output_config"), self.body.get("thinking")
            value = config.get("effort") if isinstance(config, dict) else None
            if value is None and isinstance(thinking, dict) and thinking.get("type") == "adaptive":
                value = "medium"
        else:
            reasoning = self.body.get("reasoning")
            value = (reasoning.get("effort") if isinstance(reasoning, dict) else None) \
                if self.format == OPENAI_RESPONSES else self.body.get("reasoning_effort")
        return value if isinstance(value, str) else None

    @property
    def n(self) -> int | None:
        value = self.body.get("n")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def user(self) -> str | None:
        if self.format == ANTHROPIC_MESSAGES:
            metadata = self.body.get("metadata")
            value = metadata.get("user_id") if isinstance(metadata, dict) else None
        else:
            value = self.body.get("user")
        return str(value) if value else None

    @property
    def metadata(self) -> Any:
        return self.body.get("metadata") if self.format in (OPENAI_CHAT, OPENAI_RESPONSES) else None

    def model_dump(self, *, include: set[str] | None = None, **_: Any) -> dict[str, Any]:
        """The body's fields named in ``include`` (``messages`` brings ``system`` along), as sent."""
        names = set(include or self.body)
        if "messages" in names:
            names |= {"system", "input", "instructions"}
        return {name: self.body[name] for name in names if name in self.body}


def _response_turns(body: dict[str, Any]) -> list[Turn]:
    """A Responses body's text-bearing parts as turns: instructions, then each input item's content
    (or a function call's arguments, a tool output)."""
    turns = [Turn(body["instructions"])] if body.get("instructions") else []
    items = body.get("input")
    if isinstance(items, str):
        return [*turns, Turn(items)]
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            turns.append(Turn(item.get("content") or item.get("arguments") or item.get("output")))
    return turns


def forwarded_headers(fmt: str, headers: Any) -> dict[str, str]:
    """The request headers a native attempt of ``fmt`` passes upstream."""
    return {name: headers[name] for name in FORWARDED_HEADERS.get(fmt, ()) if headers.get(name)}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
