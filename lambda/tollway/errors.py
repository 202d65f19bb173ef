"""Tollway's exception tree and its mapping onto OpenAI's error envelope.

Every failure a client can see is one of these; the HTTP layer turns it into
``{"error": {"message", "type", "param", "code"}}`` with ``status_code``. Anything
else that escapes is a bug and is answered as a generic 500 without details.

    TollwayError
    ├── InvalidRequestError ........ 400 invalid_request_error
    │   ├── ContextWindowExceededError   code=context_length_exceeded
    │   ├── ContentPolicyError           code=content_filter
    │   └── UnsupportedParamError        code=unsupported_parameter
    ├── AuthenticationError ........ 401 authentication_error
    ├── PermissionDeniedError ...... 403 permission_error
    ├── NotFoundError .............. 404 not_found_error
    ├── ConflictError .............. 409 conflict_error
    ├── RequestTooLargeError ....... 413 request_too_large
    ├── RateLimitError ............. 429 rate_limit_error  (retry_after seconds)
    │   └── BudgetExceededError          type=budget_exceeded
    ├── InternalError .............. 500 internal_error
    ├── StoreUnavailableError ...... 503 service_unavailable  code=store_unavailable (retry-after)
    └── UpstreamError .............. 502 upstream_error    (the provider failed us)
        ├── ServiceUnavailableError  503 service_unavailable
        └── GatewayTimeoutError .... 504 timeout

Provider adapters raise these (never HTTP exceptions); a provider's 4xx for a bad
parameter stays a 4xx, its 429 stays a 429, and its own trouble is 502/503/504.
"""

from __future__ import annotations

import re
from typing import Any

#: credentials an upstream might quote back in an error (OpenAI-style, Anthropic, Groq, xAI, Replicate,
#: Hugging Face, NVIDIA, Google API keys, bearer tokens); masked in every message a client sees
_CREDENTIAL = re.compile(
    r"\b(?:sk|gsk|xai|r8|hf|pk|rk|csk|nvapi)[-_][A-Za-z0-9_\-*.]{12,}|\bAIza[0-9A-Za-z_\-]{30,}"
    r"|(?i:bearer)\s+[A-Za-z0-9_\-.=]{12,}"
)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with credential-looking tokens (and the given exact values) masked."""
    for secret in secrets:
        if secret and len(secret) >= 8:
            text = text.replace(secret, "***")
    return _CREDENTIAL.sub("***", text)


class TollwayError(Exception):
    """Base of every client-visible error."""

    status_code = 500
    error_type = "internal_error"
    default_code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code if code is not None else self.default_code
        self.headers = dict(headers or {})

    @property
    def retryable(self) -> bool:
        """Whether another attempt (maybe on another deployment) may succeed."""
        return False

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": {
                "message": redact(self.message),
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }


class InvalidRequestError(TollwayError):
    status_code = 400
    error_type = "invalid_request_error"


class ContextWindowExceededError(InvalidRequestError):
    default_code = "context_length_exceeded"


class ContentPolicyError(InvalidRequestError):
    default_code = "content_filter"


class UnsupportedParamError(InvalidRequestError):
    default_code = "unsupported_parameter"


class AuthenticationError(TollwayError):
    status_code = 401
    error_type = "authentication_error"
    default_code = "invalid_api_key"


class PermissionDeniedError(TollwayError):
    status_code = 403
    error_type = "permission_error"


class NotFoundError(TollwayError):
    status_code = 404
    error_type = "not_found_error"


class ConflictError(TollwayError):
    status_code = 409
    error_type = "conflict_error"


class RequestTooLargeError(TollwayError):
    status_code = 413
    error_type = "request_too_large"


class RateLimitError(TollwayError):
    status_code = 429
    error_type = "rate_limit_error"
    default_code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        if retry_after is not None:
            self.headers.setdefault("retry-after", str(max(1, round(retry_after))))

    @property
    def retryable(self) -> bool:
        return True


class BudgetExceededError(RateLimitError):
    error_type = "budget_exceeded"
    default_code = "budget_exceeded"

    @property
    def retryable(self) -> bool:
        return False


class InternalError(TollwayError):
    status_code = 500
    error_type = "internal_error"


class StoreUnavailableError(TollwayError):
    """Tollway's own store (DynamoDB or the embedded SQLite) could not be reached or timed out.

    Not the caller's fault and not the provider's: nothing is retried on another deployment.
    """

    status_code = 503
    error_type = "service_unavailable"
    default_code = "store_unavailable"

    def __init__(self, message: str = "The gateway's store is unavailable; retry shortly.", *,
                 retry_after: float = 1.0, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.headers.setdefault("retry-after", str(max(1, round(retry_after))))


class UpstreamError(TollwayError):
    """The provider (or our credentials for it) failed; never the caller's fault."""

    status_code = 502
    error_type = "upstream_error"

    def __init__(self, message: str, *, upstream_status: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.upstream_status = upstream_status

    @property
    def retryable(self) -> bool:
        return True


class ServiceUnavailableError(UpstreamError):
    status_code = 503
    error_type = "service_unavailable"


class GatewayTimeoutError(UpstreamError):
    status_code = 504
    error_type = "timeout"


class ConfigError(Exception):
    """A config file that cannot be used; its message is one line naming the entry and field."""
