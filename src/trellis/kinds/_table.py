"""Tables: DynamoDB (``[tables.<name>]``, ``terraform/modules/dynamodb-table``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Final, Literal

from pydantic import Field

from trellis import naming
from trellis.kinds._kind import CliOption, Grant, Kind, Snippet, Spec, Use
from trellis.kinds._policy import DeployStatement, EnvScope, Statement
from trellis.kinds._terraform import ENV, Expr, Tpl
from trellis.runtime._kinds import RUNTIME_KINDS

if TYPE_CHECKING:
    from trellis.manifest import Manifest

KeyType = Literal["S", "N", "B"]


class Index(Spec):
    hash_key: str = Field(min_length=1)
    hash_key_type: KeyType = "S"
    range_key: str | None = None
    range_key_type: KeyType = "S"
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


class Table(Spec):
    hash_key: str = Field(min_length=1)
    hash_key_type: KeyType = "S"
    range_key: str | None = None
    range_key_type: KeyType = "S"
    ttl_attribute: str | None = None
    indexes: dict[str, Index] = Field(default_factory=dict)
    billing: Literal["on-demand", "provisioned"] = "on-demand"
    read_capacity: int = Field(default=5, ge=1)
    write_capacity: int = Field(default=5, ge=1)
    point_in_time_recovery: bool = True
    deletion_protection: bool = True


_READ = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:DescribeTable")
_WRITE = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
)

#: A key attribute's value in a probe, by its type.
_KEY_VALUE = {"S": '{"S": "probe"}', "N": '{"N": "0"}', "B": '{"B": b"probe"}'}


class TableKind(Kind[Table]):
    name = "table"
    section = "tables"
    model = Table
    runtime = RUNTIME_KINDS["table"]
    # Only what the runtime's adapters and the example services call (``trellis iam
    # verify`` proves each one needed): no BatchGetItem, BatchWriteItem (bulk job
    # records go through conditional TransactWriteItems puts) or ConditionCheckItem.
    levels = {
        "read": _READ,
        # Key lookups only, for a service that never queries (the example worker).
        "get": ("dynamodb:GetItem", "dynamodb:DescribeTable"),
        # One kind of write each, for a service that needs only some (`trellis iam verify`
        # proves each grant on each table): the worker updates `files`, the api puts and
        # deletes them.
        "put": ("dynamodb:PutItem", "dynamodb:DescribeTable"),
        "update": ("dynamodb:UpdateItem", "dynamodb:DescribeTable"),
        "delete": ("dynamodb:DeleteItem", "dynamodb:DescribeTable"),
        "write": _WRITE,
        "readwrite": tuple(dict.fromkeys(_READ + _WRITE)),
    }
    key_argument = "kms_key_arn"
    key_service = "dynamodb"
    # DynamoDB decrypts the table key with the caller's credentials (then caches it): every
    # use of an encrypted table needs kms:Decrypt, none a data key of its own.
    key_actions = {level: ("kms:Decrypt",) for level in levels}
    max_length = 255
    arn_template = "arn:{p}:dynamodb:{r}:{a}:table/{name}"
    terraform_module = "dynamodb-table"
    module_output = "name"
    local_provisioner = "trellis.local.provisioners.table"
    verbs = {
        "read": "reads",
        "get": "looks up items of",
        "put": "puts items in",
        "update": "updates items of",
        "delete": "deletes items of",
        "write": "writes",
        "readwrite": "reads and writes",
    }
    cli_options = (
        CliOption("--hash-key", "hash_key", {"required": True, "help": "partition key attribute"}),
        CliOption("--hash-key-type", "hash_key_type", {"choices": ("S", "N", "B")}),
        CliOption("--range-key", "range_key", {"help": "sort key attribute"}),
        CliOption("--range-key-type", "range_key_type", {"choices": ("S", "N", "B")}),
        CliOption("--ttl-attribute", "ttl_attribute", {}),
    )

    def statements(self, grant: Grant[Table]) -> Iterator[Statement]:
        # Queries of an index are authorised on the index's own ARN.
        resources = (grant.arn, f"{grant.arn}/index/*")
        yield Statement(grant.sid, grant.actions, resources, (), grant.resource)

    def data_arns(self, scope: EnvScope) -> tuple[str, ...]:
        (table,) = self.owned_arns(scope)
        return (table, f"{table}/index/*")

    def terraform_arguments(
        self, manifest: Manifest, name: str, spec: Table
    ) -> Iterator[tuple[str, object]]:
        yield "name", Tpl(self.physical_name(manifest.project.name, ENV, name, spec))
        yield "hash_key", spec.hash_key
        yield "hash_key_type", spec.hash_key_type
        if spec.range_key:
            yield "range_key", spec.range_key
            yield "range_key_type", spec.range_key_type
        if spec.indexes:
            yield (
                "global_secondary_indexes",
                {
                    index: {
                        "hash_key": i.hash_key,
                        "hash_key_type": i.hash_key_type,
                        **(
                            {"range_key": i.range_key, "range_key_type": i.range_key_type}
                            if i.range_key
                            else {}
                        ),
                        "projection_type": i.projection,
                    }
                    for index, i in spec.indexes.items()
                },
            )
        if spec.ttl_attribute:
            yield "ttl_attribute", spec.ttl_attribute
        yield "billing_mode", "PROVISIONED" if spec.billing == "provisioned" else "PAY_PER_REQUEST"
        if spec.billing == "provisioned":
            yield "read_capacity", spec.read_capacity
            yield "write_capacity", spec.write_capacity
        yield (
            "point_in_time_recovery",
            True if spec.point_in_time_recovery else Expr("var.production"),
        )
        yield (
            "deletion_protection",
            Expr("var.deletion_protection") if spec.deletion_protection else False,
        )
        yield "alarm_actions", Expr("local.alarm_actions")

    def deploy_statements(self, scope: EnvScope) -> Iterator[DeployStatement]:
        yield DeployStatement(
            "ManageTables",
            (
                "dynamodb:CreateTable",
                "dynamodb:DeleteTable",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:DescribeTable",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:ListTagsOfResource",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:UpdateTable",
                "dynamodb:UpdateTimeToLive",
            ),
            self.data_arns(scope),
        )

    def probe(self, use: Use[Table], level: str) -> Snippet:
        if level not in self.levels:
            return super().probe(use, level)
        spec = use.spec
        pairs = [f'"{spec.hash_key}": {_KEY_VALUE[spec.hash_key_type]}']
        if spec.range_key:
            pairs.append(f'"{spec.range_key}": {_KEY_VALUE[spec.range_key_type]}')
        values = {
            "field": f"settings.{naming.settings_field_name('table', use.resource)}",
            "key": "{" + ", ".join(pairs) + "}",
        }
        return Snippet(f"kinds/table/probe_{level}.py.tmpl", values)


#: The registry entry (``trellis.kinds.TABLE``).
TABLE: Final = TableKind()
