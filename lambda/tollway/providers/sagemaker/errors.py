"""SageMaker Runtime (botocore) failures -> ``tollway.errors``.

SageMaker's own errors carry their name in ``Error.Code``. ``ModelError`` (HTTP 424) means the
serving container answered with an error: its ``OriginalStatusCode`` and ``OriginalMessage``
(the container's body) are mapped as that container's HTTP answer would be, so a prompt too long
for the model stays a 400 ``context_length_exceeded``. Errors inside a response stream arrive as
``ModelStreamError`` (``ErrorCode`` ``ModelInvocationTimeExceeded`` or ``StreamBroken``) and
``InternalStreamFailure``. An endpoint that does not exist, or credentials AWS refuses, are the
gateway's configuration problem: 502s, never blamed on the caller.
"""

from __future__ import annotations

import re
from typing import Any

from tollway.errors import (
    ContextWindowExceededError,
    GatewayTimeoutError,
    InvalidRequestError,
    RateLimitError,
    ServiceUnavailableError,
    TollwayError,
    UpstreamError,
)
from tollway.providers.bedrock.errors import AUTH_CODES
from tollway.providers.transport import error_from_status, retry_after

PROVIDER = "sagemaker"

#: TGI's and vLLM's wording for a prompt (plus max_new_tokens) over the model's context
_TOKENS_RE = re.compile(r"tokens.*must be <=|maximum context length|max_model_len|context length", re.I)


def from_client_error(exc: Any) -> TollwayError:
    """Map a botocore ``ClientError`` (or ``EventStreamError``) from a SageMaker Runtime call."""
    response: dict[str, Any] = getattr(exc, "response", None) or {}
    error = response.get("Error") or {}
    code = str(error.get("Code") or "")
    message = str(error.get("Message") or error.get("message") or code or "unknown error")
    meta = response.get("ResponseMetadata") or {}
    headers = {k.lower(): str(v) for k, v in (meta.get("HTTPHeaders") or {}).items()}
    status = meta.get("HTTPStatusCode")
    text = f"{PROVIDER}: {message}"
    if code == "ModelError":
        return _model_error(response, message)
    if code in ("ThrottlingException", "TooManyRequestsException"):
        return RateLimitError(text, retry_after=retry_after(headers))
    if code == "ValidationError":
        if "not found" in message.lower():
            return UpstreamError(text, code="upstream_not_found", upstream_status=status)
        return InvalidRequestError(text)
    if code in AUTH_CODES:
        return UpstreamError(f"{PROVIDER} rejected the gateway's AWS credentials for this deployment ({code})",
                             code="upstream_auth_error", upstream_status=status)
    if code in ("ModelNotReadyException", "ServiceUnavailable"):
        return ServiceUnavailableError(text, upstream_status=status)
    if code == "ModelStreamError" and ("ModelInvocationTimeExceeded" in (message, response.get("ErrorCode"))
                                       or "time" in message.lower()):
        return GatewayTimeoutError(text)
    return UpstreamError(text, upstream_status=status)


def _model_error(response: dict[str, Any], message: str) -> TollwayError:
    """``ModelError``: the serving container's own error, mapped by the status it answered with."""
    original = response.get("OriginalStatusCode")
    if not isinstance(original, int):
        return UpstreamError(f"{PROVIDER}: {message}", code="model_error", upstream_status=424)
    return from_container(PROVIDER, original, str(response.get("OriginalMessage") or message))


def from_container(provider: str, status: int, body: str) -> TollwayError:
    """A serving container's error answer (its HTTP status and body) as the gateway's error."""
    mapped = error_from_status(provider, status, body)
    if isinstance(mapped, InvalidRequestError) and _TOKENS_RE.search(body):
        return ContextWindowExceededError(mapped.message)
    return mapped
