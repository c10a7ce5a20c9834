"""A request IAM does not allow gets the error each service documents for a denial.

Runs as a user with no policy at all (created with the administrator's key):
what a service sees when the manifest does not grant what its code calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from tests.conformance._aws import Aws, doc, name, rejects

pytestmark = [pytest.mark.integration, pytest.mark.conformance]


@pytest.fixture(scope="module")
def nobody(aws: Aws) -> Callable[[str], Any]:
    """Clients for a user without any permission."""
    iam = aws.client("iam")
    user = name("conf-nobody")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]

    def client(service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            region_name=aws.region,
            endpoint_url=aws.endpoint,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
            config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
        )

    return client


@pytest.mark.parametrize(
    ("service", "code", "call"),
    [
        pytest.param(
            "dynamodb",
            "AccessDeniedException",
            lambda c: c.describe_table(TableName="conf-anything"),
            marks=doc(
                "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html",
                says="AccessDeniedException (HTTP 400): the client did not correctly sign the request "
                "or lacks the permission.",
            ),
            id="dynamodb",
        ),
        pytest.param(
            "s3",
            "AccessDenied",
            lambda c: c.list_objects_v2(Bucket="conf-anything"),
            marks=doc(
                "https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html",
                says="AccessDenied (403 Forbidden): Access Denied.",
            ),
            id="s3",
        ),
        pytest.param(
            "sns",
            "AuthorizationErrorException",
            lambda c: c.publish(
                TopicArn="arn:aws:sns:us-east-1:123456789012:conf-anything", Message="m"
            ),
            marks=doc(
                "https://docs.aws.amazon.com/sns/latest/api/API_Publish.html",
                says="AuthorizationError (HTTP 403): indicates that the user has been denied access to "
                "the requested resource.",
            ),
            id="sns",
        ),
        pytest.param(
            "secretsmanager",
            "AccessDeniedException",
            lambda c: c.get_secret_value(SecretId="conf-anything"),
            marks=doc(
                "https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html",
                says="AccessDeniedException (HTTP 400): you do not have sufficient access to perform this action.",
            ),
            id="secretsmanager",
        ),
        pytest.param(
            "ssm",
            "AccessDeniedException",
            lambda c: c.get_parameter(Name="/conf-anything"),
            marks=doc(
                "https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html",
                says="AccessDeniedException (HTTP 400): you do not have sufficient access to perform this action.",
            ),
            id="ssm",
        ),
    ],
)
def test_a_denial_is_the_services_own_error(
    nobody: Callable[[str], Any], service: str, code: str, call: Callable[[Any], Any]
) -> None:
    client = nobody(service)
    rejects(client, code, lambda: call(client))
