"""Bedrock embeddings through ``InvokeModel``: Amazon Titan text and Cohere embed.

- Titan (``amazon.titan-embed-text-*``) embeds one text per call, so inputs are sent as
  concurrent calls (at most ``CONCURRENCY`` at once); v2 takes ``dimensions`` and
  ``normalize`` (``litellm_params.normalize``, default true).
- Cohere (``cohere.embed-*``) embeds all texts in one call; ``input_type`` comes from
  ``litellm_params.input_type`` (default ``search_document``); ``dimensions`` is
  ``output_dimension`` on embed v4 and unsupported on v3.
Token counts come from Bedrock's ``x-amzn-bedrock-input-token-count`` header (Titan also puts
one in its body). ``encoding_format: base64`` packs float32 little-endian, as OpenAI does.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
from typing import TYPE_CHECKING, Any

from tollway.errors import InvalidRequestError, UnsupportedParamError, UpstreamError
from tollway.types.embeddings import Embedding, EmbeddingResponse, EmbeddingUsage

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from typing import TypeAlias

    from tollway.types.embeddings import EmbeddingRequest

    #: one InvokeModel call: JSON body in, (JSON answer, input token count or None) out
    Invoke: TypeAlias = Callable[[dict[str, Any]], Awaitable[tuple[Any, int | None]]]

CONCURRENCY = 8
TOKEN_COUNT_HEADER = "x-amzn-bedrock-input-token-count"  # noqa: S105 - a header name


def encode(vector: list[float], encoding_format: str | None) -> list[float] | str:
    if encoding_format == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return vector


async def embed(
    request: EmbeddingRequest, *, model_id: str, options: dict[str, Any], drop_params: bool,
    invoke: Invoke,
) -> EmbeddingResponse:
    """``invoke(body)`` makes one InvokeModel call and returns (JSON answer, input token count or None)."""
    texts = request.texts
    if texts is None:
        raise InvalidRequestError("bedrock embeddings take text input, not token ids", param="input")
    if "titan-embed" in model_id:
        vectors, tokens = await _titan(texts, request, model_id=model_id, options=options, invoke=invoke)
    elif "cohere.embed" in model_id:
        vectors, tokens = await _cohere(texts, request, model_id=model_id, options=options,
                                       drop_params=drop_params, invoke=invoke)
    else:
        raise InvalidRequestError(f"bedrock model '{model_id}' is not a supported embedding model "
                                  "(amazon.titan-embed-text-*, cohere.embed-*)", param="model")
    data = [Embedding(index=i, embedding=encode(v, request.encoding_format)) for i, v in enumerate(vectors)]
    return EmbeddingResponse(data=data, model=model_id,
                             usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens))


async def _titan(texts: list[str], request: EmbeddingRequest, *, model_id: str, options: dict[str, Any],
                 invoke: Invoke) -> tuple[list[list[float]], int]:
    v2 = "text-v2" in model_id
    if request.dimensions and not v2:
        raise UnsupportedParamError(f"'{model_id}' has a fixed size; 'dimensions' needs titan-embed-text-v2",
                                    param="dimensions")
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def one(text: str) -> tuple[list[float], int]:
        body: dict[str, Any] = {"inputText": text}
        if v2:
            if request.dimensions:
                body["dimensions"] = request.dimensions
            body["normalize"] = bool(options.get("normalize", True))
        async with semaphore:
            data, header_tokens = await invoke(body)
        vector = _vector(data.get("embedding") if isinstance(data, dict) else None)
        tokens = header_tokens if header_tokens is not None else int(data.get("inputTextTokenCount") or 0)
        return vector, tokens

    results = await asyncio.gather(*(one(text) for text in texts))
    return [v for v, _ in results], sum(t for _, t in results)


async def _cohere(texts: list[str], request: EmbeddingRequest, *, model_id: str, options: dict[str, Any],
                  drop_params: bool, invoke: Invoke) -> tuple[list[list[float]], int]:
    body: dict[str, Any] = {"texts": texts, "input_type": options.get("input_type", "search_document"),
                            "embedding_types": ["float"]}
    if options.get("truncate"):
        body["truncate"] = options["truncate"]
    if request.dimensions:
        if "embed-v4" in model_id:
            body["output_dimension"] = request.dimensions
        elif not drop_params:
            raise UnsupportedParamError(f"'{model_id}' has a fixed size; 'dimensions' needs cohere embed v4",
                                        param="dimensions")
    data, tokens = await invoke(body)
    embeddings = data.get("embeddings") if isinstance(data, dict) else None
    if isinstance(embeddings, dict):  # with embedding_types the answer is keyed by type
        embeddings = embeddings.get("float")
    if not isinstance(embeddings, list) or len(embeddings) != len(texts):
        raise UpstreamError("bedrock: unexpected cohere embeddings shape")
    return [_vector(e) for e in embeddings], tokens or 0


def _vector(value: Any) -> list[float]:
    if not isinstance(value, list):
        raise UpstreamError("bedrock: the embedding response holds no vector")
    return [float(x) for x in value]


def parse_invoke_output(output: dict[str, Any]) -> tuple[Any, int | None]:
    """(JSON body, token count header) from a boto3 ``invoke_model`` result (blocking read)."""
    raw = output["body"].read()
    try:
        data = json.loads(raw)
    except ValueError:
        raise UpstreamError("bedrock: the model answered with invalid JSON") from None
    headers = (output.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
    count = headers.get(TOKEN_COUNT_HEADER)
    return data, int(count) if count and str(count).isdigit() else None
