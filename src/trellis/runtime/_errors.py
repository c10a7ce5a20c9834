"""The platform's error taxonomy, and the translation of AWS errors into it.

Adapters catch botocore errors where they start and raise one of these
``from exc``; the app's exception handlers render every one of them as
``{"error": {"code", "message", "request_id"}}`` with the status on the class.
A route never sees botocore.

botocore is never imported here: if it is not loaded yet, no exception can be
one of its classes, so the checks look it up in ``sys.modules`` instead. That
keeps this module free to import in code paths that never touch AWS.
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
from collections.abc import Callable, Sequence
from contextlib import ContextDecorator
from types import TracebackType
from typing import Any, ClassVar, Final, Literal, TypeVar, cast

from trellis.runtime._logging import get_logger

__all__ = [
    "AccessDenied",
    "BadRequest",
    "Conflict",
    "DependencyError",
    "DependencyUnavailable",
    "InternalError",
    "NotFound",
    "PayloadTooLarge",
    "Throttled",
    "TrellisError",
    "Unprocessable",
    "aws_errors",
    "is_aws_error",
    "is_transient_aws_error",
    "translate_aws_error",
]

_log = get_logger("trellis.runtime.aws")


class TrellisError(Exception):
    """Base of every error a service may let reach the client.

    ``status`` and ``code`` live on the class, so domain code raises
    ``Conflict("email already registered")`` rather than an HTTP exception.
    ``message`` is shown to clients, so it must never carry ARNs, policy text
    or internal names; ``detail`` is extra safe information (e.g. field errors)
    merged into the rendered ``error`` object.
    """

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "internal error"
    default_retry_after: ClassVar[int | None] = None

    message: str
    retry_after: int | None
    detail: dict[str, Any] | None

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.retry_after = retry_after if retry_after is not None else self.default_retry_after
        self.detail = detail
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class BadRequest(TrellisError):
    """The request is malformed in a way validation could not express (400)."""

    status = 400
    code = "bad_request"
    default_message = "bad request"


class NotFound(TrellisError):
    """The requested item does not exist (404)."""

    status = 404
    code = "not_found"
    default_message = "not found"


class Conflict(TrellisError):
    """The write lost a condition: the item exists, changed, or is locked (409)."""

    status = 409
    code = "conflict"
    default_message = "conflict with the current state of the resource"


class MethodNotAllowed(TrellisError):
    """The path exists, not with this method (405): ``Allow`` names the ones it takes.

    For a path a broader route would otherwise answer (``GET /jobs/process`` beside
    ``GET /jobs/{job_id}``): say so, rather than looking up an item called ``process``.
    """

    status = 405
    code = "method_not_allowed"
    default_message = "method not allowed"

    def __init__(self, message: str | None = None, *, allow: Sequence[str]) -> None:
        super().__init__(message)
        self.allow = tuple(allow)


class PayloadTooLarge(TrellisError):
    """The request body exceeds the service's limit (413)."""

    status = 413
    code = "payload_too_large"
    default_message = "request body too large"


class Unprocessable(TrellisError):
    """The request is well-formed but its content is invalid (422)."""

    status = 422
    code = "validation_error"
    default_message = "request validation failed"


class Throttled(TrellisError):
    """AWS throttled us; the client should retry after ``retry_after`` seconds (503)."""

    status = 503
    code = "throttled"
    default_message = "service busy, retry later"
    default_retry_after = 1


class DependencyUnavailable(TrellisError):
    """A dependency is down, unreachable or missing from the deployment (503)."""

    status = 503
    code = "dependency_unavailable"
    default_message = "a dependency is unavailable, retry later"
    default_retry_after = 2


class AccessDenied(TrellisError):
    """The service's role lacks a permission: a deployment bug, not the client's (500).

    The message stays generic; the operation, resource and AWS message (which
    names the missing action) go to the log.
    """

    status = 500
    code = "access_denied"
    default_message = "the service is not permitted to perform this operation"


class DependencyError(TrellisError):
    """A dependency rejected the call for a reason the client cannot fix (502)."""

    status = 502
    code = "dependency_error"
    default_message = "a dependency failed"


class InternalError(TrellisError):
    """An unexpected failure inside the service (500)."""

    status = 500
    code = "internal_error"
    default_message = "internal error"


