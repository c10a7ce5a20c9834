"""Make moto answer as AWS does where Trellis users touch it: the emulator's patch set.

Code that works locally must work in AWS, so the emulator must refuse what AWS
refuses, keep the semantics AWS documents (FIFO deduplication and ordering,
per-entry batch results) and answer in AWS's shapes and error codes. moto
5.2.5 (pinned exactly) differs in the places listed below; each patch says
what AWS does and how moto differs. ``tests/conformance`` is the proof: every
case there cites the AWS documentation it checks, and
``TRELLIS_EMULATOR_FIDELITY=0`` turns this module off to see moto alone.

Patches work at two levels. Most wrap a moto response handler (the method
that serves one operation): they validate the request first and raise moto's
own service exceptions, which moto serialises in the caller's protocol, or
they trim what the handler returns. A few replace a backend method whose
behaviour is wrong (FIFO deduplication, move tasks). Nothing here runs on a
request that needs none of it beyond a dictionary lookup or two.

Every request gets an AWS answer: an operation moto does not implement is
answered as AWS answers an operation it does not know (400
``UnknownOperationException`` / ``InvalidAction``), and an exception inside
moto becomes a 400 in the service's protocol that says the emulator could not
process the request (logged with its traceback), never a 500 page an SDK
would retry three times.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib
import itertools
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

log = logging.getLogger("trellis.emulator")

_applied = False


def apply() -> None:
    """Install every patch (idempotent). Call before the server answers its first request."""
    global _applied
    if _applied:
        return
    _answer_every_request()
    _json_bodies_are_not_query_strings()
    _sqs()
    _dynamodb()
    _s3()
    _sns()
    _events()
    _secretsmanager()
    _ssm()
    _moto_api()
    _applied = True


def _patch(cls: Any, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Replace ``cls.name`` with the decorated function, which receives the original first."""

    def decorate(wrapper: Callable[..., Any]) -> Callable[..., Any]:
        original = getattr(cls, name)

        def patched(self: Any, *args: Any, **kwargs: Any) -> Any:
            return wrapper(original, self, *args, **kwargs)

        patched.__name__ = name
        patched.__doc__ = wrapper.__doc__
        setattr(cls, name, patched)
        return wrapper

    return decorate


# --- A JSON body is data, never parameters ------------------------------------------------------

#: The JSON protocols' content type (DynamoDB, SQS, SSM, Secrets Manager, EventBridge, KMS, ...).
_JSON_PROTOCOL = "application/x-amz-json-"


def _json_bodies_are_not_query_strings() -> None:
    """A JSON-protocol request's parameters come from its JSON body alone, as in AWS.

    moto's ``setup_class`` reads every body that carries no form as a query string
    (``parse_qsl``), and what it finds there wins over the body's JSON: the
    operation (``Action``) and any parameter looked up by name. So data decided
    the operation: an SQS message whose body held ``&Action=PurgeQueue&`` emptied
    the queue it was sent to, and an item with ``&Action=DeleteTable&`` in a
    value deleted its table (as the administrator; a service's own key was
    refused the operation it never asked for). For a request in a JSON protocol
    the query string is the URL's alone; the rest of the set-up is moto's, step
    for step. Other requests (query protocol, REST, S3, a gzip body) take moto's.
    """
    from moto.iam.models import mark_account_as_visited

    # Typed as Any: moto's names as its set-up uses them, which the module does not export.
    responses: Any = importlib.import_module("moto.core.responses")
    base = responses.BaseResponse
    original = base.setup_class

    def setup_class(
        self: Any,
        request: Any,
        full_url: str | None = None,
        headers: Any = None,
        use_raw_body: bool | None = None,
    ) -> None:
        raw = self.use_raw_body if use_raw_body is None else use_raw_body
        environ = request.environ
        if (
            raw
            or not str(environ.get("CONTENT_TYPE", "")).startswith(_JSON_PROTOCOL)
            or "HTTP_CONTENT_ENCODING" in environ
        ):
            original(self, request, full_url, headers, use_raw_body)
            return
        self.is_werkzeug_request = request.from_wsgi_server
        full_url = request.raw_url if full_url is None else full_url
        self.normalized_request = request
        self.parsed_url = responses.urlparse(full_url)
        body = request.data
        # A JSON body holds no form: request.form and request.files are empty.
        self.form_data = request.form
        self.raw_body = body
        self.body = body.decode("utf-8") if isinstance(body, bytes) else body
        querystring: dict[str, Any] = responses.OrderedDict(
            responses.parse_qs(self.parsed_url.query, keep_blank_values=True)
        )
        with contextlib.suppress(UnicodeDecodeError):  # moto keeps it undecoded then
            querystring = responses._decode_dict(querystring)
        self.uri = full_url
        self.path = self.parsed_url.path
        self.raw_path = request.raw_path
        self.querystring = querystring
        self.data = querystring
        self.method = request.method
        self.region = self.get_region_from_url(request, full_url)
        self.partition = responses.get_partition(self.region)
        self.uri_match = {}
        if "host" not in request.headers:
            environ["HTTP_HOST"] = self.parsed_url.netloc
        self.headers = request.headers
        self.response_headers = {"server": "amazon.com"}
        if not self.is_werkzeug_request:
            self.response_headers["date"] = responses.http_date(responses.utcnow())
        if self.automated_parameter_parsing and self._get_action():
            self.parse_parameters(request)
        self.access_key = self.get_access_key()
        self.current_account = self.get_current_account()
        mark_account_as_visited(
            account_id=self.current_account,
            access_key=self.access_key,
            service=self.service_name,
            region=self.region,
        )

    base.setup_class = setup_class


# --- Every request gets an AWS answer -----------------------------------------------------------

#: The error a service gives a request it cannot process, by moto's boto3 service name.
_CLIENT_ERROR = {
    "dynamodb": "ValidationException",
    "sqs": "InvalidParameterValue",
    "sns": "InvalidParameter",
    "secretsmanager": "InvalidRequestException",
    "ssm": "ValidationException",
    "events": "ValidationException",
    "iam": "ValidationError",
    "sts": "ValidationError",
    "kms": "ValidationException",
    "logs": "InvalidParameterException",
    "lambda": "InvalidParameterValueException",
}
_NOT_IMPLEMENTED = re.compile(r"^The \w+ action has not been implemented")


def _answer_every_request() -> None:
    """No 500 for a request a client can send.

    moto raises ``NotImplementedError`` for an operation it lacks and lets any
    other exception of its own reach Flask, which answers a 500 HTML page: an
    SDK retries it (three times by default, with backoff) and then reports a
    server fault. AWS answers an operation it does not know with a 400
    (``UnknownOperationException`` in JSON protocols, ``InvalidAction`` in
    query protocols) and a request it cannot read with a 400 as well.
    """
    from botocore.model import OperationNotFoundError
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult, BaseResponse
    from werkzeug.exceptions import HTTPException

    def answer(response: Any, code: str, message: str) -> Any:
        try:
            return response.serialized(ActionResult(ServiceException(code, message)))
        except Exception:  # noqa: BLE001 - the request is too broken for moto's serializer
            body = json.dumps({"__type": code, "message": message})
            return 400, {"Content-Type": "application/x-amz-json-1.1"}, body

    def unknown(response: Any) -> Any:
        json_caller = "X-Amz-Target" in (getattr(response, "headers", None) or {})
        code = "UnknownOperationException" if json_caller else "InvalidAction"
        action = _safe(lambda: response._get_action()) or "?"
        return answer(response, code, f"The action or operation requested is invalid: {action}.")

    @_patch(BaseResponse, "_dispatch")
    def _dispatch(
        original: Any, self: Any, request: Any, full_url: Any = None, headers: Any = None
    ) -> Any:
        try:
            self.setup_class(request, full_url, headers)
        except HTTPException:
            raise
        except OperationNotFoundError:
            return _raw_error(
                request,
                "UnknownOperationException",
                "InvalidAction",
                "The action or operation requested is invalid.",
            )
        except Exception as exc:  # moto could not parse the request
            log.warning("emulator.request_unreadable", exc_info=exc)
            generic = _client_error(self)
            return _raw_error(
                request, "SerializationException", generic, f"The request could not be read: {exc}"
            )
        try:
            return self.call_action()
        except HTTPException:
            raise
        except NotImplementedError as exc:
            if _NOT_IMPLEMENTED.match(str(exc)) or not str(exc):
                return unknown(self)
            return _emulator_limit(answer, self, exc)
        except Exception as exc:  # noqa: BLE001 - any crash of moto's
            return _emulator_limit(answer, self, exc)

    parser_cls: Any = importlib.import_module("moto.core.parse").BaseJSONParser

    @_patch(parser_cls, "_parse_body_as_json")
    def _parse_body_as_json(original: Any, self: Any, body_contents: Any) -> Any:
        # moto reads an unparseable JSON body as {"message": <the text>} and goes on; DynamoDB
        # and the other JSON APIs answer SerializationException.
        parsed = original(self, body_contents)
        if body_contents and (
            not isinstance(parsed, dict)
            or (set(parsed) == {"message"} and parsed["message"] == _text(body_contents))
        ):
            raise ValueError("the body is not a JSON object")
        return parsed


