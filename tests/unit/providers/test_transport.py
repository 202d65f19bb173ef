"""Upstream HTTP failures map onto the gateway's error tree (caller faults stay 4xx)."""

from __future__ import annotations

import time

import httpx
import pytest

from tollway import errors
from tollway.providers.transport import error_from_status, error_from_transport, error_message, retry_after


@pytest.mark.parametrize(("status", "body", "expected", "code"), [
    (400, {"error": {"message": "bad temperature"}}, errors.InvalidRequestError, None),
    (400, {"error": {"message": "x", "code": "context_length_exceeded"}}, errors.ContextWindowExceededError,
     "context_length_exceeded"),
    (400, {"error": {"message": "prompt is too long: 210000 tokens > 200000 maximum"}},
     errors.ContextWindowExceededError, "context_length_exceeded"),
    (400, {"error": {"message": "flagged", "code": "content_policy_violation"}}, errors.ContentPolicyError,
     "content_filter"),
    (401, {"error": {"message": "Incorrect API key provided: sk-abc"}}, errors.UpstreamError, "upstream_auth_error"),
    (403, "forbidden", errors.UpstreamError, "upstream_auth_error"),
    (404, {"error": {"message": "no such model"}}, errors.UpstreamError, "upstream_not_found"),
    (408, "", errors.GatewayTimeoutError, None),
    (413, "", errors.RequestTooLargeError, None),
    (422, {"detail": "bad field"}, errors.InvalidRequestError, None),
    (429, {"error": {"message": "slow down"}}, errors.RateLimitError, "rate_limit_exceeded"),
    (500, "oops", errors.UpstreamError, None),
    (503, "", errors.ServiceUnavailableError, None),
    (529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
     errors.ServiceUnavailableError, None),
    (504, "", errors.GatewayTimeoutError, None),
])
def test_status_mapping(status: int, body: object, expected: type, code: str | None) -> None:
    error = error_from_status("prov", status, body if isinstance(body, str) else __import__("json").dumps(body))
    assert type(error) is expected
    assert error.code == code


def test_credentials_are_never_echoed() -> None:
    error = error_from_status("openai", 401, b'{"error": {"message": "Incorrect API key provided: sk-live-123"}}')
    assert "sk-live" not in error.message and error.status_code == 502


def test_retry_after_forms() -> None:
    assert retry_after({"retry-after": "3"}) == 3
    assert retry_after({"retry-after-ms": "1500"}) == 1.5
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    assert retry_after({}) is None
    error = error_from_status("p", 429, "{}", {"retry-after": "12"})
    assert error.headers["retry-after"] == "12"


@pytest.mark.parametrize("value", ["soon", "Wed, 99 Foo 2015 07:28:00 GMT", "nan", "inf", "-5", "1e400", "",
                                   "Mon, 01 Jan 10000 00:00:00 GMT", "  ", "\x00", "Wed, 21 Oct 2015"])
def test_unreadable_retry_after_is_no_hint_never_an_error(value: str) -> None:
    assert retry_after({"retry-after": value}) in (None, 0.0)
    assert retry_after({"retry-after-ms": value}) is None or value.strip() == ""
    error = error_from_status("p", 429, "{}", {"retry-after": value, "retry-after-ms": value})
    assert error.status_code == 429


def test_retry_after_http_date_in_the_future() -> None:
    from email.utils import formatdate

    assert 25 < (retry_after({"retry-after": formatdate(time.time() + 30, usegmt=True)}) or 0) <= 30
    assert 25 < (retry_after({"retry-after": formatdate(time.time() + 30)}) or 0) <= 30  # with a numeric zone


def test_error_message_shapes() -> None:
    assert error_message(b'{"error": {"message": "m", "code": "c"}}') == ("m", "c")
    assert error_message(b'{"error": "plain"}') == ("plain", None)
    assert error_message(b'{"message": "top"}') == ("top", None)
    assert error_message(b"not json") == ("not json", None)
    assert error_message(b'[{"error": {"message": "listed", "code": 429}}]') == ("listed", "429")


def test_transport_errors() -> None:
    request = httpx.Request("POST", "http://x")
    assert isinstance(error_from_transport("p", httpx.ReadTimeout("t", request=request), 5),
                      errors.GatewayTimeoutError)
    unreachable = error_from_transport("p", httpx.ConnectError("c", request=request), 5)
    assert unreachable.status_code == 502 and unreachable.code == "upstream_unreachable"


def test_credentials_in_messages_are_masked() -> None:
    from tollway.errors import InvalidRequestError, redact

    assert redact("bad key sk-proj-abcdefghijklmnop1234 given") == "bad key *** given"
    assert redact("header was Bearer abcdefghijklmnopqrstu") == "header was ***"
    assert redact("token AIzaSyA1234567890abcdefghijklmnopqrstuv ok") == "token *** ok"
    assert redact("custom secret zzzz-unusual-format-1234", ("zzzz-unusual-format-1234",)) == "custom secret ***"
    assert redact("model gpt-4o not found") == "model gpt-4o not found"
    error = InvalidRequestError("openai: Incorrect API key provided: sk-live-0123456789abcdef.")
    assert "sk-live" not in error.to_dict()["error"]["message"]
