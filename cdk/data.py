"""DynamoDB tables, built from the storage package's ``TABLES`` (the one source of truth).

On-demand billing (no idle cost), point-in-time recovery, deletion protection and
``RemovalPolicy.RETAIN``: destroying the stack never deletes spend or key data.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from tollway.storage.tables import TABLES, TableSpec


class DataTables(Construct):
    """``tables`` maps each logical table name (``identity``, ``counters``...) to its Table."""

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey | None = None) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        self.tables: dict[str, dynamodb.Table] = {spec.name: self._build_table(spec) for spec in TABLES}

    def environment(self) -> dict[str, str]:
        """``TOLLWAY_TABLE_<NAME>`` -> physical name, read by ``storage.tables.physical_name``."""
        return {f"TOLLWAY_TABLE_{name.upper()}": table.table_name for name, table in self.tables.items()}

    def _build_table(self, spec: TableSpec) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            spec.name.capitalize(),
            partition_key=dynamodb.Attribute(name=spec.partition_key, type=dynamodb.AttributeType.STRING),
            sort_key=(dynamodb.Attribute(name=spec.sort_key, type=dynamodb.AttributeType.STRING)
                      if spec.sort_key else None),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
            time_to_live_attribute=spec.ttl_attribute,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED if self.key else dynamodb.TableEncryption.DEFAULT,
            encryption_key=self.key,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(name=index.partition_key, type=dynamodb.AttributeType.STRING),
                sort_key=(dynamodb.Attribute(name=index.sort_key, type=dynamodb.AttributeType.STRING)
                          if index.sort_key else None),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table