def _text(body: Any) -> Any:
    if isinstance(body, bytes | bytearray):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return body
    return body


def _raw_error(request: Any, json_code: str, query_code: str, message: str) -> Any:
    """An error for a request moto could not set up, in the protocol the request speaks."""
    request_id = str(uuid.uuid4())
    content_type = str(getattr(request, "content_type", "") or "")
    if "X-Amz-Target" in request.headers or "json" in content_type:
        body = json.dumps({"__type": json_code, "message": message})
        return (
            400,
            {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id},
            body,
        )
    escaped = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{query_code}</Code><Message>{escaped}</Message>"
        f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return 400, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body


def _client_error(response: Any) -> str:
    return _CLIENT_ERROR.get(getattr(response, "boto3_service_name", "") or "", "InvalidRequest")


def _emulator_limit(answer: Callable[..., Any], response: Any, exc: BaseException) -> Any:
    log.warning("emulator.request_failed", exc_info=exc)
    message = (
        f"The local emulator could not process this request ({type(exc).__name__}: {exc}). "
        "AWS may accept it; this is a limit of the emulator."
    )
    return answer(response, _client_error(response), message)


def _safe(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception:  # noqa: BLE001 - only for messages
        return None


# --- SQS ------------------------------------------------------------------------------------------

_MIB = 1_048_576
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
_RESERVED_PREFIX = re.compile(r"^(aws|amazon)\.", re.IGNORECASE)
_ATTRIBUTE_TYPE = re.compile(r"^(String|Number|Binary)(\..+)?$")
_FIFO_ID = re.compile(r"""^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$""")
_DEDUP_WINDOW_S = 300
#: Settable queue attributes, with the range of the numeric ones (API_SetQueueAttributes).
_QUEUE_RANGES: dict[str, tuple[int, int] | None] = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, _MIB),
    "MessageRetentionPeriod": (60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43_200),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
    "Policy": None,
    "RedrivePolicy": None,
    "RedriveAllowPolicy": None,
    "KmsMasterKeyId": None,
    "SqsManagedSseEnabled": None,
    "FifoQueue": None,
    "ContentBasedDeduplication": None,
    "DeduplicationScope": None,
    "FifoThroughputLimit": None,
}


def _sqs() -> None:
    models: Any = importlib.import_module("moto.sqs.models")
    responses: Any = importlib.import_module("moto.sqs.responses")
    errors: Any = importlib.import_module("moto.sqs.exceptions")
    handler = responses.SQSResponse
    _sqs_message_validation(handler, models, errors)
    _sqs_batches(handler, models, errors)
    _sqs_visibility(handler, models, errors)
    _sqs_queue_attributes(handler, models, errors)
    _sqs_fifo(models)
    _sqs_move_tasks(handler, models, errors)
    _query_protocol_over_get()


def _message_size(body: str, attributes: dict[str, Any] | None) -> int:
    """What SQS counts against the limit: the body, and each attribute's name, type and value."""
    size = len(body.encode())
    for attr_name, value in (attributes or {}).items():
        size += len(attr_name.encode()) + len(str(value.get("DataType", "")).encode())
        if value.get("StringValue") is not None:
            size += len(str(value["StringValue"]).encode())
        elif value.get("BinaryValue") is not None:
            binary = value["BinaryValue"]
            size += (
                len(binary) if isinstance(binary, bytes | bytearray) else len(str(binary).encode())
            )
    return size


def _check_message(
    errors: Any,
    queue: Any,
    body: Any,
    attributes: dict[str, Any] | None,
    group_id: str | None,
    dedup_id: str | None,
) -> None:
    """What AWS refuses in a message, checked before moto sees it (moto checks the body's length only).

    AWS counts the attributes in the message size, refuses attribute names
    with a reserved prefix, a leading, trailing or doubled period or over 256
    characters, more than 10 attributes and empty values, and group and
    deduplication ids over 128 characters or outside printable ASCII.
    """
    if body is None or body == "":
        raise errors.MissingParameter("MessageBody")
    attributes = attributes or {}
    if len(attributes) > 10:
        raise errors.InvalidParameterValue(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [10]."
        )
    for attr_name, value in attributes.items():
        if len(attr_name) > 256:
            raise errors.InvalidParameterValue(
                "Message (user) attribute names must be shorter than 256 Bytes"
            )
        if (
            not _ATTRIBUTE_NAME.match(attr_name)
            or _RESERVED_PREFIX.match(attr_name)
            or attr_name.startswith(".")
            or attr_name.endswith(".")
            or ".." in attr_name
        ):
            raise errors.InvalidParameterValue(
                f"The message attribute name '{attr_name}' is invalid. Attribute names can contain "
                "A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.); they can't start with "
                "'AWS.' or 'Amazon.', start or end with a period, or have periods in succession."
            )
        data_type = str(value.get("DataType") or "")
        if not _ATTRIBUTE_TYPE.match(data_type):
            raise errors.InvalidParameterValue(
                f"The message attribute '{attr_name}' has an invalid message attribute type, the set "
                "of supported type prefixes is Binary, Number, and String."
            )
        field = "BinaryValue" if data_type.startswith("Binary") else "StringValue"
        if not value.get(field):
            raise errors.InvalidParameterValue(
                f"Message (user) attribute '{attr_name}' must contain a non-empty value of type "
                f"'{data_type.split('.', 1)[0]}'."
            )
    limit = int(queue.maximum_message_size)
    if _message_size(str(body), attributes) > limit:
        raise errors.InvalidParameterValue(
            f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
        )
    for parameter, value in (("MessageGroupId", group_id), ("MessageDeduplicationId", dedup_id)):
        if value is not None and not _FIFO_ID.match(str(value)):
            raise errors.InvalidParameterValue(
                f"Value {value} for parameter {parameter} is invalid. Reason: {parameter} can only "
                "include alphanumeric and punctuation characters. 1 to 128 in length."
            )


def _sqs_message_validation(handler: Any, models: Any, errors: Any) -> None:
    @_patch(handler, "send_message")
    def send_message(original: Any, self: Any) -> Any:
        queue = self.sqs_backend.get_queue(self._get_queue_name())
        _check_message(
            errors,
            queue,
            self._get_param("MessageBody"),
            self._get_param("MessageAttributes", {}),
            self._get_param("MessageGroupId"),
            self._get_param("MessageDeduplicationId"),
        )
        return original(self)

    @_patch(handler, "receive_message")
    def receive_message(original: Any, self: Any) -> Any:
        # moto checks the upper bound only; AWS refuses a negative visibility timeout too.
        visibility = self._get_param("VisibilityTimeout")
        if visibility is not None and int(visibility) < 0:
            raise errors.InvalidParameterValue(
                f"Value {visibility} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200."
            )
        return original(self)


