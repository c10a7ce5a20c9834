"""Tables in the emulator: keys, indexes, billing and TTL as the dynamodb-table module sets them."""

from __future__ import annotations

from typing import Any

from trellis.kinds import Table
from trellis.local.provisioners import Provisioning


def provision(ctx: Provisioning, name: str, spec: Table) -> None:
    physical = ctx.physical("table", name)
    _create(physical, spec, ctx.clients("dynamodb"))
    ctx.out.values[("table", name)] = physical


def _create(physical: str, spec: Table, dynamodb: Any) -> None:
    attributes = {spec.hash_key: spec.hash_key_type}
    key_schema = [{"AttributeName": spec.hash_key, "KeyType": "HASH"}]
    if spec.range_key:
        attributes[spec.range_key] = spec.range_key_type
        key_schema.append({"AttributeName": spec.range_key, "KeyType": "RANGE"})
    indexes = []
    for index_name, index in spec.indexes.items():
        attributes[index.hash_key] = index.hash_key_type
        schema = [{"AttributeName": index.hash_key, "KeyType": "HASH"}]
        if index.range_key:
            attributes[index.range_key] = index.range_key_type
            schema.append({"AttributeName": index.range_key, "KeyType": "RANGE"})
        gsi: dict[str, Any] = {
            "IndexName": index_name,
            "KeySchema": schema,
            "Projection": {"ProjectionType": index.projection},
        }
        if spec.billing == "provisioned":
            gsi["ProvisionedThroughput"] = {
                "ReadCapacityUnits": spec.read_capacity,
                "WriteCapacityUnits": spec.write_capacity,
            }
        indexes.append(gsi)
    request: dict[str, Any] = {
        "TableName": physical,
        "AttributeDefinitions": [
            {"AttributeName": k, "AttributeType": t} for k, t in attributes.items()
        ],
        "KeySchema": key_schema,
        "DeletionProtectionEnabled": False,  # local tables are thrown away with the emulator
    }
    if indexes:
        request["GlobalSecondaryIndexes"] = indexes
    if spec.billing == "provisioned":
        request["BillingMode"] = "PROVISIONED"
        request["ProvisionedThroughput"] = {
            "ReadCapacityUnits": spec.read_capacity,
            "WriteCapacityUnits": spec.write_capacity,
        }
    else:
        request["BillingMode"] = "PAY_PER_REQUEST"
    try:
        dynamodb.create_table(**request)
    except dynamodb.exceptions.ResourceInUseException:
        return
    if spec.ttl_attribute:
        dynamodb.update_time_to_live(
            TableName=physical,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
        )
