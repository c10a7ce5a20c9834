"""The emulator's DynamoDB speedups change how fast moto answers, never what it answers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BATTERY = Path(__file__).with_name("dynamodb_battery.py")


def in_fresh_interpreter(*argv: str) -> Any:
    """What a script prints as JSON, run by a new Python: the speedups patch moto's classes
    for the whole process, and other tests in this one may have imported moto already."""
    out = subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    return json.loads(out)


def replay(speedups: str) -> list[dict[str, object]]:
    return list(in_fresh_interpreter(str(BATTERY), speedups))


@pytest.mark.integration
def test_speedups_give_the_same_answers_and_errors_as_moto() -> None:
    plain, fast = replay("off"), replay("on")

    assert fast == plain
    errors = [r["error"] for r in plain if "error" in r]
    messages = " ".join(str(e) for e in errors)
    # The battery really exercises the validations the speedups memoise.
    assert 'SET" section can only be used once' in messages
    assert "Two document paths overlap" in messages
    assert "Cannot update attribute pk" in messages
    assert any("ok" in r for r in plain[:9]), "the claim-style updates succeed"
    # Transactions were cancelled after writing, and one committed: the rollback was exercised.
    codes = [r["error"][0] for r in plain if "error" in r]
    assert codes.count("TransactionCanceledException") >= 3
    assert "ValidationException" in codes
    (queries,) = [r["queries"] for r in plain if "queries" in r]
    # The query battery pages: several pages for Limit=2, items in both partitions and the index.
    assert max(len(pages) for pages in queries) >= 3
    assert any(p.get("Count") for pages in queries for p in pages if "Items" in p)
    scans = [r["ok"]["Items"] for r in plain if "ok" in r and "Items" in r["ok"]]
    assert not any(i.get("note") for scan in scans[:-2] for i in scan), (
        "rolled back writes stay invisible"
    )
    assert any(i.get("note") for i in scans[-2]), "the committed transaction is visible"


SSM_WITHOUT_EC2 = """
import json, os, sys
os.environ["MOTO_PORT"] = "4566"
from trellis.local import _moto_speedups
_moto_speedups.apply()
from moto.ssm.models import ec2_backends
loaded_at_start = "moto.ec2" in sys.modules
backend = ec2_backends["123456789012"]["us-east-1"]
print(json.dumps({
    "loaded_at_start": loaded_at_start,
    "loaded_on_use": "moto.ec2" in sys.modules,
    "backend": type(backend).__name__,
    "regions": len(backend.describe_regions()) > 10,
}))
"""


@pytest.mark.integration
def test_ssm_loads_the_ec2_backend_only_when_it_needs_it() -> None:
    assert in_fresh_interpreter("-c", SSM_WITHOUT_EC2) == {
        "loaded_at_start": False,
        "loaded_on_use": True,
        "backend": "EC2Backend",
        "regions": True,
    }


RESET_AFTER_LOOKUPS = """
import json, os
os.environ["MOTO_PORT"] = "4566"
from trellis.local import _moto_speedups
_moto_speedups.apply()
from moto.core.base_backend import BackendDict
from moto.sqs.models import sqs_backends
seen = []
for _ in range(2):
    sqs = sqs_backends["123456789012"]["us-east-1"]
    sqs.create_queue("q")
    again = sqs_backends["123456789012"]["us-east-1"]  # the shortcut's path
    seen.append({
        "same_backend": again is sqs,
        "queues": sorted(again.queues),
        "registered": any(d is sqs_backends for d in BackendDict._instances),
    })
    BackendDict.reset()
    seen.append({"queues_after_reset": sorted(sqs_backends["123456789012"]["us-east-1"].queues)})
print(json.dumps(seen))
"""


@pytest.mark.integration
def test_account_backends_found_directly_are_still_reset() -> None:
    # moto resets only the backend dicts it registered; the shortcut must not skip that.
    looked_up = {"same_backend": True, "queues": ["q"], "registered": True}
    assert (
        in_fresh_interpreter("-c", RESET_AFTER_LOOKUPS)
        == [
            looked_up,
            {"queues_after_reset": []},
        ]
        * 2
    )


SEND_INTO_A_DEEP_QUEUE = """
import json, sys
from trellis.local import _moto_speedups
if sys.argv[1] == "on":
    _moto_speedups.apply()
from moto.sqs.models import Message, sqs_backends
sqs = sqs_backends["123456789012"]["us-east-1"]
deep = sqs.create_queue("deep")
for i in range(300):
    sqs.send_message("deep", f"m{i}")