def _check_batch_shape(errors: Any, entries: list[dict[str, Any]], action: str) -> None:
    """AWS's checks on a batch as a whole, in AWS's order: entries, count, ids, distinct ids.

    moto checks only some of them per operation, and on DeleteMessageBatch it
    calls two entries with the same receipt handle "not distinct" (AWS means ids).
    """
    if not entries:
        raise errors.EmptyBatchRequest(action)
    if len(entries) > 10:
        raise errors.TooManyEntriesInBatchRequest(len(entries))
    seen: set[str] = set()
    for entry in entries:
        entry_id = str(entry.get("Id", ""))
        if not _BATCH_ID.match(entry_id):
            raise errors.InvalidBatchEntryId()
        if entry_id in seen:
            raise errors.BatchEntryIdsNotDistinct(entry_id)
        seen.add(entry_id)


def _failure(entry_id: str, error: Any) -> dict[str, Any]:
    return {"Id": entry_id, "SenderFault": True, "Code": error.code, "Message": error.message}


def _sqs_batches(handler: Any, models: Any, errors: Any) -> None:
    from moto.core.responses import ActionResult

    @_patch(handler, "send_message_batch")
    def send_message_batch(original: Any, self: Any) -> Any:
        """Each entry succeeds or fails on its own, as SendMessageBatch documents.

        moto validates every entry first and fails the whole call on the first
        bad one (one entry over the queue's MaximumMessageSize fails them all),
        and counts only the bodies against the 1 MiB batch limit.
        """
        queue_name = self._get_queue_name()
        backend = self.sqs_backend
        queue = backend.get_queue(queue_name)
        entries = list(self._get_param("Entries", []))
        _check_batch_shape(errors, entries, "Send")
        total = sum(
            _message_size(str(e.get("MessageBody") or ""), e.get("MessageAttributes"))
            for e in entries
        )
        if total > _MIB:
            raise errors.BatchRequestTooLong(total)
        successful, failed = [], []
        for entry in entries:
            try:
                _check_message(
                    errors,
                    queue,
                    entry.get("MessageBody"),
                    entry.get("MessageAttributes"),
                    entry.get("MessageGroupId"),
                    entry.get("MessageDeduplicationId"),
                )
                message = backend.send_message(
                    queue_name,
                    entry["MessageBody"],
                    message_attributes=entry.get("MessageAttributes") or {},
                    delay_seconds=entry.get("DelaySeconds"),
                    group_id=entry.get("MessageGroupId"),
                    deduplication_id=entry.get("MessageDeduplicationId"),
                    system_attributes=entry.get("MessageSystemAttributes"),
                )
            except errors.SQSException as error:
                failed.append(_failure(entry["Id"], error))
                continue
            result = {
                "Id": entry["Id"],
                "MessageId": message.id,
                "MD5OfMessageBody": message.body_md5,
            }
            if message.message_attributes:
                result["MD5OfMessageAttributes"] = message.attribute_md5
            if queue.fifo_queue and message.sequence_number:
                result["SequenceNumber"] = message.sequence_number
            successful.append(result)
        return ActionResult({"Successful": successful, "Failed": failed})

    @_patch(handler, "delete_message_batch")
    def delete_message_batch(original: Any, self: Any) -> Any:
        entries = list(self._get_param("Entries", []))
        _check_batch_shape(errors, entries, "Delete")
        successful, failed = [], []
        for entry in entries:
            try:
                self.sqs_backend.delete_message(self._get_queue_name(), entry["ReceiptHandle"])
            except errors.ReceiptHandleIsInvalid:
                failed.append(
                    {
                        "Id": entry["Id"],
                        "SenderFault": True,
                        "Code": "ReceiptHandleIsInvalid",
                        "Message": f'The input receipt handle "{entry["ReceiptHandle"]}" is not a valid receipt handle.',
                    }
                )
                continue
            successful.append({"Id": entry["Id"]})
        return ActionResult({"Successful": successful, "Failed": failed})

    @_patch(handler, "change_message_visibility_batch")
    def change_message_visibility_batch(original: Any, self: Any) -> Any:
        entries = list(self._get_param("Entries", []))
        _check_batch_shape(errors, entries, "ChangeMessageVisibility")
        queue_name = self._get_queue_name()
        successful, failed = [], []
        for entry in entries:
            try:
                _change_visibility(
                    errors,
                    self.sqs_backend,
                    queue_name,
                    entry["ReceiptHandle"],
                    entry.get("VisibilityTimeout"),
                )
            except errors.SQSException as error:
                failed.append(_failure(entry["Id"], error))
                continue
            successful.append({"Id": entry["Id"]})
        return ActionResult({"Successful": successful, "Failed": failed})


def _change_visibility(
    errors: Any, backend: Any, queue_name: str, handle: str, timeout: Any
) -> None:
    """A visibility change as AWS judges it.

    moto answers ``ReceiptHandleIsInvalid`` for the handle of a message that
    was deleted; AWS tells a well-formed handle whose message is gone
    (``InvalidParameterValue``: the message does not exist or is not
    available for visibility timeout change) from a malformed one.
    """
    try:
        seconds = int(timeout)
    except (TypeError, ValueError):
        raise errors.InvalidParameterValue(
            f"Value {timeout} for parameter VisibilityTimeout is invalid. Reason: Must be an integer."
        ) from None
    if not 0 <= seconds <= 43_200:
        raise errors.InvalidParameterValue(
            f"Value {seconds} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200."
        )
    queue = backend.get_queue(queue_name)
    if handle in queue.deleted_messages:
        raise errors.InvalidParameterValue(
            f"Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist "
            "or is not available for visibility timeout change."
        )
    backend.change_message_visibility(
        queue_name=queue_name, receipt_handle=handle, visibility_timeout=seconds
    )


def _sqs_visibility(handler: Any, models: Any, errors: Any) -> None:
    from moto.core.responses import EmptyResult

    @_patch(handler, "change_message_visibility")
    def change_message_visibility(original: Any, self: Any) -> Any:
        _change_visibility(
            errors,
            self.sqs_backend,
            self._get_queue_name(),
            self._get_param("ReceiptHandle"),
            self._get_param("VisibilityTimeout"),
        )
        return EmptyResult()


def _check_queue_attributes(errors: Any, attributes: dict[str, Any]) -> None:
    """AWS refuses unknown attribute names and out-of-range values; moto stores whatever it gets."""
    for attr_name, value in attributes.items():
        if attr_name not in _QUEUE_RANGES:
            raise errors.InvalidAttributeName(attr_name)
        bounds = _QUEUE_RANGES[attr_name]
        if bounds is None:
            continue
        text = str(value)
        if not re.fullmatch(r"-?\d+", text) or not bounds[0] <= int(text) <= bounds[1]:
            raise errors.InvalidAttributeValue(attr_name)


def _comparable(attr_name: str, value: Any) -> Any:
    if attr_name in ("Policy", "RedrivePolicy", "RedriveAllowPolicy") and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).lower() if str(value).lower() in ("true", "false") else str(value)


def _sqs_queue_attributes(handler: Any, models: Any, errors: Any) -> None:
    @_patch(handler, "create_queue")
    def create_queue(original: Any, self: Any) -> Any:
        attributes = self._get_param("Attributes", {}) or {}
        _check_queue_attributes(errors, attributes)
        existing = self.sqs_backend.queues.get(self._get_param("QueueName"))
        if existing is not None:
            # AWS names the attribute that differs; moto says only that the queue exists.
            current = existing.attributes
            for attr_name, value in attributes.items():
                if attr_name in current and _comparable(
                    attr_name, current[attr_name]
                ) != _comparable(attr_name, value):
                    raise errors.QueueAlreadyExists(
                        f"A queue already exists with the same name and a different value for attribute {attr_name}"
                    )
        return original(self)

    @_patch(handler, "set_queue_attributes")
    def set_queue_attributes(original: Any, self: Any) -> Any:
        _check_queue_attributes(errors, self._get_param("Attributes", {}) or {})
        return original(self)


