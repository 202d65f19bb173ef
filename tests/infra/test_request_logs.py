"""``-c request_logs=true``: subscription filter -> Firehose -> S3, the Glue table and the Athena workgroup."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest

from cdk.request_log_schema import COLUMNS, QUERIES
from cdk.request_logs import FILTER_PATTERN
from cdk.settings import SettingsError, from_context
from tests.infra.conftest import Synth, as_list, render
from tests.infra.test_units import Ctx

GB = 1024 ** 3


def _one(s: Synth, kind: str) -> tuple[str, dict[str, Any]]:
    (item,) = s.resources(kind).items()
    return item[0], item[1]["Properties"]


def _bucket(s: Synth, prefix: str) -> tuple[str, dict[str, Any]]:
    (item,) = [(k, v["Properties"]) for k, v in s.resources("AWS::S3::Bucket").items()
               if k.startswith(f"RequestLogs{prefix}")]
    return item


def _policy_statements(s: Synth, prefix: str) -> list[dict[str, Any]]:
    (policy,) = [v["Properties"] for k, v in s.resources("AWS::IAM::Policy").items() if k.startswith(prefix)]
    return [{k: render(v) for k, v in st.items()} for st in policy["PolicyDocument"]["Statement"]]


# ------------------------------------------------------------------------------------------- the lines


def _request_line() -> dict[str, Any]:
    """The request log line ``log_request`` writes, captured from the gateway's own logger."""
    from tollway.api.context import RequestContext
    from tollway.auth.context import AuthContext
    from tollway.observability.logging import log_request, logger
    from tollway.types.chat import Usage

    ctx = RequestContext("req-1", model="gpt-4o", deployment="gpt4o-east", provider="openai",
                         auth=AuthContext(kind="virtual_key", key_digest="d" * 64, team_id="team-a"),
                         usage=Usage(prompt_tokens=3, completion_tokens=5, total_tokens=8), error_type=None)
    buffer = io.StringIO()
    handler = logger.registered_handler
    previous, level = handler.stream, logger.log_level  # type: ignore[attr-defined]
    handler.stream = buffer  # type: ignore[attr-defined]
    logger.setLevel("INFO")  # the tests run at WARNING; Lambda logs at INFO
    try:
        log_request(ctx, method="POST", path="/v1/chat/completions", status=200)
        logger.info("some other line", extra={"request_id": "req-1"})
    finally:
        handler.stream = previous  # type: ignore[attr-defined]
        logger.setLevel(level)
    request, other = (json.loads(line) for line in buffer.getvalue().splitlines())
    assert other["message"] == "some other line"
    return {"request": request, "other log line": other}


