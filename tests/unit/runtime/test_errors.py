from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)

from trellis.runtime import (
    AccessDenied,
    BadRequest,
    Conflict,
    DependencyError,
    DependencyUnavailable,
    InternalError,
    NotFound,
    PayloadTooLarge,
    Throttled,
    TrellisError,
    Unprocessable,
    aws_errors,
    configure_logging,
    translate_aws_error,
)
from trellis.runtime._errors import denied_action


def client_error(
    code: str, *, status: int = 400, operation: str = "GetItem", message: str = "boom", **extra: Any
) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **extra,
    }
    return ClientError(response, operation)


@pytest.mark.parametrize(
    ("cls", "status", "code"),
    [
        (TrellisError, 500, "internal_error"),
        (BadRequest, 400, "bad_request"),
        (NotFound, 404, "not_found"),
        (Conflict, 409, "conflict"),
        (PayloadTooLarge, 413, "payload_too_large"),
        (Unprocessable, 422, "validation_error"),
        (Throttled, 503, "throttled"),
        (DependencyUnavailable, 503, "dependency_unavailable"),
        (AccessDenied, 500, "access_denied"),
        (DependencyError, 502, "dependency_error"),
        (InternalError, 500, "internal_error"),
    ],
)
def test_each_error_class_carries_its_status_and_code(
    cls: type[TrellisError], status: int, code: str
) -> None:
    error = cls()

    assert (cls.status, cls.code) == (status, code)
    assert error.message
    assert str(error) == error.message
    assert isinstance(error, TrellisError)


def test_retry_after_defaults_for_throttled_and_unavailable() -> None:
    assert Throttled().retry_after == 1
    assert DependencyUnavailable().retry_after == 2
    assert Conflict().retry_after is None
    assert Throttled(retry_after=7).retry_after == 7


def test_message_and_detail_are_kept() -> None:
    error = Unprocessable("bad email", detail={"fields": [{"loc": ["email"], "message": "x"}]})

    assert error.message == "bad email"
    assert error.detail == {"fields": [{"loc": ["email"], "message": "x"}]}


@pytest.mark.parametrize(
    "code", ["ConditionalCheckFailedException", "TransactionConflictException"]
)
def test_condition_failures_become_conflict(code: str) -> None:
    assert type(translate_aws_error(client_error(code))) is Conflict


def test_cancelled_transaction_with_a_failed_condition_becomes_conflict() -> None:
    exc = client_error(
        "TransactionCanceledException",
        operation="TransactWriteItems",
        message="Transaction cancelled [None, ConditionalCheckFailed]",
        CancellationReasons=[{"Code": "None"}, {"Code": "ConditionalCheckFailed"}],
    )

    assert type(translate_aws_error(exc)) is Conflict


def test_cancelled_transaction_for_another_reason_is_a_dependency_error() -> None:
    exc = client_error(
        "TransactionCanceledException",
        operation="TransactWriteItems",
        message="Transaction cancelled [ValidationError]",
        CancellationReasons=[{"Code": "ValidationError"}],
    )

    assert type(translate_aws_error(exc)) is DependencyError


@pytest.mark.parametrize(
    ("code", "operation"),
    [
        ("NoSuchKey", "GetObject"),
        ("NoSuchVersion", "GetObject"),
        ("ParameterNotFound", "GetParameter"),
        ("404", "HeadObject"),
        ("NotFound", "HeadObject"),
    ],
)
def test_absent_items_become_not_found(code: str, operation: str) -> None:
    error = translate_aws_error(client_error(code, status=404, operation=operation))

    assert type(error) is NotFound
    assert error.status == 404


@pytest.mark.parametrize(
    ("code", "operation"),
    [
        ("ResourceNotFoundException", "GetItem"),
        ("NoSuchBucket", "PutObject"),
        ("QueueDoesNotExist", "SendMessage"),
        ("AWS.SimpleQueueService.NonExistentQueue", "SendMessage"),
        ("NotFoundException", "PutEvents"),
        ("404", "HeadBucket"),
        ("NotFound", "Publish"),  # SNS: the topic is gone
    ],
)
def test_missing_resources_are_a_deployment_problem_not_a_404(code: str, operation: str) -> None:
    error = translate_aws_error(client_error(code, status=404, operation=operation))

    assert type(error) is DependencyUnavailable
    assert error.status == 503


@pytest.mark.parametrize(
    "code",
    [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "SlowDown",
        "TooManyRequestsException",
        "RequestThrottled",
        "LimitExceededException",
    ],
)
def test_throttling_becomes_throttled_with_retry_after(code: str) -> None:
    error = translate_aws_error(client_error(code))

    assert type(error) is Throttled
    assert (error.status, error.retry_after) == (503, 1)


@pytest.mark.parametrize(
    "code",
    [
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "IncompleteSignatureException",
        "ExpiredToken",
        "UnrecognizedClientException",
        "KMSAccessDeniedException",
    ],
)
def test_permission_problems_become_access_denied(code: str) -> None:
    error = translate_aws_error(client_error(code, status=403))

    assert type(error) is AccessDenied
    assert error.status == 500


