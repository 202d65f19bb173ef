"""``voyage/<model>``: Voyage AI's embeddings API (``POST {api_base}/embeddings``), an embeddings-only provider.

Voyage's body is OpenAI's with its own names: ``dimensions`` -> ``output_dimension``;
``encoding_format`` is ``base64`` or absent (OpenAI's ``float`` is Voyage's default, so it is
left out). Voyage-only settings come from the deployment (``litellm_params``): ``input_type``
(``query`` / ``document``), ``truncation``, ``output_dtype``, and a default ``output_dimension``.
Inputs must be text (token ids are refused). The key is ``api_key`` or ``VOYAGE_API_KEY``, sent
as a Bearer token; ``api_base`` (or ``VOYAGE_API_BASE``) defaults to ``https://api.voyageai.com/v1``.
Usage: Voyage reports ``total_tokens`` only, which is the input count (embeddings have no output).
Chat requests to a Voyage deployment are a 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from tollway.errors import InvalidRequestError, UnsupportedParamError
from tollway.providers.catalog import CompatSpec
from tollway.providers.http_provider import UpstreamRequest
from tollway.providers.openai.adapter import OpenAIProvider

if TYPE_CHECKING:
    from tollway.types.chat import ChatRequest
    from tollway.types.embeddings import EmbeddingRequest, EmbeddingResponse

VOYAGE = CompatSpec("https://api.voyageai.com/v1", ("VOYAGE_API_KEY",), base_env=("VOYAGE_API_BASE",))
#: deployment settings sent in the body when the request does not set them
SETTINGS = ("input_type", "truncation", "output_dtype", "output_dimension")


class VoyageProvider(OpenAIProvider):
    name = "voyage"
    spec: ClassVar[CompatSpec] = VOYAGE
    native_formats = frozenset()

    async def build_chat(self, request: ChatRequest, *, stream: bool) -> UpstreamRequest:
        raise InvalidRequestError(f"model '{request.model}' (voyage) serves embeddings only; "
                                  "use /v1/embeddings", param="model")

    async def build_embed(self, request: EmbeddingRequest) -> UpstreamRequest:
        if request.texts is None:
            raise InvalidRequestError("voyage embeds text: 'input' must be a string or a list of strings",
                                      param="input")
        body: dict[str, Any] = {"model": self.deployment.upstream_model, "input": request.input}
        if request.dimensions is not None:
            body["output_dimension"] = request.dimensions
        if request.encoding_format == "base64":
            body["encoding_format"] = "base64"
        if request.user is not None and not self.settings.drop_params:
            raise UnsupportedParamError("voyage embeddings do not support the parameter 'user' "
                                        "(remove it, or set litellm_settings.drop_params: true to drop it)",
                                        param="user")
        extras = self.deployment.litellm_params.model_extra or {}
        for key in SETTINGS:
            if extras.get(key) is not None:
                body.setdefault(key, extras[key])
        return UpstreamRequest(self.api_url("/embeddings"), body, await self.headers())

    def parse_embed(self, data: Any, request: EmbeddingRequest) -> EmbeddingResponse:
        response = super().parse_embed(data, request)
        if not response.usage.prompt_tokens:
            response.usage.prompt_tokens = response.usage.total_tokens
        return response
