"""``sagemaker/<endpoint>`` embeddings: Hugging Face containers (TEI, JumpStart) behind ``InvokeEndpoint``.

Request ``{"inputs": [texts]}``. Answer: a list of vectors (TEI) or ``{"embedding": [...]}``
(JumpStart / the HF inference toolkit), one vector per input. These containers report no token
counts, so usage is estimated with ``tollway.tokens``. ``encoding_format: base64`` is packed as
OpenAI does; ``dimensions`` has no equivalent (a 400 unless ``drop_params``).
"""

from __future__ import annotations

from typing import Any

from tollway.errors import InvalidRequestError, UnsupportedParamError, UpstreamError
from tollway.providers.bedrock.embeddings import encode
from tollway.tokens import estimate_text
from tollway.types.embeddings import Embedding, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage


def request_body(request: EmbeddingRequest, *, drop_params: bool) -> dict[str, Any]:
    texts = request.texts
    if texts is None:
        raise InvalidRequestError("sagemaker embeddings take text: 'input' must be a string or a list of strings",
                                  param="input")
    if request.dimensions is not None and not drop_params:
        raise UnsupportedParamError("sagemaker embeddings do not support the parameter 'dimensions' "
                                    "(remove it, or set litellm_settings.drop_params: true to drop it)",
                                    param="dimensions")
    return {"inputs": texts}


def to_response(data: Any, request: EmbeddingRequest, model: str) -> EmbeddingResponse:
    texts = request.texts or []
    vectors = data.get("embedding") if isinstance(data, dict) else data
    if isinstance(vectors, list) and vectors and all(isinstance(x, (int, float)) for x in vectors):
        vectors = [vectors]  # one input answered with a bare vector
    if (not isinstance(vectors, list) or len(vectors) != len(texts)
            or not all(isinstance(v, list) and all(isinstance(x, (int, float)) for x in v) for v in vectors)):
        raise UpstreamError("sagemaker: the endpoint's answer is not one embedding per input",
                            code="upstream_bad_response")
    tokens = sum(estimate_text(text) for text in texts)
    return EmbeddingResponse(
        data=[Embedding(index=i, embedding=encode([float(x) for x in v], request.encoding_format))
              for i, v in enumerate(vectors)],
        model=model, usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens))
