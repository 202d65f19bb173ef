"""What a stream reports when it fails after its first byte: the status is sent, so the failure goes in-band."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tollway.errors import InternalError, TollwayError
from tollway.observability.logging import logger

if TYPE_CHECKING:
    from tollway.api.context import RequestContext


def in_band(ctx: RequestContext, exc: Exception) -> TollwayError:
    """The error a stream that failed with ``exc`` after its first byte reports in its own event.

    A gateway error is reported as it is. Anything else is logged with its traceback (call this inside the
    ``except`` block) and reported as an internal error, never with the traceback. The error's type goes on
    ``ctx``, where the request log, the metrics and the spend log read it.
    """
    if isinstance(exc, TollwayError):
        ctx.error_type = exc.error_type
        return exc
    ctx.error_type = "internal_error"
    logger.exception("stream failed", extra={"request_id": ctx.request_id})
    return InternalError("The gateway hit an unexpected error.")