# Error codes by family. Both the query-protocol and JSON-protocol spellings
# are listed where services differ (SQS, SNS).
_CONFLICT: Final = frozenset({"ConditionalCheckFailedException", "TransactionConflictException"})
_NOT_FOUND: Final = frozenset(
    {"NoSuchKey", "NoSuchVersion", "ParameterNotFound", "ParameterVersionNotFound"}
)
_MISSING_RESOURCE: Final = frozenset(
    {
        "ResourceNotFoundException",
        "NoSuchBucket",
        "QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
        "NotFoundException",
    }
)
_THROTTLED: Final = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "SlowDown",
        "TooManyRequestsException",
        "RequestThrottled",
        "LimitExceededException",
    }
)
_ACCESS_DENIED: Final = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "IncompleteSignatureException",
        "ExpiredToken",
        "ExpiredTokenException",
        "UnrecognizedClientException",
        "KMSAccessDeniedException",
        "KMS.AccessDeniedException",
    }
)
_SERVER_SIDE: Final = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
# A bare 404 ("404"/"NotFound") is an absent object only for S3 object reads;
# from HeadBucket or SNS ("NotFound" on a deleted topic) it is a missing resource.
_OBJECT_OPERATIONS: Final = frozenset(
    {
        "HeadObject",
        "GetObject",
        "GetObjectAttributes",
        "GetObjectTagging",
        "GetObjectAcl",
        "CopyObject",
        "UploadPartCopy",
        "RestoreObject",
    }
)


def is_aws_error(exc: BaseException) -> bool:
    """True if ``exc`` is a botocore ``ClientError`` or ``BotoCoreError``."""
    module = sys.modules.get("botocore.exceptions")
    if module is None:
        return False
    return isinstance(exc, (module.ClientError, module.BotoCoreError))


def is_transient_aws_error(exc: BaseException) -> bool:
    """True if trying the same call again may succeed: throttling, a server-side fault, a dropped
    connection or a timeout.

    A permanent failure (access denied, a missing queue or table, a rejected
    request) is not transient, whatever its HTTP status: retrying it only
    repeats the call, the wait and the error log.
    """
    module = sys.modules.get("botocore.exceptions")
    if module is None:
        return False
    if isinstance(exc, module.ClientError):
        response: dict[str, Any] = getattr(exc, "response", None) or {}
        code = str((response.get("Error") or {}).get("Code") or "")
        status = int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
        if code in _THROTTLED or code in _SERVER_SIDE:
            return True
        if code in _ACCESS_DENIED or code in _MISSING_RESOURCE or code in _NOT_FOUND:
            return False
        return status >= 500
    return isinstance(exc, (module.ConnectionError, module.HTTPClientError))


def translate_aws_error(
    exc: BaseException, *, operation: str | None = None, resource: str | None = None
) -> TrellisError:
    """Map a botocore error to the platform error a client should see.

    Use it as ``raise translate_aws_error(exc, operation="GetItem", resource=table) from exc``.
    A ``TrellisError`` is returned unchanged; any other non-AWS exception
    becomes :class:`InternalError`. An :class:`AccessDenied` is logged at error
    level with the operation, the resource and AWS's message (which names the
    missing action); server-side failures are logged at warning level.
    """
    if isinstance(exc, TrellisError):
        return exc
    module = sys.modules.get("botocore.exceptions")
    if module is None:
        return InternalError()
    if isinstance(exc, module.ClientError):
        return _translate_client_error(exc, operation=operation, resource=resource)
    if isinstance(exc, module.BotoCoreError):
        return _translate_botocore_error(exc, module, operation=operation, resource=resource)
    return InternalError()


def _translate_client_error(
    exc: Any, *, operation: str | None, resource: str | None
) -> TrellisError:
    response: dict[str, Any] = getattr(exc, "response", None) or {}
    error: dict[str, Any] = response.get("Error") or {}
    code = str(error.get("Code") or "")
    aws_message = str(error.get("Message") or "")
    http_status = int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
    api_operation = getattr(exc, "operation_name", None) or operation
    label = operation or api_operation

    translated: TrellisError
    if code in _CONFLICT:
        translated = Conflict()
    elif code == "TransactionCanceledException":
        translated = _translate_cancelled_transaction(response, aws_message)
    elif code in _NOT_FOUND or (
        code in {"404", "NotFound"}
        and (api_operation is None or api_operation in _OBJECT_OPERATIONS)
    ):
        translated = NotFound()
    elif code in _MISSING_RESOURCE or code in {"404", "NotFound"}:
        translated = DependencyUnavailable()
    elif code in _THROTTLED:
        translated = Throttled()
    elif code in _ACCESS_DENIED or (
        code == "403" and api_operation in {"HeadBucket", "HeadObject"}
    ):
        translated = AccessDenied()
    elif code in _SERVER_SIDE or http_status >= 500:
        translated = DependencyUnavailable()
    else:
        translated = DependencyError()

    _log_translation(translated, label, resource, code, aws_message)
    return translated