def _sqs_fifo(models: Any) -> None:
    """FIFO queues as AWS documents them.

    - Deduplication lasts 5 minutes from the first send, whatever happens to
      that message: moto compared a new message only with those still in the
      queue, so one received and deleted was delivered again when re-sent. A
      duplicate is accepted and answered with the first message's id.
    - Every message gets a sequence number (moto gave one only with an
      explicit deduplication id, none with content-based deduplication).
    - A receive returns a group's messages together, in order, oldest group
      first ("as many messages with the same message group ID as possible");
      moto returned them in send order across groups.
    """
    queue_cls = models.Queue
    numbers = itertools.count(int(time.time() * 1000) * 10**6)
    lock = threading.Lock()

    @_patch(queue_cls, "add_message")
    def add_message(original: Any, self: Any, message: Any) -> Any:
        if not self.fifo_queue:
            return original(self, message)
        dedup = message.deduplication_id
        if dedup is not None:
            scope_key = (
                (message.group_id, dedup) if self.deduplication_scope == "messageGroup" else dedup
            )
            now = time.monotonic()
            with lock:
                seen: dict[Any, tuple[float, str, str | None]] = self.__dict__.setdefault(
                    "_trellis_dedup", {}
                )
                if len(seen) > 1000:
                    for stale in [
                        k for k, (at, _, _) in seen.items() if now - at >= _DEDUP_WINDOW_S
                    ]:
                        del seen[stale]
                first = seen.get(scope_key)
                if first is not None and now - first[0] < _DEDUP_WINDOW_S:
                    message.id, message.sequence_number = first[1], first[2]
                    return None
                message.sequence_number = f"{next(numbers):020d}"
                seen[scope_key] = (now, message.id, message.sequence_number)
        else:
            message.sequence_number = f"{next(numbers):020d}"
        if self.lambda_event_source_mappings:
            # moto's own path feeds its Lambda event source mappings; its duplicate check
            # (a scan of the queue) finds nothing once the id is out of the way.
            message.deduplication_id = None
            original(self, message)
            message.deduplication_id = dedup
            return None
        with self._messages_lock:
            self._messages.append(message)
            self._messages_lock.notify_all()
        return None

    messages_property = queue_cls.messages

    def messages(self: Any) -> list[Any]:
        visible = messages_property.fget(self)
        if not self.fifo_queue or len(visible) < 2:
            return list(visible)
        order: dict[Any, int] = {}
        for message in visible:
            order.setdefault(message.group_id, len(order))
        return sorted(visible, key=lambda m: order[m.group_id])

    queue_cls.messages = property(messages)


def _query_protocol_over_get() -> None:
    """A GET with the action in its query string is the query protocol, answered in XML.

    SQS documents the query API over GET as well as POST. moto picks the
    protocol from the Content-Type header only, and a GET has none: it parsed
    the (empty) body as JSON and answered in JSON, so every parameter was
    missing.
    """
    from moto.core.parse import PROTOCOL_PARSERS
    from moto.core.responses import BaseResponse
    from moto.core.utils import get_service_model

    def speaks_query_over_get(response: Any, method: str, content_type: str | None) -> bool:
        if method != "GET" or content_type:
            return False
        model = get_service_model(response.boto3_service_name)
        return model.protocol != "query" and "query" in model.metadata.get("protocols", ())

    @_patch(BaseResponse, "parse_parameters")
    def parse_parameters(original: Any, self: Any, request: Any) -> None:
        if not speaks_query_over_get(self, request.method, request.content_type):
            return original(self, request)  # type: ignore[no-any-return]
        operation_model = get_service_model(self.boto3_service_name).operation_model(
            self._get_action()
        )
        parser = PROTOCOL_PARSERS["query"](operation_model, map_type=self.PROTOCOL_PARSER_MAP_TYPE)
        self.params = parser.parse(
            {
                "method": request.method,
                "values": request.values,
                "headers": request.headers,
                "body": request.data,
                "url_path": request.path,
                "url_params": self.uri_match,
            }
        )
        return None

    @_patch(BaseResponse, "determine_response_protocol")
    def determine_response_protocol(original: Any, self: Any, service_model: Any) -> str:
        if speaks_query_over_get(self, self.method, self.headers.get("Content-Type")):
            return "query"
        return str(original(self, service_model))


def _sqs_move_tasks(handler: Any, models: Any, errors: Any) -> None:
    """StartMessageMoveTask, ListMessageMoveTasks and CancelMessageMoveTask, which moto lacks (500).

    AWS moves the messages of a dead-letter queue to a destination (by default
    the queue they came from) asynchronously; here the move happens during the
    call, so the task is COMPLETED as soon as it is listed. Messages keep their
    body, attributes and FIFO ids. moto does not remember which queue a dead
    letter came from: without a destination they go to the first queue whose
    redrive policy names the DLQ.
    """
    from moto.core.responses import ActionResult

    def queue_by_arn(backend: Any, arn: str, parameter: str) -> Any:
        for queue in backend.queues.values():
            if queue.queue_arn == arn:
                return queue
        raise errors.SQSException(
            "ResourceNotFoundException",
            f"The resource that you specified for the {parameter} parameter doesn't exist.",
        )

    def sources_of(backend: Any, dlq: Any) -> list[Any]:
        return [
            q
            for q in backend.queues.values()
            if q.redrive_policy and q.redrive_policy.get("deadLetterTargetArn") == dlq.queue_arn
        ]

    def start_message_move_task(self: Any) -> Any:
        backend = self.sqs_backend
        source_arn = self._get_param("SourceArn")
        source = queue_by_arn(backend, source_arn, "SourceArn")
        origins = sources_of(backend, source)
        if not origins:
            raise errors.InvalidParameterValue(
                "Source queue must be configured as a Dead Letter Queue."
            )
        destination_arn = self._get_param("DestinationArn")
        destination = (
            queue_by_arn(backend, destination_arn, "DestinationArn")
            if destination_arn
            else origins[0]
        )
        tasks: list[dict[str, Any]] = backend.__dict__.setdefault("_trellis_move_tasks", [])
        if any(t["SourceArn"] == source_arn and t["Status"] == "RUNNING" for t in tasks):
            raise errors.InvalidParameterValue(
                "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
            )
        handle = base64.b64encode(
            json.dumps({"taskId": str(uuid.uuid4()), "sourceArn": source_arn}).encode()
        ).decode()
        pending = [m for m in source._messages if not m.delayed]
        task: dict[str, Any] = {
            "TaskHandle": handle,
            "SourceArn": source_arn,
            "DestinationArn": destination.queue_arn,
            "Status": "RUNNING",
            "StartedTimestamp": int(time.time() * 1000),
            "ApproximateNumberOfMessagesToMove": len(pending),
            "ApproximateNumberOfMessagesMoved": 0,
        }
        rate = self._get_param("MaxNumberOfMessagesPerSecond")
        if rate is not None:
            task["MaxNumberOfMessagesPerSecond"] = int(rate)
        tasks.append(task)
        for message in pending:
            backend.send_message(
                destination.name,
                message.body,
                message_attributes=message.message_attributes,
                group_id=message.group_id if destination.fifo_queue else None,
                deduplication_id=message.deduplication_id if destination.fifo_queue else None,
                system_attributes=message.system_attributes or None,
            )
            source._messages.remove(message)
            source.pending_messages.discard(message)
            task["ApproximateNumberOfMessagesMoved"] += 1
        task["Status"] = "COMPLETED"
        return ActionResult({"TaskHandle": handle})

    def list_message_move_tasks(self: Any) -> Any:
        backend = self.sqs_backend
        source_arn = self._get_param("SourceArn")
        queue_by_arn(backend, source_arn, "SourceArn")
        limit = int(self._get_param("MaxResults") or 1)
        if not 1 <= limit <= 10:
            raise errors.InvalidParameterValue(
                f"Value {limit} for parameter MaxResults is invalid. Reason: Must be between 1 and 10."
            )
        tasks = [
            t
            for t in backend.__dict__.get("_trellis_move_tasks", [])
            if t["SourceArn"] == source_arn
        ]
        results = []
        for task in sorted(tasks, key=lambda t: t["StartedTimestamp"], reverse=True)[:limit]:
            shown = dict(task)
            if shown["Status"] != "RUNNING":
                shown.pop("TaskHandle")
            results.append(shown)
        return ActionResult({"Results": results})

    def cancel_message_move_task(self: Any) -> Any:
        handle = self._get_param("TaskHandle")
        for task in self.sqs_backend.__dict__.get("_trellis_move_tasks", []):
            if task["TaskHandle"] == handle:
                if task["Status"] != "RUNNING":
                    raise errors.SQSException(
                        "FailedPrecondition", "Only active tasks can be cancelled."
                    )
                task["Status"] = "CANCELLED"
                return ActionResult(
                    {"ApproximateNumberOfMessagesMoved": task["ApproximateNumberOfMessagesMoved"]}
                )
        raise errors.SQSException("ResourceNotFoundException", "Task does not exist.")

    handler.start_message_move_task = start_message_move_task
    handler.list_message_move_tasks = list_message_move_tasks
    handler.cancel_message_move_task = cancel_message_move_task