looks = []
visible = Message.visible
Message.visible = property(lambda self: looks.append(1) or visible.fget(self))
sqs.send_message("deep", "one more")
Message.visible = visible
fifo = sqs.create_queue("f.fifo", FifoQueue="true", ContentBasedDeduplication="true")
plain_fifo = sqs.create_queue("p.fifo", FifoQueue="true")
for _ in range(2):
    sqs.send_message("f.fifo", "same body", group_id="g")
    sqs.send_message("p.fifo", "same body", group_id="g", deduplication_id="d")
    sqs.send_message("p.fifo", "same body", group_id="g", deduplication_id="e")
attributes = {q.name: q.attributes for q in (deep, fifo, plain_fifo)}
for a in attributes.values():
    for name in ("CreatedTimestamp", "LastModifiedTimestamp"):
        a.pop(name)
print(json.dumps({
    "messages_looked_at": len(looks),
    "kept": {q.name: len(q._messages) for q in (deep, fifo, plain_fifo)},
    "attributes": attributes,
}, sort_keys=True))
"""


@pytest.mark.integration
def test_a_send_reads_no_other_message_and_dedupes_as_moto() -> None:
    # moto built every queue attribute, counting every message, to read one per send.
    moto = in_fresh_interpreter("-c", SEND_INTO_A_DEEP_QUEUE, "off")
    ours = in_fresh_interpreter("-c", SEND_INTO_A_DEEP_QUEUE, "on")
    assert moto["messages_looked_at"] >= 300  # the baseline this guards against
    assert ours["messages_looked_at"] == 0
    assert ours["kept"] == moto["kept"] == {"deep": 301, "f.fifo": 1, "p.fifo": 2}
    assert ours["attributes"] == moto["attributes"]


#: A script's start: moto (with the speedups if its argument is "on") and a table `t` keyed
#: by `pk`, through the client `ddb`, with the ConditionExpressions it parses counted.
ON_A_MOTO_TABLE = """
import collections, json, sys
from moto.dynamodb.comparisons import ConditionExpressionParser
parses = collections.Counter()  # ConditionExpressions parsed, by text
parse = ConditionExpressionParser.parse
def counted(self):
    parses[self.condition_expression] += 1
    return parse(self)
ConditionExpressionParser.parse = counted
from trellis.local import _moto_speedups
if sys.argv[1] == "on":
    _moto_speedups.apply()
import boto3
from moto import mock_aws
mock_aws().start()
ddb = boto3.client(
    "dynamodb", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
)
ddb.create_table(
    TableName="t",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    BillingMode="PAY_PER_REQUEST",
)
"""


PARSES_PER_REQUEST = (
    ON_A_MOTO_TABLE
    + """
ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "s": {"S": "x"}})
outcomes = []
for new in ("y", "z"):  # the second finds s = y: refused
    try:
        ddb.update_item(
            TableName="t",
            Key={"pk": {"S": "a"}},
            UpdateExpression="SET s = :new",
            ConditionExpression="#s = :old",
            ExpressionAttributeNames={"#s": "s"},
            ExpressionAttributeValues={":old": {"S": "x"}, ":new": {"S": new}},
        )
        outcomes.append("updated")
    except ddb.exceptions.ConditionalCheckFailedException:
        outcomes.append("refused")
item = ddb.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"]
print(json.dumps({"parses": parses["#s = :old"], "outcomes": outcomes, "item": item}))
"""
)


@pytest.mark.integration
def test_a_requests_condition_is_parsed_once_and_still_decides() -> None:
    # moto's response layer parsed a condition to check its names, the backend again.
    moto = in_fresh_interpreter("-c", PARSES_PER_REQUEST, "off")
    ours = in_fresh_interpreter("-c", PARSES_PER_REQUEST, "on")
    assert (moto["parses"], ours["parses"]) == (4, 2)  # two updates: 2 each, then 1 each
    assert ours["outcomes"] == moto["outcomes"] == ["updated", "refused"]
    assert ours["item"] == moto["item"] == {"pk": {"S": "a"}, "s": {"S": "y"}}


READ_JSON_BODIES = r"""
import base64, collections, datetime, json, sys
import botocore.serialize, botocore.session
from moto.core import parse
from moto.core.utils import get_service_model

