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
  batch calls, per item for transactions), topic, parameter, secret ARN, and
  each PutEvents entry's event bus;
- authorises presigned S3 requests (SigV4 URLs and POST policies) as the key
  that signed them, once their signature and expiry check out (moto checks
  neither), and takes that path for S3 only;
- checks a copy's source object as well as its destination;
- honours moto's unsigned "public operations" (Cognito sign-in calls) only
  when that operation is what gets dispatched;
- answers anonymous calls with AWS's error in the caller's protocol before
  moto routes them (moto sends most of them to S3), and serves moto's own API
  (``/moto-api/``: every key's secret, resets) to the administrator only;
- answers a denial with the error AWS sends (``AccessDeniedException`` for
  JSON APIs, ``AccessDenied`` otherwise) and a message naming the action and
  the resource;
- optionally appends each decision (user, action, resource, allowed) to a
  JSON-lines file, which ``trellis iam verify`` reads.

It runs in the emulator process only (imported by ``trellis.local.emulator``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn
from urllib.parse import parse_qs, quote, unquote, urlparse, urlsplit

# moto is imported here, once: this module runs in the emulator process only, and
# the checks below run on every request.
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError, _RESTError
from moto.iam.access_control import (
    CreateAccessKeyFailure,
    IAMPolicy,
    PermissionResult,
    create_access_key,
)
from moto.s3.exceptions import S3AccessDeniedError, S3ClientError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from trellis.iam_operations import TRANSACT_ITEM_ACTIONS, actions_for_operation
from trellis.local import _sigv4
from trellis.local._http import REQUEST_BODY

#: The administrative user of the emulator; its key is the well-known local one.
ADMIN_USER = "trellis-admin"

_JSON_SERVICES = frozenset(
    {
        "dynamodb",
        "sqs",
        "secretsmanager",
        "ssm",
        "logs",
        "events",
        "kms",
        "cognito-identity",
        "cognito-idp",
    }
)

#: The APIs that take a request signed in its query string (their query protocol), by signing name.
_QUERY_APIS = frozenset({"sqs", "sns", "sts", "iam"})
#: Services that speak the query protocol as well as JSON: the request, not the service, decides.
_QUERY_AND_JSON = frozenset({"sqs"})

#: moto's unsigned operations (Cognito sign-up and sign-in), by target: the service
#: that must serve them and the operation it must run. moto skipped authorisation for
#: any request carrying such a target, whatever it then dispatched.
_TARGET_SERVICES = {
    "AWSCognitoIdentityService": "cognito-identity",
    "AWSCognitoIdentityProviderService": "cognito-idp",
}
_PUBLIC_OPERATIONS: dict[str, tuple[str, str]] = {
    target: (_TARGET_SERVICES[prefix], operation)
    for target in ActionAuthenticatorMixin.PUBLIC_OPERATIONS
    for prefix, _, operation in [target.partition(".")]
    if prefix in _TARGET_SERVICES
}
#: The backends an unsigned request may reach: S3 (presigned requests, checked
#: below) and Cognito (its public operations and keys). moto's names.
_UNSIGNED_BACKENDS = frozenset({"s3", "cognitoidentity", "cognitoidp"})

_SIGV2_MESSAGE = (
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
)
_QUERY_PARAMETERS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)
_UNSIGNED_MESSAGE = "Request is missing Authentication Token"


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


def install(
    *,
    account_id: str,
    admin_keys: Sequence[tuple[str, str]],
    log_path: str | None,
) -> None:
    """Create the admin identity and replace moto's authorisation with ours.

    ``admin_keys`` are the administrator's ``(access key id, secret)`` pairs: the
    local key the tools use and the conventional ones (``test``/``test``) an AWS CLI
    or boto3 user types. IAM allows a user two keys, and so does this.
    """
    from moto.moto_api._internal.models import MotoAPIBackend

    keys = tuple(admin_keys)
    _create_admin(account_id, keys)
    reset = MotoAPIBackend.reset

    def reset_keeping_the_admin(self: Any) -> None:
        # A reset empties IAM too; without its admin the emulator would refuse everyone.
        reset(self)
        _create_admin(account_id, keys)

    MotoAPIBackend.reset = reset_keeping_the_admin  # type: ignore[method-assign]

    log = _Log(log_path)

    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        _authorize(self, iam_request_cls, resource, log)

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize  # type: ignore[method-assign]
    _match_like_iam()
    _gate_requests(account_id=account_id, admin_keys=dict(keys))


def _create_admin(account_id: str, admin_keys: Sequence[tuple[str, str]]) -> None:
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
    # The admin keeps the well-known local keys, so every client the tools and
    # tests already build for the emulator, and an AWS CLI with `test`/`test`, is the
    # administrator.
    for access_key, secret_key in admin_keys:
        key = backend.create_access_key(ADMIN_USER)
        del backend.access_keys[key.physical_resource_id]
        key.access_key_id = access_key
        key.secret_access_key = secret_key
        backend.access_keys[access_key] = key


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
    headers = response.headers
    operation = response._get_action()
    if isinstance(operation, list):
        operation = operation[0]
    target = headers.get("X-Amz-Target")
    # Unsigned by design, but only as what is dispatched: with `?Action=` or another
    # service's signature, the same target used to carry any call past this check.
    if target is not None and _PUBLIC_OPERATIONS.get(target) == (response.service_name, operation):
        return
    if "Authorization" not in headers:
        if response.service_name != "s3":
            # The gate answers these before moto routes them; this is the backstop.
            raise _missing_token(response.service_name)
        access_key = _presigned_s3_key(response)
        if access_key is None:
            _deny(response, "anonymous", f"s3:{operation}", resource)
        prefix = "s3"
    else:
        parsed = urlparse(response.uri)
        path = response.raw_path + (f"?{parsed.query}" if parsed.query else "")
        try:
            request = iam_request_cls(
                account_id=response.current_account,
                method=response.method,
                path=path,
                # moto hands a GET's query parameters over as its data, and botocore would
                # sign them as a form body: a GET of the query protocol never matched.
                data=b""
                if response.method in ("GET", "HEAD") and response.service_name != "s3"
                else response.data,
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
            error = _RESTError("IncompleteSignature", message)
            error.code = 403
            raise error from None
        access_key = request._access_key
        prefix = request._service
    user_arn = access_key.arn
    user = user_arn.rsplit("/", 1)[-1]
    documents = tuple(_policy_document(p) for p in access_key.collect_policies())
    for action, arn in required(response, prefix, operation, resource):
        allowed = _permitted(documents, action, arn)
        log.write(user, action, arn, allowed)
        if not allowed:
            _deny(response, user_arn, action, arn, prefix=prefix)


def _policy_document(policy: Any) -> str:
    """The JSON text moto's ``IAMPolicy`` reads from what ``collect_policies`` returns."""
    if isinstance(policy, str):
        return policy
    if isinstance(policy, dict):
        return str(policy["policy_document"])
    version = next(v for v in policy.versions if v.is_default)  # a managed policy
    return str(version.document)


#: (policy documents, action, resource ARN) → allowed. Bounded: ARNs name objects.
_DECISIONS: dict[tuple[tuple[str, ...], str, str], bool] = {}
_DECISIONS_LIMIT = 8192


def _permitted(documents: tuple[str, ...], action: str, arn: str) -> bool:
    """Whether the identity holding ``documents`` may do ``action`` on ``arn``.

    moto parsed every policy's JSON and built every statement again on each
    request. Evaluated without request context (no principal, no condition
    values: what moto's check passes), the answer depends on the documents'
    text, the action and the ARN alone, so it is remembered; a policy put or
    deleted changes the documents and with them the key.
    """
    key = (documents, action, arn)
    allowed = _DECISIONS.get(key)
    if allowed is None:
        allowed = False
        for document in documents:
            result = IAMPolicy(document).is_action_permitted(action, arn)
            if result == PermissionResult.DENIED:
                allowed = False
                break
            if result == PermissionResult.PERMITTED:
                allowed = True
        if len(_DECISIONS) >= _DECISIONS_LIMIT:
            _DECISIONS.clear()
        _DECISIONS[key] = allowed
    return allowed


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
        checks = [(a, resource) for a in actions_for_operation(prefix, operation)]
        source = response.headers.get("x-amz-copy-source") if operation == "PutObject" else None
        if source:
            # CopyObject and UploadPartCopy read what they copy: AWS checks the source too.
            checks.append(_copy_source(resource, source))
        return checks
    if prefix == "events" and operation == "PutEvents":
        # Each entry is authorised on its own bus (no EventBusName: the default bus).
        entries = _json_body(response).get("Entries") or []
        return list(
            dict.fromkeys(
                ("events:PutEvents", _event_bus_arn(response, e.get("EventBusName")))
                for e in entries
                if isinstance(e, dict)
            )
        ) or [("events:PutEvents", _event_bus_arn(response, None))]
    if prefix == "ssm" and operation == "GetParameters":
        names = _json_body(response).get("Names") or []
        return [("ssm:GetParameters", _parameter_arn(response, str(n))) for n in names]
    if resource == "*":
        resource = _resource_from_params(response, prefix)
    return [(a, resource) for a in actions_for_operation(prefix, operation)]


def _copy_source(resource: str, source: str) -> tuple[str, str]:
    """The action and object ARN an ``x-amz-copy-source`` reads, parsed as moto parses it."""
    parsed = urlparse(source)
    path = unquote(parsed.path).lstrip("/")
    versioned = "versionId" in parse_qs(parsed.query)
    arn_prefix = resource.split(":::", 1)[0]
    return ("s3:GetObjectVersion" if versioned else "s3:GetObject", f"{arn_prefix}:::{path}")


def _event_bus_arn(response: Any, bus: Any) -> str:
    name = str(bus) if isinstance(bus, str) and bus else "default"
    if name.startswith("arn:"):
        return name
    return f"arn:aws:events:{response.region}:{response.current_account}:event-bus/{name}"


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
        # Message move tasks name their source queue by ARN.
        source = param("SourceArn")
        if source:
            return source
    if prefix == "ssm":
        name = param("Name")
        if name:
            return _parameter_arn(response, name)
    if prefix == "events":
        # DescribeEventBus (the readiness probe) names its bus by name or ARN.
        bus = param("Name")
        if bus:
            return _event_bus_arn(response, bus)
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


def _presigned_s3_key(response: Any) -> Any:
    """The access key that signed this presigned S3 request, once the signature checks out.

    None when the request carries no signature at all (anonymous); an S3 error
    when it carries one that does not hold: a bad signature, an expired URL or
    policy, an unknown key, a malformed or SigV2 signature.
    """
    raw_query = urlsplit(response.uri).query
    if "X-Amz-" in raw_query or "Signature=" in raw_query or "AWSAccessKeyId=" in raw_query:
        pairs = _sigv4.query_pairs(raw_query)
        query = dict(pairs)
        if any(name in query for name in _QUERY_PARAMETERS[:3]):
            return _verify_presigned_url(response, query, pairs)
        if "AWSAccessKeyId" in query or "Signature" in query:
            # S3 refuses SigV2 for every bucket created since June 2020, i.e. all of ours.
            raise _s3_error("InvalidRequest", _SIGV2_MESSAGE)
    if response.method == "POST":
        form = {str(k).lower(): str(v) for k, v in (response.form_data or {}).items()}
        if "x-amz-signature" in form or "x-amz-credential" in form or "x-amz-algorithm" in form:
            return _verify_presigned_post(response, form)
        if "awsaccesskeyid" in form or "signature" in form:
            raise _s3_error("InvalidRequest", _SIGV2_MESSAGE)
    return None


def _verify_presigned_url(
    response: Any, query: dict[str, str], pairs: list[tuple[str, str]]
) -> Any:
    missing = [name for name in _QUERY_PARAMETERS if name not in query]
    if missing:
        raise _query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
            "and X-Amz-Expires parameters."
        )
    if query["X-Amz-Algorithm"] != _sigv4.ALGORITHM:
        raise _query_error('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    scope, signed_at = _s3_scope(query["X-Amz-Credential"], query["X-Amz-Date"], _query_error)
    expires = query["X-Amz-Expires"]
    if not expires.isdigit():
        raise _query_error("X-Amz-Expires should be a number")
    if int(expires) > _sigv4.MAX_EXPIRES_S:
        raise _query_error("X-Amz-Expires must be less than a week (in seconds) that is; 604800")
    access_key = _access_key(response, scope.key_id, query.get("X-Amz-Security-Token"))
    now = time.time()
    if signed_at > now + _sigv4.MAX_SKEW_S:
        raise _s3_error("AccessDenied", "Request is not valid yet")
    if now > signed_at + int(expires):
        raise _s3_error("AccessDenied", "Request has expired")
    signed_headers = query["X-Amz-SignedHeaders"]
    headers = response.headers
    signed = signed_headers.split(";")
    # Whoever holds a URL may add headers; S3 refuses the x-amz-* ones the signer did not
    # sign (an x-amz-copy-source would turn a presigned PUT into a copy).
    unsigned = sorted(name for name in _x_amz_header_names(headers) if name not in signed)
    if unsigned:
        raise _s3_error(
            "AccessDenied",
            "There were headers present in the request which were not signed: "
            + ", ".join(unsigned),
        )
    # botocore signs the payload hash header when the request had one; a URL has no body hash.
    payload = (
        headers.get("X-Amz-Content-SHA256", "")
        if "x-amz-content-sha256" in signed
        else _sigv4.UNSIGNED_PAYLOAD
    )
    canonical = _sigv4.canonical_request(
        response.method,
        response.raw_path,
        _sigv4.canonical_query(pairs, without="X-Amz-Signature"),
        signed_headers,
        headers.get,
        payload,
    )
    secret = access_key.create_credentials().secret_key
    expected = _sigv4.signature(
        secret, scope, _sigv4.string_to_sign(query["X-Amz-Date"], scope, canonical)
    )
    if not _sigv4.matches(expected, query["X-Amz-Signature"]):
        raise _s3_error("SignatureDoesNotMatch", _SIGNATURE_MESSAGE)
    return access_key


def _x_amz_header_names(headers: Any) -> list[str]:
    """The request's ``x-amz-*`` header names, lower case."""
    environ = getattr(headers, "environ", None)
    if environ is None:
        return [n.lower() for n, _ in headers.items() if n.lower().startswith("x-amz-")]
    # Straight from the WSGI environ: werkzeug's header view rebuilds every name.
    return [k[5:].lower().replace("_", "-") for k in environ if k.startswith("HTTP_X_AMZ_")]


def _verify_presigned_post(response: Any, form: dict[str, str]) -> Any:
    """Check a browser-style POST upload: the policy's signature, then its expiration.

    The policy's conditions (key, content type, content-length-range) are not
    evaluated; docs/iam.md says so.
    """
    if form.get("x-amz-algorithm") != _sigv4.ALGORITHM:
        raise _argument_error('x-amz-algorithm only supports "AWS4-HMAC-SHA256"')
    scope, _ = _s3_scope(
        form.get("x-amz-credential", ""), form.get("x-amz-date", ""), _argument_error
    )
    policy = form.get("policy")
    signature = form.get("x-amz-signature")
    if not policy or not signature:
        raise _argument_error("Bucket POST must contain the fields 'policy' and 'x-amz-signature'")
    access_key = _access_key(response, scope.key_id, form.get("x-amz-security-token"))
    secret = access_key.create_credentials().secret_key
    # The string to sign of a POST policy is the policy itself, as sent (base64).
    if not _sigv4.matches(_sigv4.signature(secret, scope, policy), signature):
        raise _s3_error("SignatureDoesNotMatch", _SIGNATURE_MESSAGE)
    try:
        document = json.loads(base64.b64decode(policy, validate=True))
        expiration = datetime.fromisoformat(str(document["expiration"]).replace("Z", "+00:00"))
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise _s3_error(
            "InvalidPolicyDocument", "Invalid Policy: Invalid JSON or expiration."
        ) from None
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=UTC)  # policies are in GMT
    if expiration.timestamp() < time.time():
        raise _s3_error("AccessDenied", "Invalid according to Policy: Policy expired.")
    return access_key


def _s3_scope(
    credential: str, amz_date: str, error: Callable[[str], Exception]
) -> tuple[_sigv4.Scope, float]:
    """The credential's scope, checked against S3 and the request's date; and that date."""
    scope = _sigv4.Scope.parse(credential)
    if scope is None:
        raise error(
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
            'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
        )
    if scope.service != "s3":
        raise error(
            f'Error parsing the X-Amz-Credential parameter; incorrect service "{scope.service}". '
            'This endpoint belongs to "s3".'
        )
    signed_at = _sigv4.parse_amz_date(amz_date)
    if signed_at is None:
        raise error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    if scope.date != amz_date[:8]:
        raise error("Invalid credential date. Date is not the same as X-Amz-Date.")
    return scope, signed_at


def _access_key(response: Any, key_id: str, session_token: str | None) -> Any:
    headers = {"X-Amz-Security-Token": session_token} if session_token else {}
    try:
        return create_access_key(
            account_id=response.current_account,
            partition=response.partition,
            access_key_id=key_id,
            headers=headers,
        )
    except CreateAccessKeyFailure:
        raise _s3_error(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        ) from None


_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)


