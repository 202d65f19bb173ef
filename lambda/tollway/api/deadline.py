"""The Lambda invocation's deadline, as the ``time.monotonic()`` value ``RequestContext.deadline`` holds.

Where the remaining time comes from:

* Mangum mode: Mangum puts the Lambda context object in ``scope["aws.context"]``; its
  ``get_remaining_time_in_millis()`` is read once, when the request enters the app.
* Streaming mode: the Lambda Web Adapter forwards the invocation context as JSON in the
  ``x-amzn-lambda-context`` header; its ``deadline`` is the Unix time in milliseconds at which
  Lambda stops the invocation. The header is read only where the request-context header is trusted
  (on Lambda behind API Gateway, ``tollway.auth.iam.trust_header``), never under ``tollway serve``.

The settlement margin (``TOLLWAY_SETTLEMENT_MARGIN_MS``, default 2,000 ms; the stack sets it) is
subtracted, so the gateway stops the upstream call, answers 504 and settles spend before Lambda
kills the invocation. Outside Lambda there is no deadline (None).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any

LAMBDA_CONTEXT_HEADER = b"x-amzn-lambda-context"
MARGIN_ENV = "TOLLWAY_SETTLEMENT_MARGIN_MS"
DEFAULT_MARGIN_MS = 2000


def settlement_margin_ms() -> int:
    """The margin kept between the gateway's own deadline and Lambda's; a bad value means the default."""
    raw = os.environ.get(MARGIN_ENV, "")
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_MARGIN_MS
    return max(0, value)


def remaining_ms(scope: Mapping[str, Any]) -> float | None:
    """Milliseconds left in the invocation serving ``scope``, or None when not on Lambda."""
    context = scope.get("aws.context")
    if context is not None and callable(getattr(context, "get_remaining_time_in_millis", None)):
        try:
            return float(context.get_remaining_time_in_millis())
        except (TypeError, ValueError):
            return None
    raw = _header(scope, LAMBDA_CONTEXT_HEADER)
    if raw is None:
        return None
    from tollway.auth.iam import trust_header

    if not trust_header():
        return None
    try:
        deadline_ms = json.loads(raw).get("deadline")
    except (ValueError, AttributeError):
        return None
    if not isinstance(deadline_ms, int | float) or isinstance(deadline_ms, bool):
        return None
    return float(deadline_ms) - time.time() * 1000


def deadline_for(scope: Mapping[str, Any]) -> float | None:
    """``time.monotonic()`` by which the request must be answered and settled, or None (no limit known)."""
    left = remaining_ms(scope)
    if left is None:
        return None
    return time.monotonic() + (left - settlement_margin_ms()) / 1000


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")  # type: ignore[no-any-return]
    return None