binary = bytes(range(256))
item = {
    "pk": {"S": "a"}, "n": {"N": "1.50"}, "b": {"B": binary}, "ss": {"SS": ["x", "y"]},
    "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"\x00", b"\xff"]}, "null": {"NULL": True},
    "flag": {"BOOL": False}, "empty": {"S": ""},
    "m": {"M": {"inner": {"M": {"deep": {"L": [{"B": b"\x01"}, {"N": "3"}, {"M": {}}]}}}}},
}
when = datetime.datetime(2026, 12, 3, 13, 0, 0, 250000, tzinfo=datetime.timezone.utc)
requests = [
    ("dynamodb", "PutItem", {"TableName": "t", "Item": item, "ConditionExpression": "attribute_not_exists(pk)",
                             "ExpressionAttributeNames": {"#p": "pk"}, "ReturnValues": "ALL_OLD"}),
    ("dynamodb", "Query", {"TableName": "t", "Limit": 10, "ConsistentRead": True, "KeyConditionExpression": "pk = :p",
                           "ExpressionAttributeValues": {":p": {"S": "a"}}, "ExclusiveStartKey": {"pk": {"B": b"k"}}}),
    ("dynamodb", "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "t", "Item": item}},
        {"Update": {"TableName": "t", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "b"}}, "ConditionExpression": "attribute_exists(pk)"}}],
        "ClientRequestToken": "tok"}),
    ("dynamodb", "BatchWriteItem", {"RequestItems": {"t": [{"PutRequest": {"Item": item}},
                                                        {"DeleteRequest": {"Key": {"pk": {"S": "z"}}}}]}}),
    ("sqs", "SendMessageBatch", {"QueueUrl": "http://q", "Entries": [
        {"Id": str(i), "MessageBody": "m" * i, "DelaySeconds": i,
         "MessageAttributes": {"s": {"DataType": "String", "StringValue": "v"},
                               "b": {"DataType": "Binary", "BinaryValue": binary[:i + 1]}}} for i in range(10)]}),
    ("sqs", "ReceiveMessage", {"QueueUrl": "http://q", "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0,
                               "MessageAttributeNames": ["All"], "MessageSystemAttributeNames": ["All"]}),
    ("secretsmanager", "CreateSecret", {"Name": "s", "SecretBinary": binary, "Tags": [{"Key": "k", "Value": "v"}]}),
    ("events", "PutEvents", {"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}", "Time": when}]}),
    ("ssm", "PutParameter", {"Name": "/p", "Value": "v", "Type": "String", "Overwrite": True}),
    ("logs", "PutLogEvents", {"logGroupName": "g", "logStreamName": "s",
                              "logEvents": [{"timestamp": 1764766800000, "message": "m"}]}),
    ("kms", "Encrypt", {"KeyId": "k", "Plaintext": binary, "EncryptionContext": {"a": "b"}}),
]
# What a client can send that no SDK would: moto's answers (values or errors) must not change.
raw = [
    ("dynamodb", "PutItem", body) for body in (
        b"", b"[]", b"null", b'"text"', b"not json", b'{"Item": "notamap"}', b'{"Item": {"a": null}}',
        b'{"TableName": null, "Unknown": 1}', b'{"Item": {"a": {"N": 1}}, "ReturnValues": 5}',
        b'{"Item": {"a": {"B": "not base64!"}}}', b'{"Item": {"a": {"L": "abc"}}}', b'{"Item": []}',
    )
] + [
    ("dynamodb", "Query", b'{"Limit": "abc"}'), ("dynamodb", "Query", b'{"Limit": 1.9}'),
    ("dynamodb", "Query", b'{"Limit": true}'), ("logs", "PutLogEvents", b'{"logEvents": [{"timestamp": "x"}]}'),
    ("events", "PutEvents", b'{"Entries": [{"Time": "2026-12-03T13:00:00Z"}]}'),
    ("events", "PutEvents", b'{"Entries": [{"Time": 1764766800.5}]}'),
]
session = botocore.session.get_session()
bodies = []
for service, operation, params in requests:
    model = session.get_service_model(service)
    serializer = botocore.serialize.create_serializer(model.metadata["protocol"])
    request = serializer.serialize_to_request(params, model.operation_model(operation))
    bodies.append((service, operation, request["body"]))
bodies += raw

calls = collections.Counter()
generic = parse.JSONParser._parse_shape
def counted(self, shape, node):
    calls["generic"] += 1
    return generic(self, shape, node)
parse.JSONParser._parse_shape = counted
if sys.argv[1] == "on":
    from trellis.local import _moto_speedups
    _moto_speedups.apply()
outcomes = []
for _ in range(2):  # the second time through, every reader exists already
    for service, operation, body in bodies:
        operation_model = get_service_model(service).operation_model(operation)
        parser = parse.JSONParser(operation_model)
        try:
            outcomes.append(["ok", repr(parser.parse({"body": body}))])
        except Exception as exc:
            outcomes.append(["error", type(exc).__name__, str(exc)])