@pytest.mark.parametrize(
    "code",
    [
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    ],
)
def test_aws_server_errors_become_dependency_unavailable(code: str) -> None:
    assert type(translate_aws_error(client_error(code, status=500))) is DependencyUnavailable


def test_any_5xx_status_becomes_dependency_unavailable() -> None:
    error = translate_aws_error(client_error("SomethingNew", status=502))

    assert type(error) is DependencyUnavailable


def test_other_client_errors_become_dependency_error() -> None:
    error = translate_aws_error(client_error("ValidationException", status=400))

    assert type(error) is DependencyError
    assert error.status == 502


@pytest.mark.parametrize(
    "exc",
    [
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        ConnectTimeoutError(endpoint_url="http://127.0.0.1:1"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
        ConnectionClosedError(endpoint_url="http://127.0.0.1:1"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_connection_failures_become_dependency_unavailable(exc: Exception) -> None:
    assert type(translate_aws_error(exc)) is DependencyUnavailable


def test_missing_credentials_become_access_denied() -> None:
    assert type(translate_aws_error(NoCredentialsError())) is AccessDenied


def test_other_botocore_errors_become_dependency_error() -> None:
    assert type(translate_aws_error(ParamValidationError(report="bad"))) is DependencyError


def test_platform_errors_pass_through_and_other_exceptions_are_internal() -> None:
    conflict = Conflict("taken")

    assert translate_aws_error(conflict) is conflict
    assert type(translate_aws_error(ValueError("x"))) is InternalError


def test_access_denied_keeps_arns_out_of_the_message_and_logs_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("api")
    aws_message = (
        "User: arn:aws:sts::123456789012:assumed-role/acme-test-api/fn is not authorized "
        "to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:"
        "table/acme-test-users"
    )
    exc = client_error(
        "AccessDeniedException", status=400, operation="PutItem", message=aws_message
    )

    error = translate_aws_error(exc, operation="PutItem", resource="acme-test-users")

    assert "arn:" not in error.message
    assert "dynamodb:PutItem" not in error.message
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    denied = [line for line in lines if line["event"] == "aws.access_denied"]
    assert len(denied) == 1
    assert denied[0]["level"] == "error"
    assert denied[0]["operation"] == "PutItem"
    assert denied[0]["action"] == "dynamodb:PutItem"
    assert denied[0]["resource"] == "arn:aws:dynamodb:us-east-1:123456789012:table/acme-test-users"
    assert "dynamodb:PutItem" in denied[0]["aws_message"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: s3:GetObject on "
            'resource: "arn:aws:s3:::b/k" because no identity-based policy allows the s3:GetObject action',
            ("s3:GetObject", "arn:aws:s3:::b/k"),
        ),
        (
            "User: arn:aws:iam::1:user/u is not authorized to perform: sqs:sendmessage on resource: "
            "arn:aws:sqs:us-east-1:1:q",
            ("sqs:sendmessage", "arn:aws:sqs:us-east-1:1:q"),
        ),
        (
            "User: arn:aws:iam::1:user/u is not authorized to perform: iam:ListUsers",
            ("iam:ListUsers", None),
        ),
        ("Access Denied", (None, None)),
    ],
)
def test_the_denied_action_and_resource_are_read_from_the_aws_message(
    message: str, expected: tuple[str | None, str | None]
) -> None:
    assert denied_action(message) == expected


def test_without_a_named_action_the_log_falls_back_to_the_operation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("api")
    exc = client_error("AccessDenied", status=403, operation="HeadBucket", message="Access Denied")

    translate_aws_error(exc, operation="HeadBucket", resource="uploads")

    line = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (line["event"], line["action"], line["resource"]) == (
        "aws.access_denied",
        "HeadBucket",
        "uploads",
    )


def test_aws_errors_block_raises_the_platform_error_from_the_client_error() -> None:
    original = client_error("ConditionalCheckFailedException", operation="PutItem")

    with pytest.raises(Conflict) as excinfo, aws_errors("PutItem", "acme-test-users"):
        raise original

    assert excinfo.value.__cause__ is original


def test_aws_errors_lets_non_aws_exceptions_through_untouched() -> None:
    with pytest.raises(KeyError), aws_errors("GetItem"):
        raise KeyError("Item")


def test_aws_errors_decorates_sync_functions() -> None:
    @aws_errors("GetObject", "uploads")
    def read() -> None:
        raise client_error("NoSuchKey", status=404, operation="GetObject")

    with pytest.raises(NotFound):
        read()


def test_aws_errors_decorates_coroutine_functions() -> None:
    @aws_errors("SendMessage", "jobs")
    async def send() -> Any:
        raise client_error("QueueDoesNotExist", operation="SendMessage")

    with pytest.raises(DependencyUnavailable):
        asyncio.run(send())


def test_raise_from_keeps_the_cause() -> None:
    original = client_error("ThrottlingException")

    def adapter() -> None:
        try:
            raise original
        except Exception as exc:
            raise translate_aws_error(exc) from exc

    with pytest.raises(Throttled) as excinfo:
        adapter()

    assert excinfo.value.__cause__ is original
