"""Request logs to S3 for Athena (``-c request_logs=true``): no write on the request path.

The function already prints two JSON lines per request to its log group: the request log line
(``tollway.observability.logging.log_request``: ``"message": "request"``, method, path, HTTP status,
latency, model, provider, team, token counts) and, for a metered request, its EMF document
(``tollway.observability.metrics.emit_request``: cost, tokens, team, model, provider, key digest, user).
Neither holds message content or a key. Here::

    function log group --subscription filter (those two lines only)--> Firehose
        --decompress, extract the messages, one per line--> S3 requests/YYYY/MM/DD/*.gz
    Glue table ``requests`` (JSON SerDe, partition projection on the day) <-- Athena workgroup + saved queries

Exposes ``bucket``, ``results_bucket``, ``access_logs``, ``stream``, ``subscription``, ``database``,
``table``, ``workgroup``, ``queries`` (by name), ``firehose_role`` (and ``firehose_policy``), ``logs_role``
(and ``logs_policy``) and ``delivery_errors`` (the log group where Firehose says what it could not deliver).
Nothing here costs money at idle beyond S3 storage: Firehose bills per GB it ingests, Athena per TB a query
scans.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.function import retention_for
from cdk.request_log_schema import COLUMNS, QUERIES
from cdk.settings import Settings

#: a CloudWatch Logs filter pattern: the request log line or a request's EMF document, nothing else
FILTER_PATTERN = '{ ($.message = "request") || ($.Requests = 1) }'
DATA_PREFIX = "requests/"
ERROR_PREFIX = "errors/"
#: the stream of the delivery-error log group Firehose writes to when it cannot deliver
DELIVERY_LOG_STREAM = "S3Delivery"
#: Firehose writes an object every 5 minutes or 64 MB, whichever comes first
BUFFER_SECONDS = 300
BUFFER_MB = 64
RESULTS_EXPIRY_DAYS = 30
ACCESS_LOGS_EXPIRY_DAYS = 90
GB = 1024 ** 3


class RequestLogs(Construct):
    """The delivery pipeline, the bucket it fills, and the Glue/Athena pieces that read it."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, log_group: logs.ILogGroup,
                 key: kms.IKey | None = None) -> None:
        super().__init__(scope, construct_id)
        # S3 server access logs delivered under a bucket policy (not the legacy LogDeliveryWrite ACL), so every
        # bucket here can enforce bucket-owner object ownership; set for this construct's children only
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        self.settings = settings
        self.key = key
        self.access_logs = self._build_access_logs()
        self.bucket = self._build_bucket()
        self.results_bucket = self._build_results_bucket()
        self.delivery_errors = self._build_delivery_errors()
        self.firehose_role = self._build_firehose_role()
        self.stream = self._build_stream()
        self.logs_role = self._build_logs_role()
        self.subscription = self._build_subscription(log_group)
        self.database, self.table = self._build_catalog()
        self.workgroup = self._build_workgroup()
        self.queries = self._build_queries()

    @property
    def database_name(self) -> str:
        return f"tollway_{self.settings.stage.replace('-', '_').lower()}"

    def _build_access_logs(self) -> s3.Bucket:
        """Server access logs of the two buckets below (S3 delivers them with SSE-S3 only)."""
        return s3.Bucket(
            self, "AccessLogs", encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(id="expire", expiration=Duration.days(ACCESS_LOGS_EXPIRY_DAYS))],
            removal_policy=RemovalPolicy.RETAIN)

    def _encryption(self) -> dict[str, object]:
        if self.key is None:
            return {"encryption": s3.BucketEncryption.S3_MANAGED}
        return {"encryption": s3.BucketEncryption.KMS, "encryption_key": self.key, "bucket_key_enabled": True}

    def _build_bucket(self) -> s3.Bucket:
        s = self.settings
        return s3.Bucket(
            self, "Bucket", **self._encryption(),  # type: ignore[arg-type]
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs, server_access_logs_prefix="request-logs/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="requests-to-glacier-then-expire", prefix=DATA_PREFIX,
                    transitions=[s3.Transition(storage_class=s3.StorageClass.GLACIER,
                                               transition_after=Duration.days(s.request_logs_glacier_days))],
                    expiration=Duration.days(s.request_logs_expiry_days)),
                s3.LifecycleRule(id="expire-errors", prefix=ERROR_PREFIX,
                                 expiration=Duration.days(s.request_logs_expiry_days)),
                s3.LifecycleRule(id="abort-incomplete-uploads",
                                 abort_incomplete_multipart_upload_after=Duration.days(1)),
            ],
            removal_policy=RemovalPolicy.RETAIN)

    def _build_results_bucket(self) -> s3.Bucket:
        return s3.Bucket(
            self, "AthenaResults", **self._encryption(),  # type: ignore[arg-type]
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs, server_access_logs_prefix="athena-results/",
            lifecycle_rules=[s3.LifecycleRule(id="expire-results", expiration=Duration.days(RESULTS_EXPIRY_DAYS))],
            removal_policy=RemovalPolicy.RETAIN)

    def _build_delivery_errors(self) -> logs.LogGroup:
        group = logs.LogGroup(self, "DeliveryErrors", retention=retention_for(self.settings.log_retention_days),
                              removal_policy=RemovalPolicy.DESTROY)
        logs.LogStream(self, "DeliveryErrorStream", log_group=group, log_stream_name=DELIVERY_LOG_STREAM,
                       removal_policy=RemovalPolicy.DESTROY)
        return group

    def _build_firehose_role(self) -> iam.Role:
        """Firehose writes objects under ``requests/`` and ``errors/`` of its bucket, and nothing else."""
        role = iam.Role(self, "FirehoseRole", description="Tollway request logs: Firehose -> S3",
                        # Firehose assumes its role with this account's id as external id (Firehose's docs)
                        assumed_by=iam.ServicePrincipal("firehose.amazonaws.com", conditions={
                            "StringEquals": {"sts:ExternalId": Aws.ACCOUNT_ID}}))
        statements = [
            iam.PolicyStatement(sid="BucketOnly", resources=[self.bucket.bucket_arn],
                                actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"]),
            iam.PolicyStatement(sid="RequestAndErrorObjectsOnly",
                                resources=[self.bucket.arn_for_objects(f"{DATA_PREFIX}*"),
                                           self.bucket.arn_for_objects(f"{ERROR_PREFIX}*")],
                                actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"]),
            iam.PolicyStatement(sid="DeliveryErrorLogOnly", actions=["logs:PutLogEvents"], resources=[
                Stack.of(self).format_arn(
                    service="logs", resource="log-group", arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    resource_name=f"{self.delivery_errors.log_group_name}:log-stream:{DELIVERY_LOG_STREAM}")]),
        ]
        if self.key is not None:
            statements.append(iam.PolicyStatement(
                sid="EncryptObjects", resources=[self.key.key_arn], actions=["kms:GenerateDataKey", "kms:Decrypt"],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{Aws.REGION}.amazonaws.com"}}))
        self.firehose_policy = iam.Policy(self, "FirehoseWrites", roles=[role], statements=statements)
        return role

    def _build_stream(self) -> firehose.CfnDeliveryStream:
        def processor(kind: str, **parameters: str) -> firehose.CfnDeliveryStream.ProcessorProperty:
            return firehose.CfnDeliveryStream.ProcessorProperty(type=kind, parameters=[
                firehose.CfnDeliveryStream.ProcessorParameterProperty(parameter_name=k, parameter_value=v)
                for k, v in parameters.items()] or None)

        destination = firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
            bucket_arn=self.bucket.bucket_arn,
            role_arn=self.firehose_role.role_arn,
            prefix=f"{DATA_PREFIX}!{{timestamp:yyyy/MM/dd}}/",
            error_output_prefix=f"{ERROR_PREFIX}!{{firehose:error-output-type}}/!{{timestamp:yyyy/MM/dd}}/",
            compression_format="GZIP",
            cloud_watch_logging_options=firehose.CfnDeliveryStream.CloudWatchLoggingOptionsProperty(
                enabled=True, log_group_name=self.delivery_errors.log_group_name,
                log_stream_name=DELIVERY_LOG_STREAM),
            buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                interval_in_seconds=BUFFER_SECONDS, size_in_m_bs=BUFFER_MB),
            processing_configuration=firehose.CfnDeliveryStream.ProcessingConfigurationProperty(
                enabled=True,
                processors=[
                    # CloudWatch Logs delivers gzip-compressed envelopes of several log events: unpack them,
                    # keep each event's message (our JSON line), and end every record with a newline
                    processor("Decompression", CompressionFormat="GZIP"),
                    processor("CloudWatchLogProcessing", DataMessageExtraction="true"),
                    processor("AppendDelimiterToRecord"),
                ]),
            encryption_configuration=(
                firehose.CfnDeliveryStream.EncryptionConfigurationProperty(
                    kms_encryption_config=firehose.CfnDeliveryStream.KMSEncryptionConfigProperty(
                        awskms_key_arn=self.key.key_arn)) if self.key is not None else None),
        )
        stream = firehose.CfnDeliveryStream(
            self, "Stream", delivery_stream_type="DirectPut",
            delivery_stream_encryption_configuration_input=(
                firehose.CfnDeliveryStream.DeliveryStreamEncryptionConfigurationInputProperty(
                    key_type="AWS_OWNED_CMK")),
            extended_s3_destination_configuration=destination)
        # the role's policy must exist before Firehose first writes (it checks the bucket at creation)
        stream.node.add_dependency(self.firehose_policy)
        return stream

    def _build_logs_role(self) -> iam.Role:
        """CloudWatch Logs puts records into this one stream, on behalf of this account's log groups only."""
        role = iam.Role(self, "LogsRole", description="Tollway request logs: CloudWatch Logs -> Firehose",
                        assumed_by=iam.ServicePrincipal("logs.amazonaws.com", conditions={"StringLike": {
                            "aws:SourceArn": f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:*"}}))
        self.logs_policy = iam.Policy(self, "LogsPuts", roles=[role], statements=[iam.PolicyStatement(
            sid="ThisStreamOnly", actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
            resources=[self.stream.attr_arn])])
        return role

    def _build_subscription(self, log_group: logs.ILogGroup) -> logs.CfnSubscriptionFilter:
        subscription = logs.CfnSubscriptionFilter(
            self, "Subscription", log_group_name=log_group.log_group_name, filter_pattern=FILTER_PATTERN,
            destination_arn=self.stream.attr_arn, role_arn=self.logs_role.role_arn,
            filter_name="tollway-request-logs")
        # CloudWatch Logs test-puts a record when the filter is created: the role's policy must exist by then
        subscription.node.add_dependency(self.logs_policy)
        return subscription

    def _build_catalog(self) -> tuple[glue.CfnDatabase, glue.CfnTable]:
        database = glue.CfnDatabase(self, "Database", catalog_id=Aws.ACCOUNT_ID,
                                    database_input=glue.CfnDatabase.DatabaseInputProperty(
                                        name=self.database_name,
                                        description="Tollway request logs (cdk/request_logs.py)"))
        location = f"s3://{self.bucket.bucket_name}/{DATA_PREFIX}"
        table = glue.CfnTable(
            self, "Table", catalog_id=Aws.ACCOUNT_ID, database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name="requests",
                description="One row per request log line or per metered request's EMF document",
                table_type="EXTERNAL_TABLE",
                partition_keys=[glue.CfnTable.ColumnProperty(name="day", type="string",
                                                             comment="UTC delivery day, yyyy/MM/dd")],
                parameters={
                    "classification": "json",
                    "compressionType": "gzip",
                    # partition projection: Athena derives the day partitions, so no crawler runs
                    "projection.enabled": "true",
                    "projection.day.type": "date",
                    "projection.day.format": "yyyy/MM/dd",
                    "projection.day.range": f"NOW-{self.settings.request_logs_expiry_days}DAYS,NOW",
                    "projection.day.interval": "1",
                    "projection.day.interval.unit": "DAYS",
                    "storage.location.template": location + "${day}/",
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=location,
                    columns=[glue.CfnTable.ColumnProperty(name=n, type=t, comment=c) for n, t, c in COLUMNS],
                    input_format="org.apache.hadoop.mapred.TextInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    compressed=True,
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library="org.openx.data.jsonserde.JsonSerDe",
                        parameters={"ignore.malformed.json": "true", "case.insensitive": "true"}),
                ),
            ))
        table.node.add_dependency(database)
        return database, table

    def _build_workgroup(self) -> athena.CfnWorkGroup:
        encryption = (athena.CfnWorkGroup.EncryptionConfigurationProperty(encryption_option="SSE_KMS",
                                                                          kms_key=self.key.key_arn)
                      if self.key is not None else
                      athena.CfnWorkGroup.EncryptionConfigurationProperty(encryption_option="SSE_S3"))
        return athena.CfnWorkGroup(
            self, "WorkGroup", name=f"tollway-{self.settings.stage}",
            description="Tollway request logs: results encrypted, scan per query capped",
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=self.settings.athena_scan_limit_gb * GB,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.results_bucket.bucket_name}/",
                    encryption_configuration=encryption),
            ))

    def delivery_widget(self) -> cw.GraphWidget:
        """Records in and delivered to S3 (left), the oldest record not yet in S3 (right): a dashboard row."""
        def metric(name: str, statistic: str, label: str) -> cw.Metric:
            return cw.Metric(namespace="AWS/Firehose", metric_name=name, statistic=statistic, label=label,
                             dimensions_map={"DeliveryStreamName": self.stream.ref}, period=Duration.minutes(5))

        return cw.GraphWidget(
            title="Request logs: records in, delivered to S3, and freshness (s)", width=24, height=6,
            left=[metric("IncomingRecords", "Sum", "records in"),
                  metric("DeliveryToS3.Records", "Sum", "records delivered")],
            right=[metric("DeliveryToS3.DataFreshness", "Maximum", "oldest undelivered (s)")])

    def _build_queries(self) -> dict[str, athena.CfnNamedQuery]:
        queries: dict[str, athena.CfnNamedQuery] = {}
        for name, (description, sql) in QUERIES.items():
            query = athena.CfnNamedQuery(
                self, f"Query{name.title().replace('-', '')}", name=f"tollway-{self.settings.stage}-{name}",
                description=description, database=self.database_name, work_group=self.workgroup.name,
                query_string=sql.format(table=f'"{self.database_name}"."requests"'))
            query.node.add_dependency(self.workgroup, self.table)
            queries[name] = query
        return queries