def _s3_error(code: str, message: str) -> S3ClientError:
    # S3's service model gives the status: AccessDenied and SignatureDoesNotMatch 403, the rest 400.
    return S3ClientError(code, message)


def _query_error(message: str) -> Exception:
    return _s3_error("AuthorizationQueryParametersError", message)


def _argument_error(message: str) -> Exception:
    return _s3_error("InvalidArgument", message)


def _missing_token(service: str | None) -> Exception:
    if service in _JSON_SERVICES:
        return _json_error("MissingAuthenticationTokenException", _UNSIGNED_MESSAGE, 403)
    error = _RESTError("MissingAuthenticationToken", _UNSIGNED_MESSAGE)
    error.code = 403
    return error


def _speaks_json(headers: Any) -> bool:
    """Whether the caller reads errors as JSON (DynamoDB, SQS, SSM, ...): by content type,
    or by the service its signature names."""
    if (
        headers.get("Content-Type", "").startswith("application/x-amz-json")
        or "X-Amz-Target" in headers
    ):
        return True
    scope = headers.get("Authorization", "").split("Credential=", 1)[-1].split("/")
    # SQS answers the query protocol (form or query string) in XML and its JSON protocol in JSON.
    return len(scope) > 3 and scope[3] in _JSON_SERVICES and scope[3] not in _QUERY_AND_JSON