def _emf_lines(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    """The EMF documents the gateway writes: a metered request's, and the counters that are not requests."""
    from tollway.guardrails.record import emit as emit_guardrail
    from tollway.observability.metrics import emit, emit_alert, emit_request

    lines = {}
    capsys.readouterr()
    for name, write in (
        ("emf request", lambda: emit_request({
            "request_id": "req-1", "team_id": "team-a", "model": "gpt-4o", "provider": "openai",
            "key_digest": "d" * 64, "user_id": "u1", "project_id": "p1", "deployment_id": "gpt4o-east",
            "status": "success", "prompt_tokens": 3, "completion_tokens": 5, "cached_tokens": 1, "cost": 0.0001,
            "latency_ms": 120.5, "ttft_ms": 40.2, "price_missing": True, "error_type": "x",
            # what the spend record holds with store_prompts_in_spend_logs: never copied into the EMF line
            "messages": '[{"role": "user", "content": "my card is 4111 1111 1111 1111"}]'})),
        ("budget alert", lambda: emit_alert("team", "team-a", 12.0, 10.0)),
        ("settlement queued", lambda: emit("SettlementsQueued", request_id="req-1")),
        ("guardrail violation", lambda: emit_guardrail("pii", "block", "team-a")),
    ):
        write()
        (line,) = capsys.readouterr().out.splitlines()
        lines[name] = json.loads(line)
    return lines


def _matches(pattern: str, line: dict[str, Any]) -> bool:
    """Evaluate our pattern's shape, ``{ ($.a = "x") || ($.b = 1) }``, the way CloudWatch Logs does."""
    terms = re.findall(r'\(\$\.(\w+) = ("[^"]*"|\d+)\)', pattern)
    assert pattern == "{ " + " || ".join(f"($.{k} = {v})" for k, v in terms) + " }"
    return any(line.get(key) == json.loads(value) for key, value in terms)


def test_filter_selects_the_request_line_and_the_request_emf_document_only(capsys: pytest.CaptureFixture[str]
                                                                           ) -> None:
    lines = {**_request_line(), **_emf_lines(capsys)}
    selected = {name for name, line in lines.items() if _matches(FILTER_PATTERN, line)}
    assert selected == {"request", "emf request"}


def test_table_columns_cover_every_field_of_the_selected_lines(capsys: pytest.CaptureFixture[str]) -> None:
    """The SerDe matches keys case-insensitively: each key of both lines has a column (so no field is lost)."""
    names = {name for name, _, _ in COLUMNS}
    lines = {**_request_line(), **_emf_lines(capsys)}
    not_columns = {"_aws", "location", "service", "sampling_rate", "cold_start", "function_name",
                   "function_memory_size", "function_arn", "function_request_id"}
    for name in ("request", "emf request"):
        keys = {key.lower() for key in lines[name]} - not_columns
        assert keys <= names, (name, keys - names)


def test_no_content_or_key_in_the_selected_lines(capsys: pytest.CaptureFixture[str]) -> None:
    """Even with ``store_prompts_in_spend_logs`` (content in the spend record) the lines carry none."""
    lines = {**_request_line(), **_emf_lines(capsys)}
    for name in ("request", "emf request"):
        assert not {"messages", "prompt", "content", "input", "api_key", "key"} & set(lines[name]), name
        assert "4111" not in json.dumps(lines[name]), name


# ----------------------------------------------------------------------------------------- the template


def test_subscription_filter_feeds_the_stream_through_its_own_role(logged: Synth) -> None:
    _, sub = _one(logged, "AWS::Logs::SubscriptionFilter")
    stream_id, _ = _one(logged, "AWS::KinesisFirehose::DeliveryStream")
    assert sub["FilterPattern"] == FILTER_PATTERN
    assert render(sub["LogGroupName"]).startswith("${GatewayLogs")
    assert sub["DestinationArn"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    assert render(sub["RoleArn"]).startswith("${RequestLogsLogsRole")
    (statement,) = _policy_statements(logged, "RequestLogsLogsPuts")
    assert sorted(as_list(statement["Action"])) == ["firehose:PutRecord", "firehose:PutRecordBatch"]
    assert as_list(statement["Resource"]) == [f"${{{stream_id}.Arn}}"]
    (role,) = [v["Properties"] for k, v in logged.resources("AWS::IAM::Role").items()
               if k.startswith("RequestLogsLogsRole")]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "logs.amazonaws.com"}
    assert render(trust["Condition"]["StringLike"]["aws:SourceArn"]) == \
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"


def test_stream_unpacks_cloudwatch_records_into_daily_gzip_json(logged: Synth) -> None:
    _, stream = _one(logged, "AWS::KinesisFirehose::DeliveryStream")
    assert stream["DeliveryStreamType"] == "DirectPut"
    assert stream["DeliveryStreamEncryptionConfigurationInput"] == {"KeyType": "AWS_OWNED_CMK"}
    s3 = stream["ExtendedS3DestinationConfiguration"]
    bucket_id, _ = _bucket(logged, "Bucket")
    assert s3["BucketARN"] == {"Fn::GetAtt": [bucket_id, "Arn"]}
    assert s3["Prefix"] == "requests/!{timestamp:yyyy/MM/dd}/"
    assert s3["ErrorOutputPrefix"] == "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
    assert s3["CompressionFormat"] == "GZIP"
    assert "EncryptionConfiguration" not in s3  # the bucket's default (SSE-S3) applies
    processors = s3["ProcessingConfiguration"]["Processors"]
    assert s3["ProcessingConfiguration"]["Enabled"] is True
    assert [(p["Type"], {x["ParameterName"]: x["ParameterValue"] for x in p.get("Parameters", [])})
            for p in processors] == [
        ("Decompression", {"CompressionFormat": "GZIP"}),
        ("CloudWatchLogProcessing", {"DataMessageExtraction": "true"}),
        ("AppendDelimiterToRecord", {}),
    ]
    assert render(s3["RoleARN"]).startswith("${RequestLogsFirehoseRole")
    (group_id,) = [k for k in logged.resources("AWS::Logs::LogGroup") if k.startswith("RequestLogsDeliveryErrors")]
    assert s3["CloudWatchLoggingOptions"] == {"Enabled": True, "LogGroupName": {"Ref": group_id},
                                              "LogStreamName": "S3Delivery"}
    assert logged.template["Resources"][group_id]["Properties"]["RetentionInDays"] == 30


def test_firehose_role_writes_only_its_prefixes_of_its_bucket(logged: Synth, logged_kms: Synth) -> None:
    for s in (logged, logged_kms):
        bucket_id, _ = _bucket(s, "Bucket")
        by_sid = {st["Sid"]: st for st in _policy_statements(s, "RequestLogsFirehoseWrites")}
        assert sorted(as_list(by_sid["BucketOnly"]["Action"])) == [
            "s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"]
        assert as_list(by_sid["BucketOnly"]["Resource"]) == [f"${{{bucket_id}.Arn}}"]
        objects = by_sid["RequestAndErrorObjectsOnly"]
        assert sorted(as_list(objects["Action"])) == ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
        assert sorted(as_list(objects["Resource"])) == [f"${{{bucket_id}.Arn}}/errors/*",
                                                        f"${{{bucket_id}.Arn}}/requests/*"]
        (group_id,) = [k for k in s.resources("AWS::Logs::LogGroup") if k.startswith("RequestLogsDeliveryErrors")]
        assert by_sid["DeliveryErrorLogOnly"]["Action"] == "logs:PutLogEvents"
        assert as_list(by_sid["DeliveryErrorLogOnly"]["Resource"]) == [
            f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{group_id}}}"
            ":log-stream:S3Delivery"]
        assert all(st["Effect"] == "Allow" for st in by_sid.values())
        assert ("EncryptObjects" in by_sid) is (s is logged_kms)
    kms = {st["Sid"]: st for st in _policy_statements(logged_kms, "RequestLogsFirehoseWrites")}["EncryptObjects"]
    (key_id,) = logged_kms.resources("AWS::KMS::Key")
    assert as_list(kms["Resource"]) == [f"${{{key_id}.Arn}}"]
    assert sorted(as_list(kms["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert render(kms["Condition"]["StringEquals"]["kms:ViaService"]) == "s3.${AWS::Region}.amazonaws.com"
    (role,) = [v["Properties"] for k, v in logged.resources("AWS::IAM::Role").items()
               if k.startswith("RequestLogsFirehoseRole")]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert render(trust["Condition"]["StringEquals"]["sts:ExternalId"]) == "${AWS::AccountId}"


def _lifecycle(bucket: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}


def test_buckets_are_private_encrypted_logged_and_expire(logged: Synth, logged_kms: Synth) -> None:
    for s, algorithm in ((logged, "AES256"), (logged_kms, "aws:kms")):
        access_id, access = _bucket(s, "AccessLogs")
        for name in ("Bucket", "AthenaResults"):
            bucket_id, bucket = _bucket(s, name)
            assert bucket["PublicAccessBlockConfiguration"] == {
                "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True}
            (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == algorithm
            assert bucket["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": access_id}
            policy = next(v["Properties"] for v in s.resources("AWS::S3::BucketPolicy").values()
                          if v["Properties"]["Bucket"] == {"Ref": bucket_id})
            assert any(st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
                       for st in policy["PolicyDocument"]["Statement"])
        # S3 delivers server access logs with SSE-S3 only, under a bucket policy (no ACL)
        assert access["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        assert "AccessControl" not in access
        assert "expire" in _lifecycle(access)
    defaults = _lifecycle(_bucket(logged, "Bucket")[1])["requests-to-glacier-then-expire"]
    assert defaults["Prefix"] == "requests/"
    assert defaults["Transitions"] == [{"StorageClass": "GLACIER", "TransitionInDays": 90}]
    assert defaults["ExpirationInDays"] == 730
    custom = _lifecycle(_bucket(logged_kms, "Bucket")[1])
    assert custom["requests-to-glacier-then-expire"]["Transitions"][0]["TransitionInDays"] == 30
    assert custom["requests-to-glacier-then-expire"]["ExpirationInDays"] == 400
    assert custom["expire-errors"]["ExpirationInDays"] == 400
    assert _lifecycle(_bucket(logged, "AthenaResults")[1])["expire-results"]["ExpirationInDays"] == 30


def test_glue_table_projects_the_daily_prefix_and_reads_json(logged: Synth) -> None:
    _, database = _one(logged, "AWS::Glue::Database")
    _, table = _one(logged, "AWS::Glue::Table")
    bucket_id, _ = _bucket(logged, "Bucket")
    assert database["DatabaseInput"]["Name"] == table["DatabaseName"] == "tollway_dev"
    t = table["TableInput"]
    assert t["Name"] == "requests" and t["TableType"] == "EXTERNAL_TABLE"
    assert t["PartitionKeys"] == [{"Name": "day", "Type": "string", "Comment": "UTC delivery day, yyyy/MM/dd"}]
    params = {k: render(v) for k, v in t["Parameters"].items()}
    assert params["projection.enabled"] == "true"
    assert (params["projection.day.type"], params["projection.day.format"]) == ("date", "yyyy/MM/dd")
    assert params["projection.day.range"] == "NOW-730DAYS,NOW"
    assert params["storage.location.template"] == f"s3://${{{bucket_id}}}/requests/${{day}}/"
    sd = t["StorageDescriptor"]
    assert render(sd["Location"]) == f"s3://${{{bucket_id}}}/requests/"
    assert sd["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert sd["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert [(c["Name"], c["Type"]) for c in sd["Columns"]] == [(n, t) for n, t, _ in COLUMNS]
    assert not logged.resources("AWS::Glue::Crawler")


def test_workgroup_enforces_encrypted_results_and_a_scan_cutoff(logged: Synth, logged_kms: Synth) -> None:
    for s, limit, option in ((logged, 10, "SSE_S3"), (logged_kms, 2, "SSE_KMS")):
        _, group = _one(s, "AWS::Athena::WorkGroup")
        results_id, _ = _bucket(s, "AthenaResults")
        config = group["WorkGroupConfiguration"]
        assert group["Name"] == "tollway-dev"
        assert config["EnforceWorkGroupConfiguration"] is True
        assert config["BytesScannedCutoffPerQuery"] == limit * GB
        result = config["ResultConfiguration"]
        assert render(result["OutputLocation"]) == f"s3://${{{results_id}}}/"
        assert result["EncryptionConfiguration"]["EncryptionOption"] == option
    (key_id,) = logged_kms.resources("AWS::KMS::Key")
    _, group = _one(logged_kms, "AWS::Athena::WorkGroup")
    assert group["WorkGroupConfiguration"]["ResultConfiguration"]["EncryptionConfiguration"]["KmsKey"] == {
        "Fn::GetAtt": [key_id, "Arn"]}


def test_saved_queries_read_the_table_by_day(logged: Synth) -> None:
    queries = {q["Properties"]["Name"]: q["Properties"] for q in logged.resources("AWS::Athena::NamedQuery").values()}
    assert set(queries) == {f"tollway-dev-{name}" for name in QUERIES} == {
        "tollway-dev-spend-by-team-model-day", "tollway-dev-top-keys", "tollway-dev-error-rates"}
    names = {name for name, _, _ in COLUMNS}
    used = {"spend-by-team-model-day": {"team", "model", "costusd", "inputtokens", "outputtokens", "requests"},
            "top-keys": {"key_digest", "team", "costusd", "inputtokens", "outputtokens", "requests"},
            "error-rates": {"provider", "model", "status", "message"}}
    for name, columns in used.items():
        query = queries[f"tollway-dev-{name}"]
        assert query["Database"] == "tollway_dev" and query["WorkGroup"] == "tollway-dev"
        assert 'FROM "tollway_dev"."requests"' in query["QueryString"]
        assert "day >= date_format(current_date - interval" in query["QueryString"]  # partitions pruned
        assert columns <= names
        assert all(re.search(rf"\b{c}\b", query["QueryString"]) for c in columns), name


def _delivery_widgets(s: Synth) -> list[dict[str, Any]]:
    (dashboard,) = s.resources("AWS::CloudWatch::Dashboard").values()
    body = json.loads(render(dashboard["Properties"]["DashboardBody"]))
    return [w for w in body["widgets"] if w["properties"].get("title", "").startswith("Request logs")]


def test_dashboard_shows_delivery(logged: Synth, buffered: Synth) -> None:
    stream_id, _ = _one(logged, "AWS::KinesisFirehose::DeliveryStream")
    (widget,) = _delivery_widgets(logged)
    text = json.dumps(widget)
    for name in ("AWS/Firehose", "IncomingRecords", "DeliveryToS3.Records", "DeliveryToS3.DataFreshness",
                 f"${{{stream_id}}}"):
        assert name in text, name
    assert not _delivery_widgets(buffered)


def test_outputs_name_the_bucket_and_workgroup(logged: Synth, buffered: Synth) -> None:
    assert {"RequestLogsBucket", "AthenaWorkGroup"} <= set(logged.template["Outputs"])
    assert not {"RequestLogsBucket", "AthenaWorkGroup"} & set(buffered.template["Outputs"])


def test_nothing_without_the_option(buffered: Synth, streaming: Synth) -> None:
    for s in (buffered, streaming):
        for kind in ("AWS::Logs::SubscriptionFilter", "AWS::KinesisFirehose::DeliveryStream", "AWS::Glue::Table",
                     "AWS::Athena::WorkGroup", "AWS::S3::Bucket"):
            assert not s.resources(kind), kind


@pytest.mark.parametrize(("context", "message"), [
    ({"request_logs_glacier_days": "90", "request_logs_expiry_days": "90"}, "context 'request_logs_expiry_days'"),
    ({"athena_scan_limit_gb": "0"}, "context 'athena_scan_limit_gb'"),
])
def test_lifecycle_and_scan_limit_are_checked(context: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        from_context(Ctx(request_logs="true", **context))
