"""Principal extraction, ARN normalisation and mapping."""

from __future__ import annotations

import json

import pytest

from tollway.auth import iam

ROLE = "arn:aws:iam::123456789012:role/Runner"


@pytest.mark.parametrize(("arn", "normal"), [
    ("arn:aws:sts::123456789012:assumed-role/Runner/i-0abc", ROLE),
    ("arn:aws:sts::123456789012:assumed-role/Runner/user@example.com", ROLE),
    ("arn:aws-cn:sts::123456789012:assumed-role/R/s", "arn:aws-cn:iam::123456789012:role/R"),
    ("arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice"),
    (ROLE, ROLE),
])
def test_normalise(arn: str, normal: str) -> None:
    assert iam.normalise(arn) == normal


def test_mangum_event_rest_and_http_api() -> None:
    session = "arn:aws:sts::123456789012:assumed-role/Runner/x"
    rest = {"aws.event": {"requestContext": {"identity": {"userArn": session}}}}
    assert iam.caller_arn(rest, {}) == ROLE
    http = {"aws.event": {"requestContext": {"authorizer": {"iam": {"userArn": ROLE}}}}}
    assert iam.caller_arn(http, {}) == ROLE
    assert iam.caller_arn({"aws.event": {"requestContext": {"identity": {"userArn": None}}}}, {}) is None
    assert iam.caller_arn({}, {}) is None


def test_lwa_header_needs_lambda_and_explicit_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    headers = {iam.HEADER: json.dumps({"identity": {"userArn": ROLE}})}
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.setenv("TOLLWAY_TRUST_REQUEST_CONTEXT_HEADER", "true")
    assert iam.caller_arn({}, headers) is None  # local mode: never
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    assert iam.caller_arn({}, headers) == ROLE
    monkeypatch.setenv("TOLLWAY_TRUST_REQUEST_CONTEXT_HEADER", "false")
    assert iam.caller_arn({}, headers) is None
    monkeypatch.setenv("TOLLWAY_TRUST_REQUEST_CONTEXT_HEADER", "1")
    assert iam.caller_arn({}, {iam.HEADER: "{not json"}) is None
    # a Mangum event wins over a header a client could have added
    assert iam.caller_arn({"aws.event": {"requestContext": {}}}, headers) is None


def test_mapping_prefers_exact_then_longest_wildcard() -> None:
    mappings = [{"principal_arn": "arn:aws:iam::123456789012:role/*", "team_id": "any"},
                {"principal_arn": "arn:aws:iam::123456789012:role/Run*", "team_id": "runners"},
                {"principal_arn": ROLE, "team_id": "exact"},
                {"principal_arn": "arn:aws:iam::*:role/Other", "team_id": "other"}]
    assert iam.match(ROLE, mappings)["team_id"] == "exact"  # type: ignore[index]
    assert iam.match("arn:aws:iam::123456789012:role/Runway", mappings)["team_id"] == "runners"  # type: ignore[index]
    assert iam.match("arn:aws:iam::123456789012:role/Zed", mappings)["team_id"] == "any"  # type: ignore[index]
    assert iam.match("arn:aws:iam::999999999999:role/Other", mappings)["team_id"] == "other"  # type: ignore[index]
    assert iam.match("arn:aws:iam::999999999999:role/Zed", mappings) is None