print(json.dumps({"outcomes": outcomes, "generic_calls": calls["generic"], "requests": len(bodies)}))
"""


@pytest.mark.integration
def test_json_bodies_read_by_shape_as_moto_reads_them() -> None:
    # repr: the same members in the same order, with the same types (bytes, datetime, int).
    moto = in_fresh_interpreter("-c", READ_JSON_BODIES, "off")
    ours = in_fresh_interpreter("-c", READ_JSON_BODIES, "on")
    assert ours["outcomes"] == moto["outcomes"]
    errors = {o[1] for o in moto["outcomes"] if o[0] == "error"}
    # The odd bodies are exercised: wrong JSON types, a number that is not one, bad base64.
    assert {"AttributeError", "ValueError", "Error"} <= errors
    assert moto["generic_calls"] > 10 * moto["requests"]  # moto walked every value by name
    assert ours["generic_calls"] == 0


SET_UP_JSON_REQUESTS = r"""
import io, json, sys
import botocore.serialize, botocore.session
from moto.core.responses import BaseResponse
from moto.dynamodb.responses import DynamoHandler
from moto.sqs.responses import SQSResponse
from moto.ssm.responses import SimpleSystemManagerResponse
from moto.secretsmanager.responses import SecretsManagerResponse
from trellis.local import _direct_dispatch, _fidelity, _moto_speedups

mosts = BaseResponse.setup_class
if sys.argv[1] == "on":
    _moto_speedups.apply()
    _fidelity.apply()
