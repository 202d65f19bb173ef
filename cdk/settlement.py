"""The settlement queue: where the gateway parks a settlement it could not write in time.

When a request's spend cannot be settled before the invocation's deadline (or DynamoDB refuses it),
the runtime sends the settlement to this queue and a later invocation applies it, so no spend is lost
and no reservation hangs until its TTL. SSE (KMS with ``-c kms=true``, else SQS-managed), 14 days'
retention (SQS's maximum), TLS only. The function gets the URL in ``TOLLWAY_SETTLEMENT_QUEUE_URL`` and
exactly the four actions it uses (``SETTLEMENT_QUEUE_ACTIONS``).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

ENV_VAR = "TOLLWAY_SETTLEMENT_QUEUE_URL"
SETTLEMENT_QUEUE_ACTIONS = ("sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
RETENTION = Duration.days(14)


class SettlementQueue(Construct):
    """Exposes ``queue``; ``environment()`` and ``statement()`` wire it into the function."""

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey | None = None) -> None:
        super().__init__(scope, construct_id)
        self.queue = sqs.Queue(
            self,
            "Queue",
            retention_period=RETENTION,
            encryption=sqs.QueueEncryption.KMS if key is not None else sqs.QueueEncryption.SQS_MANAGED,
            encryption_master_key=key,
            enforce_ssl=True,
            # a settlement is applied in well under a second; 60 s before another consumer may retry it
            visibility_timeout=Duration.seconds(60),
        )

    def environment(self) -> dict[str, str]:
        return {ENV_VAR: self.queue.queue_url}

    def statement(self) -> iam.PolicyStatement:
        return iam.PolicyStatement(sid="UseSettlementQueue", actions=list(SETTLEMENT_QUEUE_ACTIONS),
                                   resources=[self.queue.queue_arn])