def _translate_cancelled_transaction(response: dict[str, Any], aws_message: str) -> TrellisError:
    reasons = {
        str(reason.get("Code"))
        for reason in response.get("CancellationReasons") or []
        if isinstance(reason, dict)
    }
    # Older botocore versions only carry the reasons inside the message text.
    if "ConditionalCheckFailed" in reasons or "ConditionalCheckFailed" in aws_message:
        return Conflict()
    if "TransactionConflict" in reasons or "TransactionConflict" in aws_message:
        return Conflict()
    if reasons & {"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}:
        return Throttled()
    return DependencyError()


def _translate_botocore_error(
    exc: BaseException, module: Any, *, operation: str | None, resource: str | None
) -> TrellisError:
    translated: TrellisError
    if isinstance(exc, (module.ConnectionError, module.HTTPClientError)):
        # Covers EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError,
        # ConnectionClosedError, ProxyConnectionError and SSLError.
        translated = DependencyUnavailable()
    elif isinstance(exc, (module.NoCredentialsError, module.PartialCredentialsError)):
        translated = AccessDenied()
    else:
        translated = DependencyError()
    _log_translation(translated, operation, resource, type(exc).__name__, str(exc))
    return translated


#: "User: arn:... is not authorized to perform: sqs:SendMessage on resource: arn:... because ..."
#: (S3 may quote the resource; some services omit it).
_DENIED_MESSAGE: Final = re.compile(
    r"perform: (?P<action>[A-Za-z0-9-]+:[A-Za-z0-9*]+)"
    r"(?: on resource: \"?(?P<resource>[^\"\s]+)\"?)?"
)


def denied_action(aws_message: str) -> tuple[str | None, str | None]:
    """The action and resource an AWS access-denied message names, if it names them.

    >>> denied_action("User: arn:aws:iam::1:user/u is not authorized to perform: "
    ...               "dynamodb:PutItem on resource: arn:aws:dynamodb:r:1:table/t because ...")
    ('dynamodb:PutItem', 'arn:aws:dynamodb:r:1:table/t')
    """
    match = _DENIED_MESSAGE.search(aws_message)
    if match is None:
        return None, None
    return match["action"], match["resource"]


def _log_translation(
    error: TrellisError, operation: str | None, resource: str | None, code: str, aws_message: str
) -> None:
    # Client-facing messages are generic, so this line is the only place the
    # AWS detail survives. 4xx translations are ordinary control flow: no log.
    if isinstance(error, AccessDenied):
        # One line that says what to add to the service's policy: the action and
        # the resource (the client only sees a generic 500).
        action, denied_resource = denied_action(aws_message)
        _log.error(
            "aws.access_denied",
            action=action or operation,
            resource=denied_resource or resource,
            operation=operation,
            aws_code=code,
            aws_message=aws_message,
            hint="the service's IAM policy lacks this permission (see trellis iam show)",
        )
    elif error.status >= 500:
        _log.warning(
            "aws.error",
            operation=operation,
            resource=resource,
            aws_code=code,
            aws_message=aws_message,
            translated=error.code,
        )


F = TypeVar("F", bound=Callable[..., Any])


class _AwsErrors(ContextDecorator):
    """Context manager and decorator behind :func:`aws_errors`."""

    def __init__(self, operation: str, resource: str | None) -> None:
        self.operation = operation
        self.resource = resource

    def __enter__(self) -> _AwsErrors:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        # Only AWS errors are translated: a bug in the adapter must stay a bug
        # (a 500 with a traceback in the log), not become a "dependency error".
        if exc is not None and is_aws_error(exc):
            raise translate_aws_error(
                exc, operation=self.operation, resource=self.resource
            ) from exc
        return False

    def __call__(self, func: F) -> F:
        if inspect.iscoroutinefunction(func):
            # ContextDecorator would exit before the coroutine even ran.
            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await func(*args, **kwargs)

            return cast(F, async_wrapper)
        return super().__call__(func)


def aws_errors(operation: str, resource: str | None = None) -> _AwsErrors:
    """Translate botocore errors raised inside the block (or function) into platform errors.

    ::

        with aws_errors("GetItem", table_name):
            item = client.get_item(...)

        @aws_errors("SendMessage", "jobs")
        def send(...): ...

    The platform error is raised ``from`` the botocore error; other exceptions
    pass through untouched.
    """
    return _AwsErrors(operation, resource)
