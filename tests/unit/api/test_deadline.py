"""``RequestContext.deadline`` from the Lambda context: Mangum's ``aws.context`` and LWA's header."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tollway.api import deadline


class FakeLambdaContext:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def _lwa_scope(deadline_ms: Any) -> dict[str, Any]:
    value = json.dumps({"request_id": "r-1", "deadline": deadline_ms, "invoked_function_arn": "arn:aws:lambda:x"})
    return {"type": "http", "headers": [(b"x-amzn-lambda-context", value.encode())]}


@pytest.fixture
def on_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "tollway")
    monkeypatch.setenv("TOLLWAY_TRUST_REQUEST_CONTEXT_HEADER", "true")
    monkeypatch.setenv(deadline.MARGIN_ENV, "1500")


def test_mangum_context_sets_the_deadline_minus_the_margin(on_lambda: None) -> None:
    before = time.monotonic()
    value = deadline.deadline_for({"aws.context": FakeLambdaContext(10_000)})
    after = time.monotonic()
    assert value is not None
    assert before + 8.5 <= value <= after + 8.5


def test_lwa_header_sets_the_deadline_from_epoch_milliseconds(on_lambda: None) -> None:
    before = time.monotonic()
    value = deadline.deadline_for(_lwa_scope(int(time.time() * 1000) + 20_000))
    assert value is not None
    # 20 s left minus the 1.5 s margin; a generous band for the clock reads in between
    assert before + 18.4 <= value <= before + 19.0


def test_lwa_header_ignored_where_it_is_not_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.setenv("TOLLWAY_TRUST_REQUEST_CONTEXT_HEADER", "true")
    assert deadline.deadline_for(_lwa_scope(int(time.time() * 1000) + 20_000)) is None


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '{"deadline": "soon"}', '{"deadline": true}', "{}"])
def test_malformed_lwa_context_means_no_deadline(on_lambda: None, raw: str) -> None:
    scope = {"type": "http", "headers": [(b"x-amzn-lambda-context", raw.encode())]}
    assert deadline.deadline_for(scope) is None


def test_no_lambda_context_means_no_deadline(on_lambda: None) -> None:
    assert deadline.deadline_for({"type": "http", "headers": []}) is None
    assert deadline.deadline_for({"type": "http", "headers": [], "aws.context": None}) is None


@pytest.mark.parametrize(("raw", "expected"), [("", 2000), ("250", 250), ("-5", 0), ("lots", 2000)])
def test_settlement_margin_from_the_environment(monkeypatch: pytest.MonkeyPatch, raw: str, expected: int) -> None:
    monkeypatch.setenv(deadline.MARGIN_ENV, raw)
    assert deadline.settlement_margin_ms() == expected