def _json_error(error_type: str, message: str, status: int | None) -> Exception:
    error = JsonRESTError(error_type, message)
    if status:
        error.code = status
    return error


def _deny(
    response: Any, user_arn: str, action: str, resource: str, *, prefix: str | None = None
) -> NoReturn:
    """Raise the error AWS answers with when no policy allows ``action`` on ``resource``."""
    message = (
        f"User: {user_arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )
    prefix = prefix or action.split(":", 1)[0]
    if prefix == "s3":
        s3_error = S3AccessDeniedError()
        s3_error.message = message
        raise s3_error
    if prefix in _JSON_SERVICES and (
        prefix not in _QUERY_AND_JSON or _speaks_json(response.headers)
    ):
        raise JsonRESTError("AccessDeniedException", message)
    if prefix == "sns":
        # SNS names a denial AuthorizationError (403), not AccessDenied.
        denial = _RESTError("AuthorizationError", message)
        denial.code = 403
        raise denial
    from moto.core.exceptions import AccessDeniedError

    error = AccessDeniedError(user_arn=user_arn, action=action)
    # moto's message names no resource; AWS's does.
    error.description = (error.description or "").replace(
        f"User: {user_arn} is not authorized to perform: {action}<", f"{message}<", 1
    )
    raise error


# --- The gate: what is decided before moto routes a request ---------------------------------


def _gate_requests(*, account_id: str, admin_keys: dict[str, str]) -> None:
    """Put a check in front of moto's dispatcher, for what no moto handler would refuse.

    moto routes an unsigned request by guesswork (most end up in S3, whatever
    the caller spoke), serves ``/moto-api/`` and instance metadata without any
    check, and fails with a 500 page on a signature whose service does not match
    its target. Each costs a few dictionary lookups on the requests that pass.
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    def dispatch(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        refusal = _refusal_before_routing(environ, admin_keys)
        if refusal is None and "HTTP_AUTHORIZATION" not in environ:
            refusal = _sign_in_the_header(environ, account_id)
        if refusal is None:
            try:
                app = self.get_application(environ)
            except (AttributeError, IndexError, KeyError, ValueError):
                # moto's routing trips over a target that does not fit the signed
                # service, or a service it does not emulate.
                refusal = _error_response(
                    environ,
                    400,
                    "UnknownOperationException" if _json_caller(environ) else "InvalidAction",
                    "The emulator cannot route this request to an API it emulates "
                    "(check X-Amz-Target and the service named in the signature).",
                )
            else:
                if "HTTP_AUTHORIZATION" in environ or app.service in _UNSIGNED_BACKENDS:
                    return app(environ, start_response)
                refusal = _anonymous(environ)
        return refusal(environ, start_response)

    DomainDispatcherApplication.__call__ = dispatch  # type: ignore[method-assign]


def _sign_in_the_header(environ: dict[str, Any], account_id: str) -> Response | None:
    """Turn a request signed in its query string for an API other than S3 into a header-signed one.

    The query APIs (SQS's among them) take Signature Version 4 in the query
    string as well as in the Authorization header. moto routes a request
    without the header to S3, whatever it was signed for. Once the query
    signature and its expiry check out, the request is re-signed in the header
    with the same key, and goes on exactly as if the client had signed it that
    way (routing, moto's signature check, our authorisation, the decision log).
    Anything else (S3's presigned URLs, unsigned requests) is left alone.
    """
    raw_query: str = environ.get("QUERY_STRING", "")
    if "X-Amz-Credential" not in raw_query:
        return None
    pairs = _sigv4.query_pairs(raw_query)
    query = dict(pairs)
    scope = _sigv4.Scope.parse(query.get("X-Amz-Credential", ""))
    if scope is None or scope.service not in _QUERY_APIS:
        # S3 checks its own presigned URLs (in _authorize); JSON APIs take no signature in
        # the query string, and S3 answers such a request as AWS does.
        return None

    def refuse(code: str, message: str, status: int = 403) -> Response:
        return _error_response(environ, status, code, message)

    missing = [name for name in _QUERY_PARAMETERS if name not in query]
    if missing or query["X-Amz-Algorithm"] != _sigv4.ALGORITHM:
        return refuse(
            "IncompleteSignature", "The request signature does not conform to AWS standards.", 400
        )
    amz_date = query["X-Amz-Date"]
    signed_at = _sigv4.parse_amz_date(amz_date)
    expires = query["X-Amz-Expires"]
    if signed_at is None or scope.date != amz_date[:8] or not expires.isdigit():
        return refuse(
            "IncompleteSignature", "The request signature does not conform to AWS standards.", 400
        )
    now = time.time()
    if signed_at > now + _sigv4.MAX_SKEW_S or now > signed_at + int(expires):
        return refuse("RequestExpired", "Request has expired.")
    token = query.get("X-Amz-Security-Token")
    try:
        key = create_access_key(
            account_id=account_id,
            partition="aws",
            access_key_id=scope.key_id,
            headers={"X-Amz-Security-Token": token} if token else {},
        )
        secret = key.create_credentials().secret_key
    except (CreateAccessKeyFailure, HTTPException):
        return refuse(
            "InvalidClientTokenId", "The security token included in the request is invalid."
        )
    body = _read_body(environ)
    raw_uri = environ.get("RAW_URI") or quote(environ.get("PATH_INFO", "/"))
    raw_path = urlsplit(raw_uri).path if "://" in raw_uri else raw_uri.split("?", 1)[0]

    def header(name: str) -> str | None:
        if name in ("content-type", "content-length"):
            value = environ.get(name.upper().replace("-", "_"))
        else:
            value = environ.get("HTTP_" + name.upper().replace("-", "_"))
        return None if value is None else str(value)

    # Services other than S3 encode the (normalised) path once more; botocore signs a
    # query-signed request's payload by its hash.
    canonical = _sigv4.canonical_request(
        environ.get("REQUEST_METHOD", "GET"),
        quote(_normalised(raw_path), safe="/~"),
        _sigv4.canonical_query(pairs, without="X-Amz-Signature"),
        query["X-Amz-SignedHeaders"],
        header,
        hashlib.sha256(body).hexdigest(),
    )
    expected = _sigv4.signature(secret, scope, _sigv4.string_to_sign(amz_date, scope, canonical))
    if not _sigv4.matches(expected, query["X-Amz-Signature"]):
        return refuse("SignatureDoesNotMatch", _SIGNATURE_MESSAGE)

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    rest = "&".join(
        p
        for p in raw_query.split("&")
        if p
        and p.split("=", 1)[0] not in _QUERY_PARAMETERS
        and p.split("=", 1)[0] != "X-Amz-Security-Token"
    )
    host = environ.get("HTTP_HOST", "localhost")
    content_type = environ.get("CONTENT_TYPE")
    request = AWSRequest(
        method=environ.get("REQUEST_METHOD", "GET"),
        url=f"http://{host}{raw_path}" + (f"?{rest}" if rest else ""),
        data=body,
        headers={"Content-Type": content_type} if content_type else {},
    )
    SigV4Auth(Credentials(scope.key_id, secret, token), scope.service, scope.region).add_auth(
        request
    )
    environ["QUERY_STRING"] = rest
    for name in ("RAW_URI", "REQUEST_URI"):
        if name in environ:
            environ[name] = raw_path + (f"?{rest}" if rest else "")
    environ["HTTP_AUTHORIZATION"] = request.headers["Authorization"]
    environ["HTTP_X_AMZ_DATE"] = request.headers["X-Amz-Date"]
    if token:
        environ["HTTP_X_AMZ_SECURITY_TOKEN"] = token
    return None


def _normalised(path: str) -> str:
    """The path as SigV4 canonicalises it for services other than S3 (dot segments resolved)."""
    import posixpath

    if not path:
        return "/"
    normal = posixpath.normpath(path)
    if path.endswith("/") and normal != "/":
        normal += "/"
    return normal if normal.startswith("/") else "/" + normal


def _refusal_before_routing(environ: dict[str, Any], admin_keys: dict[str, str]) -> Response | None:
    path: str = environ.get("PATH_INFO", "")
    # The same tests moto routes by: these never reach an AWS API handler.
    if path.startswith("/moto-api"):
        if _signed_by_one_of(environ, admin_keys):
            return None
        return _error_response(
            environ,
            403,
            "AccessDenied",
            "The emulator's own API (/moto-api/) answers requests signed with the "
            "administrator's key only, while IAM is enforced.",
            shape="json",
        )
    if path.startswith(("/latest/meta-data/", "/latest/api/")):
        return _error_response(
            environ,
            403,
            "AccessDenied",
            "Instance metadata is not served while IAM is enforced: each service has its own key.",
            shape="s3",
        )
    if "HTTP_AUTHORIZATION" in environ:
        return None
    method = environ.get("REQUEST_METHOD", "GET")
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target is not None:
        if target in _PUBLIC_OPERATIONS and method == "POST" and path == "/":
            return None
        return _anonymous(environ)
    if environ.get("CONTENT_TYPE", "").startswith("application/x-amz-json"):
        return _anonymous(environ)
    query: str = environ.get("QUERY_STRING", "")
    # What S3 itself authenticates without an Authorization header: presigned URLs
    # and POST uploads (checked in _authorize), and CORS preflights.
    if "X-Amz-" in query or "Signature=" in query or "AWSAccessKeyId=" in query:
        return None
    if method == "OPTIONS" or (
        method == "POST" and environ.get("CONTENT_TYPE", "").startswith("multipart/form-data")
    ):
        return None
    if method == "GET" and path.endswith(
        ("/.well-known/jwks.json", "/.well-known/openid-configuration")
    ):
        return None  # a Cognito user pool's public keys
    return _anonymous(environ)


def _anonymous(environ: dict[str, Any]) -> Response:
    """The error AWS gives an unsigned call, in the protocol the caller speaks."""
    if _json_caller(environ):
        return _error_response(
            environ, 403, "MissingAuthenticationTokenException", _UNSIGNED_MESSAGE
        )
    content_type = environ.get("CONTENT_TYPE", "")
    if "Action=" in environ.get("QUERY_STRING", "") or content_type.startswith(
        "application/x-www-form-urlencoded"
    ):
        return _error_response(environ, 403, "MissingAuthenticationToken", _UNSIGNED_MESSAGE)
    return _error_response(
        environ,
        403,
        "AccessDenied",
        "Access Denied: anonymous requests are refused while IAM is enforced; sign the "
        "request, or presign it with a key that may make it.",
        shape="s3",
    )


def _json_caller(environ: dict[str, Any]) -> bool:
    return "HTTP_X_AMZ_TARGET" in environ or environ.get("CONTENT_TYPE", "").startswith(
        "application/x-amz-json"
    )


def _error_response(
    environ: dict[str, Any], status: int, code: str, message: str, *, shape: str | None = None
) -> Response:
    """An AWS error document: JSON for JSON protocols, S3's XML, or the query protocols' XML."""
    request_id = str(uuid.uuid4())
    shape = shape or ("json" if _json_caller(environ) else "query")
    if shape == "json":
        body = json.dumps({"__type": code, "message": message})
        content_type = "application/x-amz-json-1.1"
    elif shape == "s3":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{_xml(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
        content_type = "application/xml"
    else:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{_xml(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        content_type = "text/xml"
    return Response(
        body,
        status=status,
        headers={"Content-Type": content_type, "x-amzn-RequestId": request_id},
    )


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _signed_by_one_of(environ: dict[str, Any], keys: dict[str, str]) -> bool:
    """Whether the request carries a valid SigV4 Authorization header by one of ``keys``
    (access key id → secret)."""
    fields = _sigv4.authorization_fields(environ.get("HTTP_AUTHORIZATION", ""))
    scope = None if fields is None else _sigv4.Scope.parse(fields["Credential"])
    if scope is None or scope.key_id not in keys:
        return False
    return _signed_by(environ, scope.key_id, keys[scope.key_id])


def _signed_by(environ: dict[str, Any], key_id: str, secret: str) -> bool:
    """Whether the request carries a valid SigV4 Authorization header by ``key_id``.

    The emulator's own API is no AWS service, so moto never checks it; this is
    the header check, S3's way (the path is not normalised): sign with
    ``S3SigV4Auth`` or any SigV4 signer, the paths under /moto-api/ need no encoding.
    """
    fields = _sigv4.authorization_fields(environ.get("HTTP_AUTHORIZATION", ""))
    if fields is None:
        return False
    scope = _sigv4.Scope.parse(fields["Credential"])
    amz_date = environ.get("HTTP_X_AMZ_DATE", "")
    signed_at = _sigv4.parse_amz_date(amz_date)
    if (
        scope is None
        or scope.key_id != key_id
        or signed_at is None
        or scope.date != amz_date[:8]
        or abs(time.time() - signed_at) > _sigv4.MAX_SKEW_S
    ):
        return False
    body = _read_body(environ)
    payload = hashlib.sha256(body).hexdigest()
    claimed = environ.get("HTTP_X_AMZ_CONTENT_SHA256")
    if claimed is not None and claimed not in (payload, _sigv4.UNSIGNED_PAYLOAD):
        return False
    raw_uri = environ.get("RAW_URI") or quote(environ.get("PATH_INFO", "/"))
    raw_path = urlsplit(raw_uri).path if "://" in raw_uri else raw_uri.split("?", 1)[0]

    def header(name: str) -> str | None:
        if name in ("content-type", "content-length"):
            value = environ.get(name.upper().replace("-", "_"))
        else:
            value = environ.get("HTTP_" + name.upper().replace("-", "_"))
        return None if value is None else str(value)

    canonical = _sigv4.canonical_request(
        environ.get("REQUEST_METHOD", "GET"),
        raw_path,
        _sigv4.canonical_query(_sigv4.query_pairs(environ.get("QUERY_STRING", ""))),
        fields["SignedHeaders"],
        header,
        claimed or payload,
    )
    expected = _sigv4.signature(secret, scope, _sigv4.string_to_sign(amz_date, scope, canonical))
    return _sigv4.matches(expected, fields["Signature"])


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, left in place for the handler to read again."""
    read_ahead: bytes | None = environ.get(REQUEST_BODY)
    if read_ahead is not None:  # the server read it whole; wsgi.input holds the same bytes
        return read_ahead
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):
        body: bytes = stream.read()
    else:
        length = environ.get("CONTENT_LENGTH") or "0"
        body = stream.read(int(length)) if length.isdigit() else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ[REQUEST_BODY] = body
    return body
