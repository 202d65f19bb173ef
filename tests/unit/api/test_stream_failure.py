"""``stream_failure.in_band``: what every streaming door reports when it fails after its first byte."""

from __future__ import annotations

import logging

import pytest

from tollway.api.context import RequestContext
from tollway.api.stream_failure import in_band
from tollway.errors import RateLimitError


def test_a_gateway_error_is_reported_as_it_is_and_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    ctx = RequestContext(request_id="req-1")
    error = RateLimitError("slow down")
    with caplog.at_level(logging.DEBUG):
        assert in_band(ctx, error) is error
    assert ctx.error_type == error.error_type and "stream failed" not in caplog.text


def test_anything_else_is_logged_with_its_traceback_and_reported_without_it(
        caplog: pytest.LogCaptureFixture) -> None:
    ctx = RequestContext(request_id="req-1")
    with caplog.at_level(logging.DEBUG):
        try:
            raise KeyError("secret-internal-detail")
        except KeyError as exc:
            reported = in_band(ctx, exc)
    assert ctx.error_type == "internal_error"
    body = reported.to_dict()["error"]
    assert body["message"] == "The gateway hit an unexpected error." and "secret" not in str(body)
    [record] = [r for r in caplog.records if r.getMessage() == "stream failed"]
    assert record.exc_info is not None and record.exc_info[0] is KeyError