# --- DynamoDB -------------------------------------------------------------------------------------

_DDB_CHECKED = (
    "put_item",
    "update_item",
    "delete_item",
    "get_item",
    "query",
    "scan",
    "batch_write_item",
    "batch_get_item",
    "transact_write_items",
    "transact_get_items",
    "execute_statement",
)
_EXPRESSIONS = (
    "ConditionExpression",
    "UpdateExpression",
    "KeyConditionExpression",
    "FilterExpression",
    "ProjectionExpression",
)
_PLACEHOLDER = re.compile(r"[:#][A-Za-z0-9_]+")
_AV_MAPS = ("Item", "Key", "ExpressionAttributeValues", "ExclusiveStartKey")


def _dynamodb() -> None:
    responses: Any = importlib.import_module("moto.dynamodb.responses")
    exceptions: Any = importlib.import_module("moto.dynamodb.exceptions")
    models: Any = importlib.import_module("moto.dynamodb.models")
    table_module: Any = importlib.import_module("moto.dynamodb.models.table")
    handler = responses.DynamoHandler
    for operation in _DDB_CHECKED:
        _dynamodb_checked(handler, operation, exceptions)
    _dynamodb_describe(table_module)
    _dynamodb_time_to_live(models.DynamoDBBackend, exceptions)
    _dynamodb_partiql(handler, exceptions)
    _dynamodb_transaction_tokens(handler, exceptions)


#: How long DynamoDB remembers a TransactWriteItems ClientRequestToken.
_TOKEN_WINDOW_S = 600.0
#: Tokens the emulator remembers at most (a digest and moto's small result each).
_TOKENS_KEPT = 50_000


def _dynamodb_transaction_tokens(handler: Any, exceptions: Any) -> None:
    """A TransactWriteItems repeated with its ClientRequestToken succeeds once, as on DynamoDB.

    The SDK fills the token in (it is an idempotency token in the API model) and
    sends the same one when it retries a call whose answer was lost; DynamoDB
    then answers success without applying the transaction again, and refuses
    the token on a different request (IdempotentParameterMismatchException) for
    ten minutes. moto ignored the token, so a retried transaction ran twice, or
    failed its own conditions where AWS would have succeeded. DynamoDB requests
    are handled one at a time (``trellis.local.emulator``), so the memo needs no
    lock of its own.
    """
    remembered: dict[tuple[str, str, str], tuple[float, bytes, Any]] = {}

    @_patch(handler, "transact_write_items")
    def transact_write_items(original: Any, self: Any) -> Any:
        body = self.body if isinstance(self.body, dict) else {}
        token = body.get("ClientRequestToken")
        if not isinstance(token, str) or not token:
            return original(self)
        now = time.monotonic()
        key = (self.current_account, self.region, token)
        request = hashlib.sha256(
            json.dumps(
                {k: v for k, v in body.items() if k != "ClientRequestToken"}, sort_keys=True
            ).encode()
        ).digest()
        seen = remembered.get(key)
        if seen is not None and now - seen[0] < _TOKEN_WINDOW_S:
            if seen[1] != request:
                raise exceptions.DynamodbException(
                    exceptions.ERROR_TYPE_PREFIX + "IdempotentParameterMismatchException",
                    message="The request uses the same client token as a previous, "
                    "but non-identical request.",
                )
            return seen[2]
        result = original(self)  # a cancelled transaction raises: its token stays unused
        if len(remembered) >= _TOKENS_KEPT:
            for old in [k for k, v in remembered.items() if now - v[0] >= _TOKEN_WINDOW_S]:
                del remembered[old]
            while len(remembered) >= _TOKENS_KEPT:  # a busy emulator: the oldest go first
                del remembered[next(iter(remembered))]
        remembered[key] = (now, request, result)
        return result


def _dynamodb_checked(handler: Any, operation: str, exceptions: Any) -> None:
    """Validate a request as DynamoDB does before moto runs it, and answer only what was asked.

    moto returns ConsumedCapacity and ItemCollectionMetrics on UpdateItem,
    BatchWriteItem, BatchGetItem and TransactWriteItems although the request
    did not ask for them (DynamoDB sends them only with ReturnConsumedCapacity
    / ReturnItemCollectionMetrics). It accepts sets with duplicate members,
    numbers beyond 38 digits, ExpressionAttributeValues that no expression
    uses, key attributes of the wrong type in a Key, more than 25 requests in
    a BatchWriteItem and the same key twice in one (as a put and a delete).
    """

    @_patch(handler, operation)
    def checked(original: Any, self: Any) -> Any:
        body = self.body if isinstance(self.body, dict) else {}
        _check_dynamodb_request(self, operation, body, exceptions)
        result = original(self)
        payload = getattr(result, "result", None)
        if isinstance(payload, dict):
            if str(body.get("ReturnConsumedCapacity") or "NONE") == "NONE":
                payload.pop("ConsumedCapacity", None)
            if str(body.get("ReturnItemCollectionMetrics") or "NONE") == "NONE":
                payload.pop("ItemCollectionMetrics", None)
        return result


def _check_dynamodb_request(
    response: Any, operation: str, body: dict[str, Any], exceptions: Any
) -> None:
    invalid = exceptions.MockValidationException
    _check_values(body, invalid)
    if operation == "transact_write_items" or operation == "transact_get_items":
        for entry in body.get("TransactItems") or []:
            for spec in entry.values() if isinstance(entry, dict) else ():
                if isinstance(spec, dict):
                    _check_placeholders(spec, invalid)
                    _check_key_types(response, spec.get("TableName"), spec.get("Key"), invalid)
        return
    if operation == "batch_write_item":
        _check_batch_write(response, body, invalid)
        return
    if operation in ("get_item", "delete_item", "update_item"):
        _check_key_types(response, body.get("TableName"), body.get("Key"), invalid)
    if operation not in ("batch_get_item", "execute_statement"):
        _check_placeholders(body, invalid)


