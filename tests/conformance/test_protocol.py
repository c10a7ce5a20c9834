"""What every API answers a request it cannot serve: a client error in its own protocol, never a 5xx.

An SDK retries a 5xx (three times by default) and then reports a server
fault; an emulator crash must not look like that. An operation the emulator
does not implement is answered as AWS answers an operation it does not know.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest
from tests.conformance._aws import Aws, doc

pytestmark = [pytest.mark.integration, pytest.mark.conformance]

QUERY_ERRORS = (
    "Common errors: InvalidAction (HTTP 400): the action or operation requested is invalid. Query "
    "protocols answer with an XML ErrorResponse."
)
COMMON_ERRORS = (
    "Common errors: InvalidAction (HTTP 400): the action or operation requested is invalid. Verify "
    "that the action is typed correctly. JSON protocols name it UnknownOperationException."
)


def _json_case(service: str, target: str, content_type: str, doc_url: str) -> object:
    return pytest.param(
        service, target, content_type, marks=doc(doc_url, says=COMMON_ERRORS), id=service
    )


@pytest.mark.parametrize(
    ("service", "target", "content_type"),
    [
        _json_case(
            "dynamodb",
            "DynamoDB_20120810.Frobnicate",
            "application/x-amz-json-1.0",
            "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html",
        ),
        _json_case(
            "sqs",
            "AmazonSQS.Frobnicate",
            "application/x-amz-json-1.0",
            "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html",
        ),
        _json_case(
            "secretsmanager",
            "secretsmanager.Frobnicate",
            "application/x-amz-json-1.1",
            "https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html",
        ),
        _json_case(
            "ssm",
            "AmazonSSM.Frobnicate",
            "application/x-amz-json-1.1",
            "https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html",
        ),
        _json_case(
            "events",
            "AWSEvents.Frobnicate",
            "application/x-amz-json-1.1",
            "https://docs.aws.amazon.com/eventbridge/latest/APIReference/CommonErrors.html",
        ),
    ],
)
def test_an_unknown_json_operation_is_a_client_error(
    aws: Aws, service: str, target: str, content_type: str
) -> None:
    response = aws.raw(
        "POST",
        service,
        aws.endpoint + "/",
        body="{}",
        headers={"X-Amz-Target": target, "Content-Type": content_type},
    )
    assert response.status_code == 400, response.text
    code = json.loads(response.text)["__type"].rsplit("#", 1)[-1]
    assert code in {"UnknownOperationException", "InvalidAction"}, response.text


@pytest.mark.parametrize(
    ("service", "version"),
    [
        pytest.param(
            "sns",
            "2010-03-31",
            marks=doc(
                "https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html", says=QUERY_ERRORS
            ),
            id="sns",
        ),
        pytest.param(
            "sqs",
            "2012-11-05",
            marks=doc(
                "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html",
                says=QUERY_ERRORS,
            ),
            id="sqs",
        ),
    ],
)
def test_an_unknown_query_action_is_a_client_error(aws: Aws, service: str, version: str) -> None:
    response = aws.raw(
        "POST",
        service,
        aws.endpoint + "/",
        body=f"Action=Frobnicate&Version={version}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400, response.text
    root = ElementTree.fromstring(response.text)
    codes = [e.text for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Code"]
    assert codes == ["InvalidAction"], response.text


MALFORMED = (
    "A request that does not match the operation's input shape is the client's fault "
    "(SerializationException or ValidationException, HTTP 400): a 4xx, never a 5xx."
)


def _malformed(service: str, target: str, body: str, doc_url: str, case_id: str) -> object:
    return pytest.param(service, target, body, marks=doc(doc_url, says=MALFORMED), id=case_id)


@pytest.mark.parametrize(
    ("service", "target", "body"),
    [
        _malformed(
            "sqs",
            "AmazonSQS.SendMessage",
            '{"QueueUrl": 5, "MessageBody": ["x"]}',
            "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html",
            "sqs-wrong-types",
        ),
        _malformed(
            "dynamodb",
            "DynamoDB_20120810.PutItem",
            '{"TableName": "t", "Item": "not a map"}',
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html",
            "dynamodb-wrong-types",
        ),
        _malformed(
            "dynamodb",
            "DynamoDB_20120810.Query",
            '{"TableName": 7}',
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html",
            "dynamodb-table-name-a-number",
        ),
        _malformed(
            "secretsmanager",
            "secretsmanager.GetSecretValue",
            "[]",
            "https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html",
            "secretsmanager-a-list",
        ),
        _malformed(
            "ssm",
            "AmazonSSM.GetParameter",
            '{"Name": {"a": 1}}',
            "https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html",
            "ssm-name-a-map",
        ),
    ],
)
def test_a_malformed_json_request_is_a_client_error(
    aws: Aws, service: str, target: str, body: str
) -> None:
    content_type = (
        "application/x-amz-json-1.0"
        if service in {"sqs", "dynamodb"}
        else "application/x-amz-json-1.1"
    )
    response = aws.raw(
        "POST",
        service,
        aws.endpoint + "/",
        body=body,
        headers={"X-Amz-Target": target, "Content-Type": content_type},
    )
    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.text[:300]}"
    assert "__type" in json.loads(response.text), response.text
