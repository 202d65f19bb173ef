"""Alias + SnapStart, reserved concurrency, the settlement queue and the nag gate on wildcard grants."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import Synth, render


def _function(s: Synth) -> tuple[str, dict]:
    ((logical_id, function),) = s.resources("AWS::Lambda::Function").items()
    return logical_id, function["Properties"]


def test_api_gateway_invokes_the_live_alias(streaming: Synth, buffered: Synth) -> None:
    for s in (streaming, buffered):
        ((alias_id, alias),) = s.resources("AWS::Lambda::Alias").items()
        assert alias["Properties"]["Name"] == "live"
        (version_id,) = s.resources("AWS::Lambda::Version")
        assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
        assert s.template["Resources"][version_id]["DeletionPolicy"] == "Delete"  # no pile of old snapshots
        for method in s.resources("AWS::ApiGateway::Method").values():
            uri = json.dumps(method["Properties"]["Integration"]["Uri"])
            assert alias_id in uri, "integrations invoke the alias, not $LATEST"
        for permission in s.resources("AWS::Lambda::Permission").values():
            assert permission["Properties"]["FunctionName"] == {"Ref": alias_id}


def test_snapstart_is_opt_in_and_primes_during_init(streaming: Synth, buffered: Synth) -> None:
    _id, props = _function(streaming)
    assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert props["Environment"]["Variables"]["TOLLWAY_PRIME"] == "1"
    _id, props = _function(buffered)
    assert "SnapStart" not in props and "TOLLWAY_PRIME" not in props["Environment"]["Variables"]


def test_integration_timeout_above_function_timeout_in_buffered_mode(buffered: Synth) -> None:
    _id, props = _function(buffered)
    for method in buffered.resources("AWS::ApiGateway::Method").values():
        assert method["Properties"]["Integration"]["TimeoutInMillis"] == 29_000
    assert props["Timeout"] * 1000 < 29_000


def test_settlement_queue_is_encrypted_retained_14_days_and_tls_only(streaming: Synth, buffered: Synth) -> None:
    for s in (streaming, buffered):
        ((queue_id, queue),) = s.resources("AWS::SQS::Queue").items()
        assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
        _id, props = _function(s)
        assert props["Environment"]["Variables"]["TOLLWAY_SETTLEMENT_QUEUE_URL"] == {"Ref": queue_id}
        (policy,) = s.resources("AWS::SQS::QueuePolicy").values()
        (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (queue,) = buffered.resources("AWS::SQS::Queue").values()
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    (key_id,) = streaming.resources("AWS::KMS::Key")
    (queue,) = streaming.resources("AWS::SQS::Queue").values()
    assert queue["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_cdk_nag_fails_on_an_added_wildcard_grant(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """IAM5 is acknowledged for X-Ray's own policy and the profile ARNs only, not role-wide."""
    from aws_cdk import aws_iam as iam

    from cdk import iam_policies
    from tests.infra.conftest import synth

    real = iam_policies.bedrock_statements

    def with_wildcard(stack, targets):  # type: ignore[no-untyped-def]
        return [*real(stack, targets), iam.PolicyStatement(actions=["bedrock:InvokeModel"], resources=["*"])]

    monkeypatch.setattr(iam_policies, "bedrock_statements", with_wildcard)
    with pytest.raises(RuntimeError, match=r"ValidationFailed(.|\n)*AwsSolutions-IAM5"):
        synth(tmp_path, streaming="false", **{"aws:cdk:bundling-stacks": []})


def test_rendered_alias_arn_is_used_for_streaming_invocations(streaming: Synth) -> None:
    (method, *_rest) = streaming.resources("AWS::ApiGateway::Method").values()
    uri = render(method["Properties"]["Integration"]["Uri"])
    assert "response-streaming-invocations" in json.dumps(uri)


def test_opt_outs_no_reservation_existing_provider_keys_and_the_accounts_own_logging_role(tmp_path, buffered) -> None:  # type: ignore[no-untyped-def]
    """One synth for three opt-outs: reserved_concurrency=0 (warned), provider_keys_existing, api_logging_role."""
    from aws_cdk.assertions import Annotations, Match

    from tests.infra.conftest import synth

    (keys,) = [v for k, v in buffered.resources("AWS::SecretsManager::Secret").items()
               if k.startswith("SecretsProviderKeys")]
    assert keys["DeletionPolicy"] == "Retain" and keys["UpdateReplacePolicy"] == "Retain"  # outlives the stack
    (account,) = buffered.resources("AWS::ApiGateway::Account").values()
    assert account["DeletionPolicy"] == "Retain"
    s = synth(tmp_path, streaming="false", reserved_concurrency="0", provider_keys_existing="true",
              api_logging_role="false", **{"aws:cdk:bundling-stacks": []})
    _id, props = _function(s)
    assert "ReservedConcurrentExecutions" not in props
    warnings = Annotations.from_stack(s.stack).find_warning("*", Match.string_like_regexp("reserved_concurrency=0"))
    assert warnings
    assert not [k for k in s.resources("AWS::SecretsManager::Secret") if k.startswith("SecretsProviderKeys")]
    assert not s.resources("AWS::ApiGateway::Account")  # the account's own logging role stays as it is
    grants = json.dumps(s.resources("AWS::IAM::Policy"))
    assert "secret:tollway/provider-keys-??????" in grants  # the imported secret is still readable


def test_importing_the_cdk_package_silences_jsiis_node_banner() -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"}
    result = subprocess.run([sys.executable, "-c", "import cdk, aws_cdk"], capture_output=True, text=True,
                            env=env, timeout=120, check=True)
    assert "end-of-life" not in result.stderr + result.stdout
