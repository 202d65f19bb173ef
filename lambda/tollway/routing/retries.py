"""Which failures are retried, how often, and how long to wait in between."""

from __future__ import annotations

import random

from tollway.errors import (
    ContentPolicyError,
    ContextWindowExceededError,
    GatewayTimeoutError,
    RateLimitError,
    TollwayError,
    UpstreamError,
)

#: LiteLLM's ``retry_policy`` keys, by the error class they govern
POLICY_KEYS = {
    "RateLimitErrorRetries": RateLimitError,
    "TimeoutErrorRetries": GatewayTimeoutError,
    "ContentPolicyViolationErrorRetries": ContentPolicyError,
    "InternalServerErrorRetries": UpstreamError,
}


def upstream_auth_failure(error: TollwayError) -> bool:
    """The provider refused the gateway's credentials or does not know the model: cool at once."""
    return isinstance(error, UpstreamError) and error.upstream_status in (401, 403, 404)


def retries_for(error: TollwayError, num_retries: int, policy: dict[str, int] | None) -> int:
    """How many retries this kind of failure gets (0 for the caller's own mistakes)."""
    if isinstance(error, ContextWindowExceededError):
        return 0
    if upstream_auth_failure(error):
        return int((policy or {}).get("AuthenticationErrorRetries", 0))
    if policy:
        for key, kind in POLICY_KEYS.items():
            if key in policy and isinstance(error, kind):
                return int(policy[key])
    return num_retries if error.retryable else 0


def backoff(attempt: int, error: TollwayError, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds before retry ``attempt`` (0-based): the upstream's ``retry-after`` up to ``cap``,
    else exponential with full jitter."""
    hinted = getattr(error, "retry_after", None)
    if hinted is not None:
        return float(min(cap, max(0.0, hinted)))
    return rng.uniform(0, min(cap, base * (2**attempt)))
