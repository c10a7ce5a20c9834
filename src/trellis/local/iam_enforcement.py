"""IAM enforcement inside the emulator: every request is authorised as AWS would.

moto can check a request's signature and its caller's policies, but it asks
for the wrong actions (``sqs:SendMessageBatch``, ``dynamodb:TransactWriteItems``,
``s3:HeadBucket``) and matches DynamoDB, SNS, SSM and Secrets Manager requests
against ``*`` instead of the resource. This module replaces moto's check with
one that:

- derives the actions from :mod:`trellis.iam_operations` (the one map the
  tests validate against the IAM database);
- scopes each action to its resource: queue, bucket or object (as moto
  resolves them), DynamoDB table or ``table/<t>/index/<i>`` (per table for
  batch calls, per item for transactions), topic, parameter, secret ARN;
- authorises presigned S3 requests as the key that signed them (moto would
  fail on the missing ``Authorization`` header), and denies anonymous ones;
- answers a denial with the error AWS sends (``AccessDeniedException`` for
  JSON APIs, ``AccessDenied`` otherwise) and a message naming the action and
  the resource;
- optionally appends each decision (user, action, resource, allowed) to a
  JSON-lines file, which ``trellis iam verify`` reads.

It runs in the emulator process only (imported by ``trellis.local.emulator``).
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import parse_qs, urlparse

from werkzeug.exceptions import HTTPException

from trellis.iam_operations import TRANSACT_ITEM_ACTIONS, actions_for_operation

#: The administrative user of the emulator; its key is the well-known local one.
ADMIN_USER = "trellis-admin"

_JSON_SERVICES = frozenset({"dynamodb", "sqs", "secretsmanager", "ssm", "logs", "events", "kms"})


class _Log:
    """Appends authorisation decisions to a JSON-lines file (or nowhere)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.lock = threading.Lock()
        self._file: Any = None

    def write(self, user: str, action: str, resource: str, allowed: bool) -> None:
        if self.path is None or user == ADMIN_USER:
            return
        line = json.dumps(
            {"user": user, "action": action, "resource": resource, "allowed": allowed}
        )
        with self.lock:
            if self._file is None:
                # Opened once, on the first decision; line-buffered so `trellis iam
                # verify` reads every decision as soon as the request is answered.
                self._file = open(self.path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - lives as long as the emulator
            self._file.write(line + "\n")


def install(*, account_id: str, access_key: str, secret_key: str, log_path: str | None) -> None:
    """Create the admin identity and replace moto's authorisation with ours."""
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.models import iam_backends

    backend = iam_backends[account_id]["aws"]
    backend.create_user("us-east-1", ADMIN_USER)
    backend.put_user_policy(
        ADMIN_USER,
        "administrator",
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    # The admin keeps the well-known local key, so every client the tools and
    # tests already build for the emulator is the administrator.
    key = backend.create_access_key(ADMIN_USER)
    del backend.access_keys[key.physical_resource_id]
    key.access_key_id = access_key
    key.secret_access_key = secret_key
    backend.access_keys[access_key] = key

    log = _Log(log_path)

    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        _authorize(self, iam_request_cls, resource, log)

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize  # type: ignore[method-assign]
    _match_like_iam()


def _match_like_iam() -> None:
    """Match ``Action``/``Resource`` patterns as IAM does: ``*`` any run, ``?`` one character.

    moto turns only ``*`` into a regex and leaves the rest unescaped, so a
    secret's ARN pattern ``...:secret:acme-dev-key-??????`` (Secrets Manager
    appends six random characters) was an invalid regex and every call on a
    secret failed with a 500; ``.`` in names matched any character.
    """
    import re

    from moto.iam.access_control import IAMPolicyStatement

    cache: dict[str, re.Pattern[str]] = {}

    def match(pattern: str, string: str) -> re.Match[str] | None:
        compiled = cache.get(pattern)
        if compiled is None:
            body = "".join(
                ".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern
            )
            compiled = cache[pattern] = re.compile(f"^{body}$", re.DOTALL)
        return compiled.match(string)

    IAMPolicyStatement._match = staticmethod(match)  # type: ignore[method-assign]


def _authorize(response: Any, iam_request_cls: type, resource: str, log: _Log) -> None:
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.access_control import IAMPolicy, PermissionResult

    headers = response.headers
    if headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
        return
    operation = response._get_action()
    if isinstance(operation, list):
        operation = operation[0]
    presigned_key = None
    if "Authorization" not in headers:
        presigned_key = _presigned_access_key(response)
        if presigned_key is None:
            _deny(response, "anonymous", f"{_prefix(response, None)}:{operation}", resource)
    if presigned_key is not None:
        # moto does not verify presigned signatures (nor expiry); authorise the signer.
        from moto.iam.access_control import IAMUserAccessKey

        try:
            access_key = IAMUserAccessKey(
                account_id=response.current_account,
                partition="aws",
                access_key_id=presigned_key,
                headers={},
            )
        except Exception:  # noqa: BLE001 - moto raises its own failure type for unknown keys
            _deny(response, "unknown key", f"s3:{operation}", resource)
        user_arn = access_key.arn
        prefix = "s3"
    else:
        parsed = urlparse(response.uri)
        path = response.raw_path + (f"?{parsed.query}" if parsed.query else "")
        try:
            request = iam_request_cls(
                account_id=response.current_account,
                method=response.method,
                path=path,
                data=response.data,
                body=response.raw_body,
                headers=headers,
                action=operation,
            )
            request.check_signature()
        except HTTPException as exc:
            # moto renders these as XML; a JSON API's client could not read the code.
            if _speaks_json(headers) and hasattr(exc, "error_type"):
                raise _json_error(exc.error_type, getattr(exc, "message", ""), exc.code) from None
            raise
        except (KeyError, IndexError, ValueError):
            # moto's parser fails on a malformed Authorization header (no X-Amz-Date,
            # no Credential=...); AWS answers 403 IncompleteSignature, not a 500.
            message = "The request signature does not conform to AWS standards."
            if _speaks_json(headers):
                raise _json_error("IncompleteSignatureException", message, 403) from None
            from moto.core.exceptions import _RESTError  # the base of moto's XML errors

            error = _RESTError("IncompleteSignature", message)
            error.code = 403
            raise error from None
        access_key = request._access_key
        user_arn = access_key.arn
        prefix = request._service
    user = user_arn.rsplit("/", 1)[-1]
    policies = [IAMPolicy(p) for p in access_key.collect_policies()]
    for action, arn in required(response, prefix, operation, resource):
        allowed = False
        for policy in policies:
            result = policy.is_action_permitted(action, arn)
            if result == PermissionResult.DENIED:
                allowed = False
                break
            if result == PermissionResult.PERMITTED:
                allowed = True
        log.write(user, action, arn, allowed)
        if not allowed:
            _deny(response, user_arn, action, arn, prefix=prefix)


def required(response: Any, prefix: str, operation: str, resource: str) -> list[tuple[str, str]]:
    """The (action, resource ARN) pairs one request needs."""
    if prefix == "dynamodb":
        return _dynamodb(response, operation)
    if prefix == "s3" and operation in {"HeadBucket", "ListBucket"}:
        return [("s3:ListBucket", resource)]
    if prefix == "s3" and operation == "PutObject" and "/" not in resource.split(":::", 1)[-1]:
        # A presigned POST reaches the bucket URL; the object key is a form field.
        key = (response.querystring.get("key") or [None])[0]
        if key:
            resource = f"{resource}/{key}"
    if prefix == "s3":
        # moto already names S3 requests by their IAM action (GetObject for HEAD, PutObject
        # for multipart parts); the map covers the operation names that differ.
        return [(a, resource) for a in actions_for_operation(prefix, operation)]
    if prefix == "ssm" and operation == "GetParameters":
        names = _json_body(response).get("Names") or []
        return [("ssm:GetParameters", _parameter_arn(response, str(n))) for n in names]
    if resource == "*":
        resource = _resource_from_params(response, prefix)
    return [(a, resource) for a in actions_for_operation(prefix, operation)]


def _parameter_arn(response: Any, name: str) -> str:
    path = name if name.startswith("/") else f"/{name}"
    return f"arn:aws:ssm:{response.region}:{response.current_account}:parameter{path}"


def _dynamodb(response: Any, operation: str) -> list[tuple[str, str]]:
    body = _json_body(response)
    region = response.region
    account = response.current_account

    def table_arn(name: str, index: str | None = None) -> str:
        arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        return f"{arn}/index/{index}" if index else arn

    if operation in {"TransactWriteItems", "TransactGetItems"}:
        checks = []
        for item in body.get("TransactItems", []):
            for kind, spec in item.items():
                checks.append((TRANSACT_ITEM_ACTIONS[kind], table_arn(spec.get("TableName", "*"))))
        return list(dict.fromkeys(checks))
    if operation in {"BatchWriteItem", "BatchGetItem"}:
        return [(f"dynamodb:{operation}", table_arn(t)) for t in body.get("RequestItems", {})]
    table = body.get("TableName")
    if table is None:
        return [(f"dynamodb:{operation}", "*")]
    if table.startswith("arn:"):
        return [(f"dynamodb:{operation}", table)]
    return [(f"dynamodb:{operation}", table_arn(table, body.get("IndexName")))]


def _resource_from_params(response: Any, prefix: str) -> str:
    def param(name: str) -> str | None:
        value = response.querystring.get(name)
        if value:
            return str(value[0])
        found = _json_body(response).get(name)
        return str(found) if isinstance(found, str) else None

    if prefix == "sns":
        return param("TopicArn") or "*"
    if prefix == "sqs":
        # moto resolves only existing queues; IAM checks the ARN the URL names
        # (a deleted queue is then QueueDoesNotExist, as on AWS, not AccessDenied).
        url = param("QueueUrl")
        if url:
            return f"arn:aws:sqs:{response.region}:{response.current_account}:{url.rstrip('/').rsplit('/', 1)[-1]}"
    if prefix == "ssm":
        name = param("Name")
        if name:
            return _parameter_arn(response, name)
    if prefix == "secretsmanager":
        secret = param("SecretId")
        if secret and secret.startswith("arn:"):
            return secret
    return "*"


def _json_body(response: Any) -> dict[str, Any]:
    # DynamoDB's handler has already parsed the body into a dict; others keep the text.
    body = response.body
    if isinstance(body, dict):
        return body
    try:
        parsed = json.loads(body or "{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _presigned_access_key(response: Any) -> str | None:
    """The access key that signed a presigned URL or POST policy, if any."""
    query = parse_qs(urlparse(response.uri).query)
    credential = (query.get("X-Amz-Credential") or query.get("AWSAccessKeyId") or [None])[0]
    if credential is None:
        form = getattr(response, "form_data", None) or {}
        credential = form.get("x-amz-credential") or form.get("AWSAccessKeyId")
        if credential is None and isinstance(response.data, dict):
            raw = response.data.get("x-amz-credential") or response.data.get("X-Amz-Credential")
            credential = raw[0] if isinstance(raw, list) else raw
    if not credential:
        return None
    return str(credential).split("/", 1)[0]


def _prefix(response: Any, default: str | None) -> str:
    return getattr(response, "service_name", None) or default or "unknown"


def _speaks_json(headers: Any) -> bool:
    """Whether the caller reads errors as JSON (DynamoDB, SQS, SSM, ...): by content type,
    or by the service its signature names."""
    if headers.get("Content-Type", "").startswith("application/x-amz-json"):
        return True
    scope = headers.get("Authorization", "").split("Credential=", 1)[-1].split("/")
    return len(scope) > 3 and scope[3] in _JSON_SERVICES


def _json_error(error_type: str, message: str, status: int | None) -> Exception:
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError(error_type, message)
    if status:
        error.code = status
    return error


def _deny(
    response: Any, user_arn: str, action: str, resource: str, *, prefix: str | None = None
) -> None:
    """Raise the error AWS answers with when no policy allows ``action`` on ``resource``."""
    message = (
        f"User: {user_arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )
    prefix = prefix or action.split(":", 1)[0]
    if prefix == "s3":
        from moto.s3.exceptions import S3AccessDeniedError

        s3_error = S3AccessDeniedError()
        s3_error.message = message
        raise s3_error
    if prefix in _JSON_SERVICES:
        from moto.core.exceptions import JsonRESTError

        raise JsonRESTError("AccessDeniedException", message)
    from moto.core.exceptions import AccessDeniedError

    error = AccessDeniedError(user_arn=user_arn, action=action)
    # moto's message names no resource; AWS's does.
    error.description = (error.description or "").replace(
        f"User: {user_arn} is not authorized to perform: {action}<", f"{message}<", 1
    )
    raise error
