"""Bedrock (botocore) failures -> ``tollway.errors``.

``ClientError`` carries Bedrock's exception name in ``Error.Code``; exceptions sent inside a
ConverseStream event stream arrive as ``EventStreamError`` (a ``ClientError``) with the
stream member's name (``throttlingException``), so names are compared case-insensitively
on their first letter. Credential and permission problems are the gateway's, never the
caller's: they become 5xx-class ``UpstreamError``s.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tollway.errors import (
    ContentPolicyError,
    ContextWindowExceededError,
    GatewayTimeoutError,
    InvalidRequestError,
    RateLimitError,
    ServiceUnavailableError,
    TollwayError,
    UpstreamError,
)
from tollway.providers.transport import retry_after

if TYPE_CHECKING:
    from collections.abc import Callable

PROVIDER = "bedrock"

_CONTEXT_RE = re.compile(
    r"input is too long|too many (input )?tokens|prompt is too long|context (limit|window|length)"
    r"|maximum context|exceeds? the (model'?s? )?max(imum)? (input|context)",
    re.I,
)
AUTH_CODES = frozenset({
    "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException",
    "IncompleteSignature", "MissingAuthenticationToken", "InvalidClientTokenId", "SignatureDoesNotMatch",
})


def from_client_error(exc: Any) -> TollwayError:
    """Map a botocore ``ClientError`` (or ``EventStreamError``) from a Bedrock call."""
    response: dict[str, Any] = getattr(exc, "response", None) or {}
    error = response.get("Error") or {}
    code = str(error.get("Code") or "")
    code = code[:1].upper() + code[1:]
    message = str(error.get("Message") or error.get("message") or code or "unknown error")
    meta = response.get("ResponseMetadata") or {}
    headers = {k.lower(): str(v) for k, v in (meta.get("HTTPHeaders") or {}).items()}
    status = meta.get("HTTPStatusCode")
    text = f"{PROVIDER}: {message}"
    if code in ("ThrottlingException", "ServiceQuotaExceededException", "TooManyRequestsException"):
        return RateLimitError(text, retry_after=retry_after(headers))
    if code == "ValidationException":
        if _CONTEXT_RE.search(message):
            return ContextWindowExceededError(text)
        return InvalidRequestError(text)
    if code in AUTH_CODES:
        return UpstreamError(f"{PROVIDER} rejected the gateway's AWS credentials for this deployment ({code})",
                             code="upstream_auth_error", upstream_status=status)
    if code == "ResourceNotFoundException":
        return UpstreamError(text, code="upstream_not_found", upstream_status=status)
    if code == "ModelTimeoutException":
        return GatewayTimeoutError(text, upstream_status=status)
    if code in ("ServiceUnavailableException", "ModelNotReadyException"):
        return ServiceUnavailableError(text, upstream_status=status)
    if code == "ContentFilteredException":
        return ContentPolicyError(text)
    return UpstreamError(text, upstream_status=status)


def from_exception(exc: BaseException, read_timeout: float, *, provider: str = PROVIDER,
                   client_error: Callable[[Any], TollwayError] = from_client_error) -> TollwayError:
    """Any failure of a boto3 call: ``ClientError`` by code (``client_error``: Bedrock's codes unless
    another AWS provider passes its own), transport and credential errors by kind.

    Reading an event stream bypasses botocore's wrapping, so urllib3's own errors land here too.
    """
    from botocore import exceptions as bx
    from urllib3 import exceptions as ux

    if isinstance(exc, TollwayError):
        return exc
    if isinstance(exc, bx.ClientError):
        return client_error(exc)
    if isinstance(exc, bx.ConnectTimeoutError):
        return GatewayTimeoutError(f"{provider}: timed out connecting to the endpoint")
    if isinstance(exc, bx.ReadTimeoutError):
        return GatewayTimeoutError(f"{provider}: no response from the endpoint within {read_timeout:g}s")
    if isinstance(exc, bx.EndpointConnectionError):
        return UpstreamError(f"{provider}: could not connect to the endpoint", code="upstream_unreachable")
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError, bx.ProfileNotFound,
                        bx.CredentialRetrievalError)):
        return UpstreamError(f"{provider}: the gateway has no usable AWS credentials ({type(exc).__name__})",
                             code="upstream_auth_error")
    if isinstance(exc, bx.BotoCoreError):
        return UpstreamError(f"{provider}: the call failed ({type(exc).__name__})")
    if isinstance(exc, (ux.ReadTimeoutError, TimeoutError)):
        return GatewayTimeoutError(f"{provider}: the stream stalled for more than {read_timeout:g}s")
    if isinstance(exc, (ux.HTTPError, ConnectionError)):
        return UpstreamError(f"{provider}: the connection to the endpoint failed ({type(exc).__name__})")
    raise exc
