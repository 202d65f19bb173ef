"""OpenAI embeddings <-> Gemini ``batchEmbedContents`` (and the vectors' OpenAI encoding).

Gemini returns no token counts for embeddings, so usage is the gateway's estimate
(``tollway.tokens``) to keep metering and budgets meaningful.
"""

from __future__ import annotations

import base64
import struct
from typing import Any

from tollway.errors import InvalidRequestError, UpstreamError
from tollway.tokens import estimate_text
from tollway.types.embeddings import Embedding, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage


def texts_of(request: EmbeddingRequest, provider: str) -> list[str]:
    texts = request.texts
    if texts is None:
        raise InvalidRequestError(f"{provider} embeddings take text input, not token ids", param="input")
    if not texts:
        raise InvalidRequestError("'input' must not be empty", param="input")
    return texts


def batch_body(request: EmbeddingRequest, model_path: str, provider: str) -> dict[str, Any]:
    """``model_path`` is ``models/<id>``, as Gemini wants it inside each request."""
    requests = []
    for text in texts_of(request, provider):
        item: dict[str, Any] = {"model": model_path, "content": {"parts": [{"text": text}]}}
        if request.dimensions:
            item["outputDimensionality"] = request.dimensions
        requests.append(item)
    return {"requests": requests}


def encode(vector: list[float], encoding_format: str | None) -> list[float] | str:
    """OpenAI's base64 format is little-endian float32 bytes."""
    if encoding_format == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return vector


def build_response(vectors: list[list[float]], request: EmbeddingRequest, model: str,
                   prompt_tokens: int | None = None) -> EmbeddingResponse:
    if prompt_tokens is None:
        prompt_tokens = sum(estimate_text(text) for text in request.texts or [])
    data = [Embedding(index=i, embedding=encode(vector, request.encoding_format)) for i, vector in enumerate(vectors)]
    return EmbeddingResponse(data=data, model=model,
                             usage=EmbeddingUsage(prompt_tokens=prompt_tokens, total_tokens=prompt_tokens))


def parse_batch(data: Any, request: EmbeddingRequest, model: str, provider: str) -> EmbeddingResponse:
    try:
        vectors = [[float(x) for x in item["values"]] for item in data["embeddings"]]
    except (KeyError, TypeError, ValueError):
        raise UpstreamError(f"{provider}: unexpected embeddings shape from the upstream") from None
    if len(vectors) != len(request.texts or []):
        raise UpstreamError(f"{provider}: the upstream returned {len(vectors)} embeddings for "
                            f"{len(request.texts or [])} inputs")
    return build_response(vectors, request, model)
