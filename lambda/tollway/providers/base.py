"""The adapter interface every provider implements.

An adapter turns canonical requests into one provider's calls and the provider's answers
back into canonical responses, chunks and ``tollway.errors``. It never raises HTTP
exceptions and never touches storage. One instance serves one deployment.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from tollway.errors import InvalidRequestError, UnsupportedParamError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tollway.config.models import Deployment
    from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse
    from tollway.types.embeddings import EmbeddingRequest, EmbeddingResponse

#: OpenAI request parameters a deployment may set as defaults in ``litellm_params``
CALL_DEFAULTS = frozenset({
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed", "presence_penalty",
    "frequency_penalty", "reasoning_effort", "response_format", "user", "n",
})


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

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        raise InvalidRequestError(
            f"model '{request.model}' ({self.name}) does not support embeddings", param="model"
        )

    # ------------------------------------------------------------------ helpers for subclasses

    def prepare(self, request: ChatRequest) -> dict[str, Any]:
        """The request as a plain dict with deployment defaults applied and unsupported params handled."""
        body = request.model_dump(exclude_none=True)
        extras = self.deployment.litellm_params.model_extra or {}
        for key in CALL_DEFAULTS & extras.keys():
            body.setdefault(key, extras[key])
        for key in self.unsupported_params & body.keys():
            if not self.settings.drop_params:
                raise UnsupportedParamError(
                    f"{self.name} does not support the parameter '{key}' "
                    "(remove it, or set litellm_settings.drop_params: true to drop it)",
                    param=key,
                )
            del body[key]
        body["model"] = self.deployment.upstream_model
        return body
