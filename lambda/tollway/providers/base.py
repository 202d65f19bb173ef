"""The adapter interface every provider implements.

An adapter turns canonical requests into one provider's calls and the provider's answers
back into canonical responses, chunks and ``tollway.errors``. It never raises HTTP
exceptions and never touches storage. One instance serves one deployment.

Optional capability, same-wire passthrough: an adapter whose upstream speaks a front door's
wire format natively says so in ``speaks(format)`` and implements ``send_native`` /
``stream_native``, which send the client's body as is (model replaced) and hand back the
upstream's body and events as received. The pipeline asks per attempt (docs/architecture.md).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from tollway.errors import InvalidRequestError, UnsupportedParamError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tollway.config.models import Deployment
    from tollway.passthrough.answers import NativeEvent, NativeResponse
    from tollway.passthrough.wire import WireRequest
    from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse
    from tollway.types.embeddings import EmbeddingRequest, EmbeddingResponse

#: OpenAI request parameters a deployment may set as defaults in ``litellm_params``
CALL_DEFAULTS = frozenset({
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed", "presence_penalty",
    "frequency_penalty", "reasoning_effort", "response_format", "user", "n",
})

#: the output limit's two names: one setting, so a default under one is not added to a request that set the other
_OUTPUT_LIMITS = frozenset({"max_tokens", "max_completion_tokens"})


def apply_call_defaults(body: dict[str, Any], defaults: dict[str, Any]) -> None:
    """Fill ``body``'s unset OpenAI parameters from a deployment's ``defaults`` (its ``litellm_params``).

    An output limit the request set (or a budget clamp set) under either name is never joined by a default
    under the other: upstreams read one or refuse both, and the request's own limit must be the one used."""
    has_limit = not _OUTPUT_LIMITS.isdisjoint(body)
    for key in CALL_DEFAULTS & defaults.keys():
        if key in _OUTPUT_LIMITS and has_limit:
            continue
        body.setdefault(key, defaults[key])


#: canonical request fields beyond OpenAI's that front doors may set (Anthropic's ``top_k``); an
#: adapter lists the ones it maps in ``extension_params``, the rest are a 400 unless ``drop_params``
EXTENSION_PARAMS = frozenset({"top_k"})


@dataclass(frozen=True)
class CallSettings:
    """Gateway-wide settings an adapter needs for every call."""

    timeout: float = 600.0
    stream_timeout: float | None = None
    drop_params: bool = False


class Provider(ABC):
    """A provider adapter bound to one deployment."""

    name: ClassVar[str] = ""
    #: request fields this provider cannot honour (a 400 unless ``drop_params``)
    unsupported_params: ClassVar[frozenset[str]] = frozenset()
    #: extension fields (``EXTENSION_PARAMS``) this provider maps to its own request
    extension_params: ClassVar[frozenset[str]] = frozenset()
    #: wire formats (``tollway.passthrough.wire``) this provider's upstream may take as sent
    native_formats: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, deployment: Deployment, settings: CallSettings) -> None:
        self.deployment = deployment
        self.settings = settings
        params = deployment.litellm_params
        self.timeout = params.timeout or settings.timeout
        self.stream_timeout = params.stream_timeout or settings.stream_timeout or self.timeout

    @abstractmethod
    async def chat(self, request: ChatRequest) -> ChatResponse:
        """One complete answer."""

    @abstractmethod
    def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Canonical chunks, ending with one that carries usage (choices empty)."""

    def speaks(self, wire_format: str) -> bool:
        """Whether this deployment takes requests of ``wire_format`` natively (passthrough)."""
        return wire_format in self.native_formats

    async def send_native(self, request: WireRequest) -> NativeResponse:
        """The upstream's complete answer to the client's body, as received (only if ``speaks``)."""
        raise NotImplementedError(f"{self.name} does not speak {request.format}")

    def stream_native(self, request: WireRequest) -> AsyncIterator[NativeEvent]:
        """The upstream's stream events for the client's body, as received (only if ``speaks``)."""
        raise NotImplementedError(f"{self.name} does not speak {request.format}")

    async def count_tokens(self, request: WireRequest) -> int | None:
        """The upstream's own input-token count for a native request, or None if it has no such API."""
        return None

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        raise InvalidRequestError(
            f"model '{request.model}' ({self.name}) does not support embeddings", param="model"
        )

    # ------------------------------------------------------------------ helpers for subclasses

    def prepare(self, request: ChatRequest) -> dict[str, Any]:
        """The request as a plain dict with deployment defaults applied and unsupported params handled."""
        body = request.model_dump(exclude_none=True)
        apply_call_defaults(body, self.deployment.litellm_params.model_extra or {})
        self.drop_unsupported(body, self.unsupported_params | (EXTENSION_PARAMS - self.extension_params))
        body["model"] = self.deployment.upstream_model
        return body

    def prepare_native(self, body: dict[str, Any]) -> dict[str, Any]:
        """A copy of the client's OpenAI-shaped body for a native call: deployment defaults filled in,
        parameters this provider rejects refused or dropped, the deployment's model id set."""
        out = dict(body)
        apply_call_defaults(out, self.deployment.litellm_params.model_extra or {})
        self.drop_unsupported(out, self.unsupported_params)
        out["model"] = self.deployment.upstream_model
        return out

    def drop_unsupported(self, body: dict[str, Any], names: frozenset[str]) -> None:
        """Remove ``names`` from ``body`` under ``drop_params``; otherwise the first one present is a 400."""
        for key in sorted(names & body.keys()):
            if not self.settings.drop_params:
                raise UnsupportedParamError(
                    f"{self.name} does not support the parameter '{key}' "
                    "(remove it, or set litellm_settings.drop_params: true to drop it)",
                    param=key,
                )
            del body[key]