def _check_values(node: Any, invalid: Any) -> None:
    """Walk a request for AttributeValues (items, keys, expression values, parameters) and check each."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name in _AV_MAPS and isinstance(value, dict):
                for attribute in value.values():
                    _check_value(attribute, invalid)
            elif name == "Keys" and isinstance(value, list):
                for key in value:
                    for attribute in key.values() if isinstance(key, dict) else ():
                        _check_value(attribute, invalid)
            elif name == "Parameters" and isinstance(value, list):
                for attribute in value:
                    _check_value(attribute, invalid)
            elif isinstance(value, dict | list):
                _check_values(value, invalid)
    elif isinstance(node, list):
        for value in node:
            _check_values(value, invalid)


def _number(text: Any, invalid: Any) -> Decimal:
    try:
        number = Decimal(str(text))
    except InvalidOperation:
        raise invalid(f"The parameter cannot be converted to a numeric value: {text}") from None
    if not number.is_finite():
        raise invalid(f"The parameter cannot be converted to a numeric value: {text}")
    if number != 0:
        # Not normalize(): it rounds to the context's 28 digits.
        digits = "".join(map(str, number.as_tuple().digits)).strip("0")
        if len(digits) > 38:
            raise invalid("Attempting to store more than 38 significant digits in a Number")
        exponent = number.adjusted()
        if exponent > 125 or exponent < -130:
            raise invalid(
                "Number overflow. Attempting to store a number with magnitude larger than supported range"
            )
    return number


def _check_value(value: Any, invalid: Any) -> None:
    if not isinstance(value, dict) or len(value) != 1:
        return
    kind, content = next(iter(value.items()))
    if kind == "N":
        _number(content, invalid)
    elif kind in ("SS", "NS", "BS") and isinstance(content, list):
        members: list[Any] = (
            [_number(m, invalid) for m in content] if kind == "NS" else list(content)
        )
        if len(set(members)) != len(members):
            shown = ", ".join(str(m) for m in content)
            raise invalid(
                f"One or more parameter values were invalid: Input collection [{shown}] contains duplicates."
            )
    elif kind == "M" and isinstance(content, dict):
        for member in content.values():
            _check_value(member, invalid)
    elif kind == "L" and isinstance(content, list):
        for member in content:
            _check_value(member, invalid)


def _check_placeholders(spec: dict[str, Any], invalid: Any) -> None:
    """Every ExpressionAttributeValues/Names token supplied must be used by an expression."""
    values = spec.get("ExpressionAttributeValues") or {}
    names = spec.get("ExpressionAttributeNames") or {}
    if not values and not names:
        return
    used = set()
    expressions = [spec.get(e) for e in _EXPRESSIONS if spec.get(e)]
    for expression in expressions:
        used.update(_PLACEHOLDER.findall(str(expression)))
    if values and not expressions:
        raise invalid("ExpressionAttributeValues can only be specified when using expressions")
    unused_values = sorted(set(values) - used)
    if unused_values:
        raise invalid(
            f"Value provided in ExpressionAttributeValues unused in expressions: keys: {{{', '.join(unused_values)}}}"
        )
    unused_names = sorted(set(names) - used)
    if unused_names and expressions:
        raise invalid(
            f"Value provided in ExpressionAttributeNames unused in expressions: keys: {{{', '.join(unused_names)}}}"
        )


def _check_key_types(response: Any, table_name: Any, key: Any, invalid: Any) -> None:
    if not isinstance(key, dict) or not isinstance(table_name, str):
        return
    table = response.dynamodb_backend.tables.get(table_name)
    if table is None:
        return
    expected = {table.hash_key_attr: table.hash_key_type}
    if table.range_key_attr:
        expected[table.range_key_attr] = table.range_key_type
    for name, value in key.items():
        if (
            name in expected
            and isinstance(value, dict)
            and next(iter(value), None) != expected[name]
        ):
            raise invalid("The provided key element does not match the schema")


def _check_batch_write(response: Any, body: dict[str, Any], invalid: Any) -> None:
    requests = body.get("RequestItems") or {}
    count = sum(len(r) for r in requests.values() if isinstance(r, list))
    if count > 25:
        raise invalid(
            "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value "
            "must satisfy constraint: [Member must have length less than or equal to 25, Member must have "
            "length greater than or equal to 1]"
        )
    for table_name, table_requests in requests.items():
        table = response.dynamodb_backend.tables.get(table_name)
        if table is None or not isinstance(table_requests, list):
            continue
        seen = set()
        for request in table_requests:
            spec = (
                request.get("PutRequest", {}).get("Item")
                or request.get("DeleteRequest", {}).get("Key")
                or {}
            )
            key = tuple(json.dumps(spec.get(k), sort_keys=True) for k in table.table_key_attrs)
            if key in seen:
                raise invalid("Provided list of item keys contains duplicates")
            seen.add(key)


def _dynamodb_describe(table_module: Any) -> None:
    """DescribeTable / CreateTable's description as DynamoDB gives it.

    moto adds empty ``LocalSecondaryIndexes`` and ``GlobalSecondaryIndexes``
    lists to a table that has none, a ``BillingModeSummary`` to a provisioned
    table (DynamoDB shows one only for on-demand, or after a change of mode),
    and omits ``TableId`` and each index's ``IndexArn``, ``IndexSizeBytes``
    and ``ItemCount``.
    """
    table_cls = table_module.Table

    @_patch(table_cls, "describe")
    def describe(original: Any, self: Any, base_key: str = "TableDescription") -> Any:
        results = original(self, base_key=base_key)
        description = results.get(base_key)
        if not isinstance(description, dict):
            return results
        description["TableId"] = self.__dict__.setdefault("_trellis_table_id", str(uuid.uuid4()))
        if self.billing_mode == "PAY_PER_REQUEST":
            description["BillingModeSummary"] = {
                "BillingMode": "PAY_PER_REQUEST",
                "LastUpdateToPayPerRequestDateTime": self.created_at,
            }
        else:
            description.pop("BillingModeSummary", None)
        for key, indexes in (
            ("LocalSecondaryIndexes", self.indexes),
            ("GlobalSecondaryIndexes", self.global_indexes),
        ):
            shown = description.get(key)
            if not shown:
                description.pop(key, None)
                continue
            by_name = {index.name: index for index in indexes}
            for entry in shown:
                index = by_name.get(entry.get("IndexName"))
                entry["IndexArn"] = f"{self.table_arn}/index/{entry.get('IndexName')}"
                entry.setdefault("IndexSizeBytes", 0)
                if index is not None:
                    attributes = [k["AttributeName"] for k in index.schema]
                    entry.setdefault(
                        "ItemCount",
                        sum(
                            1
                            for item in self.all_items()
                            if all(a in item.attrs for a in attributes)
                        ),
                    )
        return results


def _dynamodb_time_to_live(backend_cls: Any, exceptions: Any) -> None:
    """UpdateTimeToLive refuses a change to the state TTL is already in, as DynamoDB does.

    moto accepted it, and answered a missing table with a ``ResourceNotFound``
    code no SDK knows.
    """

    @_patch(backend_cls, "update_time_to_live")
    def update_time_to_live(
        original: Any, self: Any, table_name: str, ttl_spec: dict[str, Any]
    ) -> Any:
        table = self.tables.get(table_name)
        if table is None:
            raise exceptions.ResourceNotFoundException(table_name=table_name)
        status = table.ttl.get("TimeToLiveStatus")
        enable = bool(ttl_spec.get("Enabled"))
        if enable and status == "ENABLED":
            raise exceptions.MockValidationException("TimeToLive is already enabled")
        if not enable and status in (None, "DISABLED"):
            raise exceptions.MockValidationException("TimeToLive is already disabled")
        return original(self, table_name, ttl_spec)

    @_patch(backend_cls, "describe_time_to_live")
    def describe_time_to_live(original: Any, self: Any, table_name: str) -> Any:
        if table_name not in self.tables:
            raise exceptions.ResourceNotFoundException(table_name=table_name)
        return original(self, table_name)


def _dynamodb_partiql(handler: Any, exceptions: Any) -> None:
    """ExecuteStatement on one table through :mod:`trellis.local._partiql`.

    moto's PartiQL parser raised (an HTTP 500) on a number in ``SET``, on
    ``?`` in ``DELETE`` and on ``pk=?``, and its INSERT overwrote an existing
    item (DynamoDB: ``DuplicateItemException``). A statement our parser does
    not know goes to moto's; if moto fails too the caller gets DynamoDB's
    answer to a statement it cannot parse.
    """
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.responses import DynamoResult
    from werkzeug.exceptions import HTTPException

    from trellis.local import _partiql

    invalid = exceptions.MockValidationException
    prefix = exceptions.ERROR_TYPE_PREFIX

    @_patch(handler, "execute_statement")
    def execute_statement(original: Any, self: Any) -> Any:
        body = self.body if isinstance(self.body, dict) else {}
        statement = str(body.get("Statement") or "")
        try:
            tree = _partiql.parse(statement, list(body.get("Parameters") or []))
        except _partiql.StatementError as exc:
            raise invalid(str(exc)) from None
        except _partiql.Unsupported as unsupported:
            try:
                return original(self)
            except HTTPException:
                raise
            except Exception:  # noqa: BLE001 - moto's parser fails on what it does not know
                raise invalid(
                    f"Statement wasn't well formed, can't be processed: {unsupported}"
                ) from None
        backend = self.dynamodb_backend
        table = backend.tables.get(tree.table)
        if table is None:
            raise exceptions.ResourceNotFoundException(table_name=tree.table)
        try:
            return DynamoResult({"Items": _run(backend, table, tree)})
        except _partiql.StatementError as exc:
            raise invalid(str(exc)) from None

    def key_of(table: Any, where: Any) -> dict[str, Any]:
        equalities = dict(_partiql.key_equalities(where))
        missing = [k for k in table.table_key_attrs if k not in equalities]
        if missing:
            raise _partiql.StatementError(
                "Where clause does not contain a mandatory equality on all key attributes"
            )
        return {k: equalities[k] for k in table.table_key_attrs}

    def current(table: Any, key: dict[str, Any]) -> Any:
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        return table.get_item(hash_value, range_value)

    def _run(backend: Any, table: Any, tree: Any) -> list[dict[str, Any]]:
        if isinstance(tree, _partiql.Select):
            items = table.all_items()
            if tree.index is not None:
                index = next((i for i in table.all_indexes() if i.name == tree.index), None)
                if index is None:
                    raise _partiql.StatementError(
                        f"The table does not have the specified index: {tree.index}"
                    )
                names = [k["AttributeName"] for k in index.schema]
                items = [i for i in items if all(n in i.attrs for n in names)]
            found = []
            for item in items:
                attributes = item.to_json()["Attributes"]
                if _partiql.matches(tree.where, attributes):
                    found.append(_partiql.project(attributes, tree.projection))
            return found
        if isinstance(tree, _partiql.Insert):
            value = tree.value
            if "M" not in value:
                raise _partiql.StatementError(
                    "Unexpected value type in INSERT: a tuple {...} is expected"
                )
            attributes = value["M"]
            missing = [k for k in table.table_key_attrs if k not in attributes]
            if missing:
                raise _partiql.StatementError(
                    f"One or more parameter values were invalid: Missing the key {missing[0]} in the item"
                )
            if current(table, attributes) is not None:
                raise exceptions.DynamodbException(
                    prefix + "DuplicateItemException", "Duplicate primary key exists in table"
                )
            backend.put_item(table.name, attributes, overwrite=True)
            return []
        key = key_of(table, tree.where)
        existing = current(table, key)
        attributes = existing.to_json()["Attributes"] if existing is not None else None
        if attributes is None or not _partiql.matches(tree.where, attributes):
            if isinstance(tree, _partiql.Delete) and attributes is None:
                return []
            raise exceptions.ConditionalCheckFailed()
        if isinstance(tree, _partiql.Delete):
            backend.delete_item(table.name, key)
            return []
        updated = _partiql.apply_update(tree, attributes)
        for name in table.table_key_attrs:
            if updated.get(name) != attributes.get(name):
                raise _partiql.StatementError(
                    f"Cannot update attribute {name}. This attribute is part of the key"
                )
        backend.put_item(table.name, updated, overwrite=True)
        return []


# --- S3 -------------------------------------------------------------------------------------------

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_RESERVED_BUCKET_AFFIXES = (
    ("xn--", "sthree-", "amzn-s3-demo-"),
    ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"),
)


def _s3() -> None:
    models: Any = importlib.import_module("moto.s3.models")
    responses: Any = importlib.import_module("moto.s3.responses")
    errors: Any = importlib.import_module("moto.s3.exceptions")
    backend = models.S3Backend

    @_patch(backend, "create_bucket")
    def create_bucket(original: Any, self: Any, bucket_name: str, *args: Any, **kwargs: Any) -> Any:
        """S3's naming rules; moto checked the length only (upper case, underscores, IPs passed)."""
        if (
            not _BUCKET_NAME.match(bucket_name)
            or ".." in bucket_name
            or _IP_ADDRESS.match(bucket_name)
            or bucket_name.startswith(_RESERVED_BUCKET_AFFIXES[0])
            or bucket_name.endswith(_RESERVED_BUCKET_AFFIXES[1])
        ):
            raise errors.InvalidBucketName()
        return original(self, bucket_name, *args, **kwargs)

    def check_key(key_name: str) -> None:
        if len(key_name.encode()) > 1024:
            raise errors.S3ClientError("KeyTooLongError", "Your key is too long")

    @_patch(backend, "put_object")
    def put_object(
        original: Any, self: Any, bucket_name: str, key_name: str, *args: Any, **kwargs: Any
    ) -> Any:
        """Keys are at most 1,024 bytes of UTF-8 (KeyTooLongError); moto stored any length."""
        check_key(key_name)
        return original(self, bucket_name, key_name, *args, **kwargs)

    @_patch(backend, "create_multipart_upload")
    def create_multipart_upload(
        original: Any, self: Any, bucket_name: str, key_name: str, *args: Any, **kwargs: Any
    ) -> Any:
        check_key(key_name)
        return original(self, bucket_name, key_name, *args, **kwargs)

    def upload_of(self: Any, bucket_name: str, multipart_id: str) -> Any:
        upload = self.get_bucket(bucket_name).multiparts.get(multipart_id)
        if upload is None:
            raise errors.NoSuchUpload(upload_id=multipart_id)
        return upload

    @_patch(backend, "upload_part")
    def upload_part(
        original: Any, self: Any, bucket_name: str, multipart_id: str, *args: Any, **kwargs: Any
    ) -> Any:
        """An unknown, aborted or completed upload is NoSuchUpload (404); moto raised a KeyError (500)."""
        upload_of(self, bucket_name, multipart_id)
        return original(self, bucket_name, multipart_id, *args, **kwargs)

    @_patch(backend, "upload_part_copy")
    def upload_part_copy(
        original: Any,
        self: Any,
        dest_bucket_name: str,
        multipart_id: str,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        upload_of(self, dest_bucket_name, multipart_id)
        return original(self, dest_bucket_name, multipart_id, *args, **kwargs)

    @_patch(backend, "complete_multipart_upload")
    def complete_multipart_upload(
        original: Any, self: Any, bucket_name: str, multipart_id: str, body: Any
    ) -> Any:
        """NoSuchUpload as above; parts out of order are InvalidPartOrder, checked before their sizes."""
        upload_of(self, bucket_name, multipart_id)
        parts = list(body)
        numbers = [int(number) for number, _ in parts]
        if any(later <= earlier for earlier, later in itertools.pairwise(numbers)):
            raise errors.InvalidPartOrder()
        return original(self, bucket_name, multipart_id, iter(parts))

    @_patch(backend, "delete_objects")
    def delete_objects(
        original: Any, self: Any, bucket_name: str, objects: list[Any], *args: Any, **kwargs: Any
    ) -> Any:
        """DeleteObjects takes up to 1,000 keys (MalformedXML beyond); moto took any number."""
        if len(objects) > 1000:
            raise errors.MalformedXML()
        return original(self, bucket_name, objects, *args, **kwargs)

    handler = responses.S3Response
    for name in ("_key_response", "_bucket_response"):
        _s3_never_a_crash(handler, name, errors)


def _s3_never_a_crash(handler: Any, name: str, errors: Any) -> None:
    """S3's handlers bypass the request net above: a crash there becomes an S3 error document."""
    from werkzeug.exceptions import HTTPException

    @_patch(handler, name)
    def guarded(original: Any, self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        except (errors.S3ClientError, HTTPException):
            raise
        except Exception as exc:
            log.warning("emulator.request_failed", exc_info=exc)
            raise errors.S3ClientError(
                "InvalidRequest",
                f"The local emulator could not process this request ({type(exc).__name__}: {exc}). "
                "AWS may accept it; this is a limit of the emulator.",
            ) from None


# --- SNS ------------------------------------------------------------------------------------------

_SNS_MAX_BYTES = 262_144


def _sns() -> None:
    responses: Any = importlib.import_module("moto.sns.responses")
    errors: Any = importlib.import_module("moto.sns.exceptions")
    handler = responses.SNSResponse
    sequence = itertools.count(int(time.time() * 1000) * 10**6)

    def invalid(message: str) -> Exception:
        error: Exception = errors.SNSInvalidParameter(f"Invalid parameter: {message}")
        return error

    def check_subject(subject: Any) -> None:
        if subject is None:
            return
        text = str(subject)
        if not text or len(text) >= 100 or not text.isascii() or any(ord(c) < 32 for c in text):
            raise invalid("Subject")

    @_patch(handler, "publish")
    def publish(original: Any, self: Any) -> Any:
        """SNS refuses an empty message, a subject of 100 characters or more or with control
        characters, and a FIFO topic's message without a group (InvalidParameter); moto
        accepted the first two and answered the last with MissingParameter."""
        if self._get_param("PhoneNumber") is None and not self._get_param("Message"):
            raise invalid("Empty message")
        check_subject(self._get_param("Subject"))
        arn = str(self._get_param("TopicArn") or self._get_param("TargetArn") or "")
        fifo = arn.endswith(".fifo")
        if fifo and not self._get_param("MessageGroupId"):
            raise invalid("The MessageGroupId parameter is required for FIFO topics")
        result = original(self)
        payload = getattr(result, "result", None)
        if fifo and isinstance(payload, dict):
            # A FIFO topic's Publish answers the message's sequence number; moto left it out.
            payload.setdefault("SequenceNumber", f"{next(sequence):020d}")
        return result

    @_patch(handler, "publish_batch")
    def publish_batch(original: Any, self: Any) -> Any:
        """PublishBatch's checks on the batch as a whole; moto lacked the empty batch, the entry
        ids and the total size (256 KiB for all messages together)."""
        entries = list(self._get_param("PublishBatchRequestEntries", []) or [])
        if not entries:
            raise errors.SNSException(
                "EmptyBatchRequest", "The batch request doesn't contain any entries."
            )
        if len(entries) > 10:
            raise errors.TooManyEntriesInBatchRequest(
                "The batch request contains more entries than permissible."
            )
        seen: set[str] = set()
        total = 0
        for entry in entries:
            entry_id = str(entry.get("Id", ""))
            if not _BATCH_ID.match(entry_id):
                raise errors.SNSException(
                    "InvalidBatchEntryId",
                    "The Id of a batch entry in a batch request doesn't abide by the specification.",
                )
            if entry_id in seen:
                raise errors.BatchEntryIdsNotDistinct(
                    "Two or more batch entries in the request have the same Id."
                )
            seen.add(entry_id)
            total += _message_size(str(entry.get("Message") or ""), entry.get("MessageAttributes"))
        if total > _SNS_MAX_BYTES:
            raise errors.SNSException(
                "BatchRequestTooLong",
                "The length of all the messages put together is more than the limit.",
            )
        result = original(self)
        payload = getattr(result, "result", None)
        if str(self._get_param("TopicArn") or "").endswith(".fifo") and isinstance(payload, dict):
            for done in payload.get("Successful") or []:
                done.setdefault("SequenceNumber", f"{next(sequence):020d}")
        return result


# --- EventBridge ----------------------------------------------------------------------------------


def _events() -> None:
    """An event delivered to a target carries ``account``, which moto's default template left out."""
    utils: Any = importlib.import_module("moto.events.utils")
    parser = utils.EventTemplateParser
    parser.DEFAULT_EVENT_INPUT_TEMPLATE = (
        '{"version": "0", "id": "<id>", "detail-type": "<detail-type>", "source": "<source>", '
        '"account": "<account>", "time": <time>, "region": "<region>", "resources": <resources>, '
        '"detail": <detail>}'
    )


# --- Secrets Manager ------------------------------------------------------------------------------


def _secretsmanager() -> None:
    """Secrets Manager answers every error with HTTP 400; moto answered its not-found errors with 404."""
    errors: Any = importlib.import_module("moto.secretsmanager.exceptions")
    base = errors.SecretsManagerClientError
    for cls in list(vars(errors).values()):
        if isinstance(cls, type) and issubclass(cls, base) and cls is not base:
            _status_400(cls)


def _status_400(cls: Any) -> None:
    original = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.code = 400

    cls.__init__ = __init__


# --- SSM Parameter Store --------------------------------------------------------------------------

_PARAMETER_NAME = re.compile(r"^[A-Za-z0-9_.\-/]+$")
_TIER_LIMITS = {"Standard": 4096, "Advanced": 8192, "Intelligent-Tiering": 8192}


def _ssm() -> None:
    models: Any = importlib.import_module("moto.ssm.models")
    errors: Any = importlib.import_module("moto.ssm.exceptions")

    @_patch(models.SimpleSystemManagerBackend, "put_parameter")
    def put_parameter(
        original: Any, self: Any, name: str, description: str, value: str, *args: Any, **kwargs: Any
    ) -> Any:
        """Parameter Store's limits on names and values; moto stored a name with spaces or of any
        length, and a standard parameter's value beyond 4 KB."""
        if not _PARAMETER_NAME.match(name or ""):
            raise errors.ValidationException(
                "Parameter name: can consist of the letters a-z and A-Z, the numbers 0-9, and the "
                "symbols . - _ and / only."
            )
        arn = f"arn:aws:ssm:{self.region_name}:{self.account_id}:parameter{'' if name.startswith('/') else '/'}{name}"
        if len(arn) > 1011:
            raise errors.ValidationException(
                "Parameter name: the full length of the parameter ARN can't exceed 1011 characters."
            )
        tier = kwargs.get("tier") if "tier" in kwargs else (args[6] if len(args) > 6 else None)
        limit = _TIER_LIMITS.get(str(tier or "Standard"), 4096)
        if value is not None and len(value) > limit:
            if limit == 4096:
                raise errors.ValidationException(
                    "Standard tier parameters support a maximum parameter value of 4096 characters. To create "
                    "a larger parameter value, upgrade the parameter to use the advanced-parameter tier."
                )
            raise errors.ValidationException(f"Parameter value can't exceed {limit} characters.")
        return original(self, name, description, value, *args, **kwargs)


# --- The engine's own API -----------------------------------------------------------------------


def _moto_api() -> None:
    """``/moto-api/data.json`` (every model's state, for the administrator) survives any state.

    moto skips attributes that do not serialise, but reads each attribute a second time
    outside its ``try`` and lets anything but ``TypeError``/``AttributeError``/``ValueError``
    escape: after a multipart upload whose completion was refused (a part under 5 MiB,
    parts out of order), a property of the upload raises, and the whole dump is a 500.
    Here an attribute that cannot be read or serialised is left out, whatever it raises.
    """
    from moto.core.model_instances import model_data
    from moto.moto_api._internal import urls
    from moto.moto_api._internal.responses import MotoAPIResponse

    def data(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        results: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for service in sorted(model_data):
            models = model_data[service]
            results[service] = {}
            for name in sorted(models):
                instances = []
                for instance in list(models[name].instances_tracked):  # type: ignore[attr-defined]
                    fields: dict[str, Any] = {}
                    for attr in dir(instance):
                        if attr.startswith("_"):
                            continue
                        try:
                            value = getattr(instance, attr)
                            json.dumps(value)
                        except Exception:  # noqa: BLE001, S112 - any unreadable attribute is left out
                            continue
                        fields[attr] = value
                    instances.append(fields)
                results[service][name] = instances
        return 200, {"Content-Type": "application/javascript"}, json.dumps(results)

    MotoAPIResponse.model_data = data  # type: ignore[method-assign]
    # The URL map holds a method bound when moto imported it: bind it again.
    urls.url_paths["{0}/moto-api/data.json"] = urls.response_instance.model_data