Request = _direct_dispatch._request_class()
session = botocore.session.get_session()
cases = [
    (DynamoHandler, "dynamodb", "UpdateItem", {"TableName": "t", "Key": {"pk": {"S": "a"}},
     "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"N": "1"}}}),
    (DynamoHandler, "dynamodb", "GetItem", {"TableName": "t", "Key": {"pk": {"B": b"\x00"}}}),
    (SQSResponse, "sqs", "SendMessageBatch", {"QueueUrl": "http://127.0.0.1:4566/123456789012/q",
     "Entries": [{"Id": "1", "MessageBody": "plain text"}]}),
    (SimpleSystemManagerResponse, "ssm", "GetParameter", {"Name": "/p", "WithDecryption": True}),
    (SecretsManagerResponse, "secretsmanager", "GetSecretValue", {"SecretId": "s"}),
]
keys = ["AKIAIOSFODNN7EXAMPLE", "testing"]
urls = ["/", "/?x=1&y="]
seen = []
for cls, service, operation, params in cases:
    model = session.get_service_model(service)
    request = botocore.serialize.create_serializer("json").serialize_to_request(
        params, model.operation_model(operation))
    body = request["body"]
    for access_key in keys:
        for target in urls:
            environ = {
                "REQUEST_METHOD": "POST", "PATH_INFO": "/", "RAW_URI": target, "SCRIPT_NAME": "",
                "QUERY_STRING": target.partition("?")[2], "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "4566", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
                "CONTENT_TYPE": request["headers"]["Content-Type"], "CONTENT_LENGTH": str(len(body)),
                "HTTP_HOST": "127.0.0.1:4566", "HTTP_X_AMZ_TARGET": request["headers"]["X-Amz-Target"],
                "HTTP_USER_AGENT": "Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux",
                "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential={access_key}/20261203/eu-west-1/"
                f"{service}/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                "Signature=" + "0123456789abcdef" * 4,
                "HTTP_X_AMZ_DATE": "20261203T130000Z",
            }
            r = Request(environ)
            response = cls()
            response.setup_class(r, r.raw_url, _direct_dispatch._header_dict(environ))
            state = {k: repr(v) for k, v in vars(response).items()
                     if k not in ("normalized_request", "headers", "form_data", "querystring", "data")}
            state["querystring"] = repr(dict(response.querystring))
            state["target"] = target
            seen.append(state)
print(json.dumps(seen))
"""


@pytest.mark.integration
def test_json_requests_are_set_up_as_moto_sets_them_up_but_for_their_body() -> None:
    # The body is not read as a query string any more (tests/conformance: data once decided
    # the operation); everything else a handler reads is what moto's set-up gave it.
    moto = in_fresh_interpreter("-c", SET_UP_JSON_REQUESTS, "off")
    ours = in_fresh_interpreter("-c", SET_UP_JSON_REQUESTS, "on")
    assert len(ours) == len(moto) == 20
    for mine, theirs in zip(ours, moto, strict=True):
        moto_query = theirs.pop("querystring")
        url_query = "{'x': ['1'], 'y': ['']}"
        if theirs["target"] == "/":
            assert moto_query.startswith("{'{")  # moto read the JSON body as a query string
            assert mine.pop("querystring") == "{}"
        else:
            assert mine.pop("querystring") == moto_query == url_query
        assert mine == theirs
    assert {s["access_key"] for s in moto} == {"'AKIAIOSFODNN7EXAMPLE'", "'AKIAEXAMPLE'"}
    assert {s["region"] for s in moto} == {"'eu-west-1'"}
    # DynamoDB and SQS parse their parameters in the set-up: those were compared too.
    assert sum("params" in s for s in moto) == 12


RESERVED_WORDS = (
    ON_A_MOTO_TABLE
    + """
from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords
outcomes = []
key = {"pk": {"S": "a"}}
calls = [
    lambda: ddb.update_item(TableName="t", Key=key, UpdateExpression="SET status = :v",
                            ExpressionAttributeValues={":v": {"S": "x"}}),
    lambda: ddb.update_item(TableName="t", Key=key, UpdateExpression="SET #s = :v",
                            ExpressionAttributeNames={"#s": "status"},
                            ExpressionAttributeValues={":v": {"S": "x"}}),
    lambda: ddb.update_item(TableName="t", Key=key, UpdateExpression="SET tally = :v",
                            ExpressionAttributeValues={":v": {"N": "1"}}),
    lambda: ddb.put_item(TableName="t", Item=key, ConditionExpression="attribute_exists(name)"),
    lambda: ddb.get_item(TableName="t", Key=key, ProjectionExpression="name"),
    lambda: ddb.get_item(TableName="t", Key=key, ProjectionExpression="tally"),
]
for call in calls:
    try:
        call()
        outcomes.append("ok")
    except ddb.exceptions.ClientError as exc:
        outcomes.append(exc.response["Error"]["Message"])
kind = type(ReservedKeywords.get_reserved_keywords()).__name__
print(json.dumps({"outcomes": outcomes, "kind": kind}))
"""
)


@pytest.mark.integration
def test_reserved_words_are_refused_as_moto_refuses_them() -> None:
    # moto searched a list of 573 words for every attribute name; a set answers the same.
    moto = in_fresh_interpreter("-c", RESERVED_WORDS, "off")
    ours = in_fresh_interpreter("-c", RESERVED_WORDS, "on")
    assert (moto["kind"], ours["kind"]) == ("list", "frozenset")
    assert ours["outcomes"] == moto["outcomes"]
    refused = [o for o in moto["outcomes"] if "reserved keyword" in o]
    assert len(refused) == 3  # status in an update, name in a condition and a projection
    assert moto["outcomes"][1] == moto["outcomes"][2] == "ok"


CONDITIONS_WITHOUT_VALUES = (
    ON_A_MOTO_TABLE
    + """
item = {"pk": {"S": "a"}, "n": {"N": "1"}}
def put(condition, names=None):
    extra = {"ExpressionAttributeNames": names} if names else {}
    try:
        ddb.put_item(TableName="t", Item=item, ConditionExpression=condition, **extra)
        return "put"
    except ddb.exceptions.ConditionalCheckFailedException:
        return "refused"
outcomes = [put("attribute_not_exists(pk)"), put("attribute_not_exists(pk)")]
ddb.delete_item(TableName="t", Key={"pk": {"S": "a"}})
outcomes.append(put("attribute_not_exists(pk)"))  # the item is gone: the guard passes again
# The same text with other names decides by those names.
outcomes += [put("attribute_exists(#x)", {"#x": "n"}), put("attribute_exists(#x)", {"#x": "m"})]
print(json.dumps({"outcomes": outcomes, "parses": parses}))
"""
)


@pytest.mark.integration
def test_a_condition_without_values_is_parsed_once_per_text_and_names() -> None:
    moto = in_fresh_interpreter("-c", CONDITIONS_WITHOUT_VALUES, "off")
    ours = in_fresh_interpreter("-c", CONDITIONS_WITHOUT_VALUES, "on")
    assert ours["outcomes"] == moto["outcomes"] == ["put", "refused", "put", "put", "refused"]
    # moto parsed each condition twice per request; these parse once per text and names.
    texts = ("attribute_not_exists(pk)", "attribute_exists(#x)")
    assert [moto["parses"][t] for t in texts] == [6, 4]
    assert [ours["parses"][t] for t in texts] == [1, 2]
