"""Every way found around the emulator's IAM check, each refused as AWS would refuse it.

One row per probe: the request, and the refusal it must get (status, error code,
and whether the error is JSON or XML, so the caller's SDK can read it). The
next bypass someone finds is one more row in ``REFUSALS``; ``LEGITIMATE`` holds
the requests that look alike and must keep working.

The probes run against an emulator of their own: some of them, let through,
would reset or rewrite the whole emulator, and must not take the session's
shared one with them.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import boto3
import botocore.auth
import botocore.signers
import httpx
import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from trellis.local.emulator import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, Emulator, free_port
from trellis.manifest import load_manifest_text
from trellis.runtime.blobs import presign_post
from trellis.testing import ServiceEnvironment
from trellis.testing._service import build_service_environment

pytestmark = pytest.mark.integration

MANIFEST = load_manifest_text(
    """
[project]
name = "bypass"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.app]
runtime = "lambda"
uses = { items = "readwrite", media = "readwrite", drop = "write", key = "read", jobs = "send" }

[queues.jobs]

[queues.held]

[tables.items]
hash_key = "item_id"

[tables.audit]
hash_key = "event_id"

[buckets.media]

[buckets.vault]

[buckets.drop]

[topics.alerts]

[secrets.key]

[secrets.other]
"""
)

PUBLIC_TARGET = "AWSCognitoIdentityService.GetId"
JSON_10 = "application/x-amz-json-1.0"
JSON_11 = "application/x-amz-json-1.1"
ZERO_SIGNATURE = "0" * 64


@dataclass
class World:
    """The probe emulator, a service key (``app``) and what it may and may not reach."""

    emulator: Emulator
    app: ServiceEnvironment
    media: str  # readwrite for the app
    vault: str  # no grant
    items: str  # readwrite
    audit: str  # no grant
    alerts: str  # topic ARN, no grant
    other_secret: str  # secret ARN, no grant
    media_version: str  # a version of media/a.txt
    drop: str  # write only: no s3:GetObject(Version)
    drop_version: str  # a version of drop/a.txt
    jobs: str  # queue URL, send only
    held: str  # queue URL, no grant

    @property
    def endpoint(self) -> str:
        return self.emulator.endpoint

    @property
    def key(self) -> tuple[str, str]:
        return self.app.env["AWS_ACCESS_KEY_ID"], self.app.env["AWS_SECRET_ACCESS_KEY"]

    def s3(self, credentials: tuple[str, str] | None = None, **config: Any) -> Any:
        """An S3 client as the runtime builds one (SigV4, path style), as the app by default."""
        key, secret = credentials or self.key
        return boto3.session.Session(
            aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1"
        ).client(
            "s3",
            endpoint_url=self.endpoint,
            config=Config(
                signature_version=config.pop("signature_version", "s3v4"),
                s3={"addressing_style": "path"},
                **config,
            ),
        )

    def signed(
        self,
        method: str,
        path: str,
        service: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request signed in the Authorization header (as the app by default)."""
        url = self.endpoint + path
        request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
        signer = S3SigV4Auth if service == "s3" else SigV4Auth
        signer(Credentials(*(credentials or self.key)), service, "us-east-1").add_auth(request)
        return httpx.request(method, url, content=body, headers=dict(request.headers))

    def admin_get(self, bucket: str, key: str) -> bytes | None:
        try:
            body: bytes = (
                self.emulator.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "NoSuchKey":
                return None
            raise
        return body


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    emulator = Emulator(port=free_port()).start()
    try:
        app = build_service_environment(emulator, MANIFEST, "app")
        admin_s3 = emulator.client("s3")
        media, vault = app.address("bucket", "media"), app.address("bucket", "vault")
        version = admin_s3.put_object(Bucket=media, Key="a.txt", Body=b"hello")["VersionId"]
        admin_s3.put_object(Bucket=media, Key="other.txt", Body=b"other")
        admin_s3.put_object(Bucket=vault, Key="s.txt", Body=b"top secret")
        drop = app.address("bucket", "drop")
        drop_version = admin_s3.put_object(Bucket=drop, Key="a.txt", Body=b"dropped")["VersionId"]
        other_secret = app.address("secret", "other")
        emulator.client("secretsmanager").put_secret_value(
            SecretId=other_secret, SecretString="not yours"
        )
        yield World(
            emulator=emulator,
            app=app,
            media=media,
            vault=vault,
            items=app.address("table", "items"),
            audit=app.address("table", "audit"),
            alerts=app.address("topic", "alerts"),
            other_secret=other_secret,
            media_version=version,
            drop=drop,
            drop_version=drop_version,
            jobs=app.address("queue", "jobs"),
            held=app.address("queue", "held"),
        )
    finally:
        emulator.stop()


@contextlib.contextmanager
def signing_clock(shift: timedelta) -> Iterator[None]:
    """botocore signs as if its clock were ``shift`` off (expired or not-yet-valid presigns)."""
    real = botocore.auth.get_current_datetime

    def shifted(*args: Any, **kwargs: Any) -> datetime:
        moment: datetime = real(*args, **kwargs)
        return moment + shift

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.auth, "get_current_datetime", shifted)
        patch.setattr(botocore.signers, "get_current_datetime", shifted)
        yield


def amz_now() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def forged_query(key_id: str, *, service: str = "s3", signature: str = ZERO_SIGNATURE) -> str:
    """SigV4 query parameters naming ``key_id`` with a signature nobody computed."""
    now = amz_now()
    credential = quote(f"{key_id}/{now[:8]}/us-east-1/{service}/aws4_request", safe="")
    return (
        f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}&X-Amz-Date={now}"
        f"&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
    )


def policy_document(conditions: list[Any]) -> str:
    expiration = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = {"expiration": expiration, "conditions": conditions}
    return base64.b64encode(json.dumps(document).encode()).decode()


def error_of(response: httpx.Response) -> tuple[str, str]:
    """(``json`` | ``xml`` | ``other``, error code) of an error response."""
    text = response.text.strip()
    if text.startswith("{"):
        return "json", str(response.json().get("__type", "")).rsplit("#", 1)[-1]
    match = re.search(r"<Code>([^<]*)</Code>", text)
    if text.startswith("<?xml") or text.startswith("<Error"):
        return "xml", match.group(1) if match else ""
    return "other", ""


# --- The requests -------------------------------------------------------------------------


def public_target_s3_get(w: World) -> httpx.Response:
    # A valid signature by the app, on a bucket it has no grant on.
    return w.signed("GET", f"/{w.vault}/s.txt", "s3", headers={"X-Amz-Target": PUBLIC_TARGET})


def public_target_s3_get_unsigned_signature(w: World) -> httpx.Response:
    credential = f"{w.key[0]}/{amz_now()[:8]}/us-east-1/s3/aws4_request"
    return httpx.get(
        f"{w.endpoint}/{w.vault}/s.txt",
        headers={
            "X-Amz-Target": PUBLIC_TARGET,
            "X-Amz-Date": amz_now(),
            "Authorization": f"AWS4-HMAC-SHA256 Credential={credential}, "
            f"SignedHeaders=host;x-amz-date, Signature={ZERO_SIGNATURE}",
        },
    )


def public_target_get_secret(w: World) -> httpx.Response:
    return w.signed(
        "POST",
        "/?Action=GetSecretValue",
        "secretsmanager",
        body=json.dumps({"SecretId": w.other_secret}).encode(),
        headers={"X-Amz-Target": PUBLIC_TARGET, "Content-Type": JSON_11},
    )


def public_target_put_item(w: World) -> httpx.Response:
    return w.signed(
        "POST",
        "/?Action=PutItem",
        "dynamodb",
        body=json.dumps({"TableName": w.audit, "Item": {"event_id": {"S": "pwn"}}}).encode(),
        headers={"X-Amz-Target": PUBLIC_TARGET, "Content-Type": JSON_10},
    )


def public_target_publish(w: World) -> httpx.Response:
    return w.signed(
        "POST",
        "/",
        "sns",
        body=f"Action=Publish&TopicArn={quote(w.alerts, safe='')}&Message=pwn".encode(),
        headers={
            "X-Amz-Target": PUBLIC_TARGET,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )


def signed_call_to_a_service_not_emulated(w: World) -> httpx.Response:
    return w.signed(
        "POST",
        "/",
        "apprunner",
        body=b"{}",
        headers={"X-Amz-Target": "AppRunner.ListServices", "Content-Type": JSON_10},
    )


def query_credential_put_item_as_admin(w: World) -> httpx.Response:
    return httpx.post(
        f"{w.endpoint}/?{forged_query(LOCAL_ACCESS_KEY, service='dynamodb')}",
        content=json.dumps({"TableName": w.audit, "Item": {"event_id": {"S": "pwn2"}}}),
        headers={"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": JSON_10},
    )


def query_credential_s3_put_zero_signature(w: World) -> httpx.Response:
    return httpx.put(
        f"{w.endpoint}/{w.media}/forged.txt?{forged_query(w.key[0])}", content=b"forged"
    )


def query_credential_s3_get_as_admin(w: World) -> httpx.Response:
    return httpx.get(f"{w.endpoint}/{w.vault}/s.txt?{forged_query(LOCAL_ACCESS_KEY)}")


def presigned_get_expired(w: World) -> httpx.Response:
    with signing_clock(timedelta(hours=-2)):
        url = w.s3().generate_presigned_url(
            "get_object", Params={"Bucket": w.media, "Key": "a.txt"}, ExpiresIn=3600
        )
    return httpx.get(url)


def presigned_get_not_yet_valid(w: World) -> httpx.Response:
    with signing_clock(timedelta(hours=1)):
        url = w.s3().generate_presigned_url(
            "get_object", Params={"Bucket": w.media, "Key": "a.txt"}, ExpiresIn=60
        )
    return httpx.get(url)


def presigned_get_longer_than_a_week(w: World) -> httpx.Response:
    url = w.s3().generate_presigned_url(
        "get_object", Params={"Bucket": w.media, "Key": "a.txt"}, ExpiresIn=604_801
    )
    return httpx.get(url)


def presigned_get_of_another_key(w: World) -> httpx.Response:
    url = w.s3().generate_presigned_url("get_object", Params={"Bucket": w.media, "Key": "a.txt"})
    return httpx.get(url.replace("/a.txt?", "/other.txt?"))


def presigned_get_with_a_longer_expiry_than_signed(w: World) -> httpx.Response:
    url = w.s3().generate_presigned_url(
        "get_object", Params={"Bucket": w.media, "Key": "a.txt"}, ExpiresIn=60
    )
    return httpx.get(url.replace("X-Amz-Expires=60", "X-Amz-Expires=600"))


def presigned_put_turned_into_a_copy(w: World) -> httpx.Response:
    url = w.s3().generate_presigned_url(
        "put_object", Params={"Bucket": w.media, "Key": "turned-copy.txt"}
    )
    return httpx.put(url, headers={"x-amz-copy-source": f"{w.media}/a.txt"})


def presigned_get_signed_for_another_service(w: World) -> httpx.Response:
    request = AWSRequest(method="GET", url=f"{w.endpoint}/{w.media}/a.txt")
    S3SigV4QueryAuth(Credentials(*w.key), "dynamodb", "us-east-1", expires=60).add_auth(request)
    return httpx.get(request.url)


def sigv2_query_as_admin(w: World) -> httpx.Response:
    expires = int(time.time()) + 600
    return httpx.get(
        f"{w.endpoint}/{w.vault}/s.txt?AWSAccessKeyId={LOCAL_ACCESS_KEY}"
        f"&Signature=AAAA&Expires={expires}"
    )


def sigv2_presigned_get(w: World) -> httpx.Response:
    s3 = w.s3(signature_version="s3")
    return httpx.get(
        s3.generate_presigned_url("get_object", Params={"Bucket": w.media, "Key": "a.txt"})
    )


def post_forged_policy_signature(w: World) -> httpx.Response:
    now = amz_now()
    credential = f"{LOCAL_ACCESS_KEY}/{now[:8]}/us-east-1/s3/aws4_request"
    fields = {
        "key": "forged-post.txt",
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": credential,
        "x-amz-date": now,
        "policy": policy_document([{"bucket": w.media}]),
        "x-amz-signature": ZERO_SIGNATURE,
    }
    return httpx.post(f"{w.endpoint}/{w.media}", data=fields, files={"file": b"forged"})


def post_expired_policy(w: World) -> httpx.Response:
    with signing_clock(timedelta(hours=-2)):
        post = w.s3().generate_presigned_post(w.media, "late.txt", ExpiresIn=3600)
    return httpx.post(post["url"], data=post["fields"], files={"file": b"late"})


def post_sigv2_policy(w: World) -> httpx.Response:
    fields = {
        "key": "forged-v2.txt",
        "AWSAccessKeyId": LOCAL_ACCESS_KEY,
        "policy": policy_document([{"bucket": w.media}]),
        "signature": "AAAA",
    }
    return httpx.post(f"{w.endpoint}/{w.media}", data=fields, files={"file": b"forged"})


def copy_from_a_bucket_without_read(w: World) -> httpx.Response:
    return w.signed(
        "PUT", f"/{w.media}/stolen.txt", "s3", headers={"x-amz-copy-source": f"{w.vault}/s.txt"}
    )


def copy_a_version_without_get_object_version(w: World) -> httpx.Response:
    # Within a bucket the app may write (the destination passes): only the source fails.
    return w.signed(
        "PUT",
        f"/{w.drop}/copied-version.txt",
        "s3",
        headers={"x-amz-copy-source": f"/{w.drop}/a.txt?versionId={w.drop_version}"},
    )


def upload_part_copy_from_a_bucket_without_read(w: World) -> httpx.Response:
    upload = w.s3().create_multipart_upload(Bucket=w.media, Key="stolen.bin")["UploadId"]
    return w.signed(
        "PUT",
        f"/{w.media}/stolen.bin?partNumber=1&uploadId={upload}",
        "s3",
        headers={"x-amz-copy-source": f"{w.vault}/s.txt"},
    )


def moto_api(
    path: str, method: str = "GET", body: bytes = b""
) -> Callable[[World], httpx.Response]:
    def send(w: World) -> httpx.Response:
        return httpx.request(method, w.endpoint + path, content=body)

    return send


def moto_api_signed_by_the_app(w: World) -> httpx.Response:
    return w.signed("GET", "/moto-api/data.json", "s3")


def moto_api_admin_key_wrong_secret(w: World) -> httpx.Response:
    return w.signed("GET", "/moto-api/data.json", "s3", credentials=(LOCAL_ACCESS_KEY, "wrong"))


def sqs_query_get(
    queue: str,
    query: str,
    *,
    credentials: tuple[str, str] | None = None,
    shift: timedelta = timedelta(0),
    signature: str | None = None,
) -> Callable[[World], httpx.Response]:
    """A GET of SQS's query API signed in its query string (the app's key by default)."""

    def send(w: World) -> httpx.Response:
        url = f"{getattr(w, queue)}?{query}&Version=2012-11-05"
        request = AWSRequest(method="GET", url=url)
        with signing_clock(shift):
            SigV4QueryAuth(
                Credentials(*(credentials or w.key)), "sqs", "us-east-1", expires=60
            ).add_auth(request)
        signed = request.url
        if signature is not None:
            signed = re.sub(r"X-Amz-Signature=[0-9a-f]+", f"X-Amz-Signature={signature}", signed)
        return httpx.get(signed)

    return send


def unsigned(
    path: str, body: str = "", headers: dict[str, str] | None = None, method: str = "POST"
) -> Callable[[World], httpx.Response]:
    def send(w: World) -> httpx.Response:
        return httpx.request(method, w.endpoint + path, content=body, headers=headers or {})

    return send


def unsigned_s3_get(w: World) -> httpx.Response:
    return httpx.get(f"{w.endpoint}/{w.vault}/s.txt")


# --- Side effects that must not have happened ---------------------------------------------


def no_item(event_id: str) -> Callable[[World], None]:
    def check(w: World) -> None:
        item = w.emulator.client("dynamodb").get_item(
            TableName=w.audit, Key={"event_id": {"S": event_id}}
        )
        assert "Item" not in item

    return check


def no_object(bucket_attr: str, key: str) -> Callable[[World], None]:
    def check(w: World) -> None:
        assert w.admin_get(getattr(w, bucket_attr), key) is None

    return check


def state_intact(w: World) -> None:
    # A reset would have dropped every bucket, and the admin user with them.
    assert w.admin_get(w.media, "a.txt") == b"hello"


@dataclass(frozen=True)
class Refusal:
    send: Callable[[World], httpx.Response]
    status: int
    code: str
    shape: str  # "json" | "xml": what the caller's SDK parses
    message: str = ""
    unchanged: Callable[[World], None] | None = None


REFUSALS: dict[str, Refusal] = {
    # 1. A moto "public operation" target skipped authorisation for whatever was dispatched.
    "public target: S3 GetObject, no grant on the bucket": Refusal(
        public_target_s3_get, 403, "AccessDenied", "xml", "s3:GetObject"
    ),
    "public target: S3 GetObject, signature of zeros": Refusal(
        public_target_s3_get_unsigned_signature, 403, "SignatureDoesNotMatch", "xml"
    ),
    # JSON APIs answer AccessDeniedException with a 400, as DynamoDB documents it.
    "public target: ?Action=GetSecretValue, no grant on the secret": Refusal(
        public_target_get_secret, 400, "AccessDeniedException", "json", "GetSecretValue"
    ),
    "public target: SNS Publish, no grant on the topic": Refusal(
        public_target_publish, 403, "AuthorizationError", "xml", "sns:Publish"
    ),
    "public target: ?Action=PutItem, no grant on the table": Refusal(
        public_target_put_item, 400, "UnknownOperationException", "json", "", no_item("pwn")
    ),
    "signed call to a service the emulator does not have": Refusal(
        signed_call_to_a_service_not_emulated, 400, "UnknownOperationException", "json"
    ),
    # 2. X-Amz-Credential in the query, no Authorization header: nothing was verified.
    "query credential: DynamoDB PutItem with the admin key id": Refusal(
        query_credential_put_item_as_admin,
        403,
        "MissingAuthenticationTokenException",
        "json",
        "",
        no_item("pwn2"),
    ),
    "query credential: S3 PUT with the app's key id, zero signature": Refusal(
        query_credential_s3_put_zero_signature,
        403,
        "SignatureDoesNotMatch",
        "xml",
        "",
        no_object("media", "forged.txt"),
    ),
    "query credential: S3 GET with the admin key id, zero signature": Refusal(
        query_credential_s3_get_as_admin, 403, "SignatureDoesNotMatch", "xml"
    ),
    "presigned GET, expired": Refusal(
        presigned_get_expired, 403, "AccessDenied", "xml", "Request has expired"
    ),
    "presigned GET, not valid yet": Refusal(
        presigned_get_not_yet_valid, 403, "AccessDenied", "xml", "Request is not valid yet"
    ),
    "presigned GET, valid for more than a week": Refusal(
        presigned_get_longer_than_a_week, 400, "AuthorizationQueryParametersError", "xml"
    ),
    "presigned GET, used for another key": Refusal(
        presigned_get_of_another_key, 403, "SignatureDoesNotMatch", "xml"
    ),
    "presigned GET, expiry edited after signing": Refusal(
        presigned_get_with_a_longer_expiry_than_signed, 403, "SignatureDoesNotMatch", "xml"
    ),
    "presigned PUT, used with an x-amz-copy-source header it was not signed with": Refusal(
        presigned_put_turned_into_a_copy,
        403,
        "AccessDenied",
        "xml",
        "not signed: x-amz-copy-source",
        no_object("media", "turned-copy.txt"),
    ),
    "presigned GET, signed for DynamoDB": Refusal(
        presigned_get_signed_for_another_service, 400, "AuthorizationQueryParametersError", "xml"
    ),
    "SigV2 query, admin key id, made-up signature": Refusal(
        sigv2_query_as_admin, 400, "InvalidRequest", "xml", "AWS4-HMAC-SHA256"
    ),
    "SigV2 presigned GET (new buckets accept SigV4 only)": Refusal(
        sigv2_presigned_get, 400, "InvalidRequest", "xml", "AWS4-HMAC-SHA256"
    ),
    "presigned POST, policy signature of zeros with the admin key id": Refusal(
        post_forged_policy_signature,
        403,
        "SignatureDoesNotMatch",
        "xml",
        "",
        no_object("media", "forged-post.txt"),
    ),
    "presigned POST, policy expired": Refusal(
        post_expired_policy,
        403,
        "AccessDenied",
        "xml",
        "Policy expired",
        no_object("media", "late.txt"),
    ),
    "presigned POST, SigV2 policy signature": Refusal(
        post_sigv2_policy,
        400,
        "InvalidRequest",
        "xml",
        "AWS4-HMAC-SHA256",
        no_object("media", "forged-v2.txt"),
    ),
    # 2b. SQS's query API signed in the query string is re-signed in the header once checked.
    "SQS GET signed in the query, signature of zeros": Refusal(
        sqs_query_get("jobs", "Action=SendMessage&MessageBody=x", signature=ZERO_SIGNATURE),
        403,
        "SignatureDoesNotMatch",
        "xml",
    ),
    "SQS GET signed in the query, expired": Refusal(
        sqs_query_get("jobs", "Action=SendMessage&MessageBody=x", shift=timedelta(minutes=-5)),
        403,
        "RequestExpired",
        "xml",
    ),
    "SQS GET signed in the query by a key that does not exist": Refusal(
        sqs_query_get(
            "jobs",
            "Action=SendMessage&MessageBody=x",
            credentials=("AKIAUNKNOWN0000000000", "nope"),
        ),
        403,
        "InvalidClientTokenId",
        "xml",
    ),
    "SQS GET signed in the query by the app, on a queue it has no grant on": Refusal(
        sqs_query_get("held", "Action=SendMessage&MessageBody=x"),
        403,
        "AccessDenied",
        "xml",
        "sqs:SendMessage",
    ),
    "SQS GET signed in the query by the app, an action it has no grant for": Refusal(
        sqs_query_get("jobs", "Action=ReceiveMessage"),
        403,
        "AccessDenied",
        "xml",
        "sqs:ReceiveMessage",
    ),
    # 3. Copies checked only the destination.
    "CopyObject from a bucket without s3:GetObject": Refusal(
        copy_from_a_bucket_without_read,
        403,
        "AccessDenied",
        "xml",
        "s3:GetObject on resource: arn:aws:s3:::{vault}/s.txt",
        no_object("media", "stolen.txt"),
    ),
    "CopyObject of a version without s3:GetObjectVersion": Refusal(
        copy_a_version_without_get_object_version,
        403,
        "AccessDenied",
        "xml",
        "s3:GetObjectVersion on resource: arn:aws:s3:::{drop}/a.txt",
        no_object("drop", "copied-version.txt"),
    ),
    "UploadPartCopy from a bucket without s3:GetObject": Refusal(
        upload_part_copy_from_a_bucket_without_read,
        403,
        "AccessDenied",
        "xml",
        "s3:GetObject on resource: arn:aws:s3:::{vault}/s.txt",
    ),
    # 4. The emulator's own API handed out every key's secret, and resets, to anyone.
    "/moto-api/data.json, unsigned": Refusal(
        moto_api("/moto-api/data.json"), 403, "AccessDenied", "json"
    ),
    "/moto-api/data.json, signed by a service key": Refusal(
        moto_api_signed_by_the_app, 403, "AccessDenied", "json"
    ),
    "/moto-api/data.json, admin key id, wrong secret": Refusal(
        moto_api_admin_key_wrong_secret, 403, "AccessDenied", "json"
    ),
    "/moto-api/ dashboard, unsigned": Refusal(moto_api("/moto-api/"), 403, "AccessDenied", "json"),
    "/moto-api/reset-auth, unsigned": Refusal(
        moto_api("/moto-api/reset-auth", "POST", b"100"), 403, "AccessDenied", "json"
    ),
    # 5. Anonymous calls: an AWS error in the caller's protocol, never a 200, 500 or HTML page.
    "anonymous DynamoDB ListTables (JSON)": Refusal(
        unsigned(
            "/", "{}", {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": JSON_10}
        ),
        403,
        "MissingAuthenticationTokenException",
        "json",
    ),
    "anonymous SQS ListQueues (JSON)": Refusal(
        unsigned("/", "{}", {"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": JSON_10}),
        403,
        "MissingAuthenticationTokenException",
        "json",
    ),
    "anonymous SQS ListQueues (query)": Refusal(
        unsigned(
            "/",
            "Action=ListQueues&Version=2012-11-05",
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        403,
        "MissingAuthenticationToken",
        "xml",
    ),
    "anonymous STS GetCallerIdentity": Refusal(
        unsigned(
            "/",
            "Action=GetCallerIdentity&Version=2011-06-15",
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        403,
        "MissingAuthenticationToken",
        "xml",
    ),
    "anonymous SQS routed by path (/sqs_us-east-1/)": Refusal(
        unsigned(
            "/sqs_us-east-1/",
            "Action=ListQueues",
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        403,
        "MissingAuthenticationToken",
        "xml",
    ),
    "anonymous S3 GetObject": Refusal(unsigned_s3_get, 403, "AccessDenied", "xml"),
    "anonymous instance metadata": Refusal(
        unsigned("/latest/meta-data/iam/security-credentials/", method="GET"),
        403,
        "AccessDenied",
        "xml",
    ),
    "anonymous GET with a public-operation target": Refusal(
        unsigned("/bucket/key", headers={"X-Amz-Target": PUBLIC_TARGET}, method="GET"),
        403,
        "MissingAuthenticationTokenException",
        "json",
    ),
    # Last: let through, it empties the emulator (and the rows above would no longer prove much).
    "/moto-api/reset, unsigned": Refusal(
        moto_api("/moto-api/reset", "POST"), 403, "AccessDenied", "json", "", state_intact
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS.values()), ids=list(REFUSALS))
def test_a_request_around_the_iam_check_is_refused(world: World, case: Refusal) -> None:
    response = case.send(world)
    shape, code = error_of(response)
    assert (response.status_code, shape, code) == (case.status, case.shape, case.code), (
        response.text
    )
    message = case.message.format(vault=world.vault, media=world.media, drop=world.drop)
    assert message in response.text
    if case.unchanged is not None:
        case.unchanged(world)


# --- What must keep working -----------------------------------------------------------------


def presigned_get(w: World) -> None:
    url = w.s3().generate_presigned_url("get_object", Params={"Bucket": w.media, "Key": "a.txt"})
    response = httpx.get(url)
    assert response.status_code == 200 and response.content == b"hello"


def presigned_get_of_a_version_as_admin(w: World) -> None:
    url = w.s3((LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY)).generate_presigned_url(
        "get_object", Params={"Bucket": w.media, "Key": "a.txt", "VersionId": w.media_version}
    )
    response = httpx.get(url)
    assert response.status_code == 200 and response.content == b"hello"


def presigned_get_with_a_download_name(w: World) -> None:
    url = w.s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": w.media,
            "Key": "a.txt",
            "ResponseContentDisposition": 'attachment; filename="a b.txt"',
        },
    )
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'attachment; filename="a b.txt"'


def presigned_put_and_get_of_an_awkward_key(w: World) -> None:
    key = "dir/a b+ü!(1)~*'.txt"
    s3 = w.s3()
    put = s3.generate_presigned_url("put_object", Params={"Bucket": w.media, "Key": key})
    assert httpx.put(put, content=b"awkward").status_code == 200
    get = s3.generate_presigned_url("get_object", Params={"Bucket": w.media, "Key": key})
    assert httpx.get(get).content == b"awkward"


def presigned_put_with_a_signed_content_type(w: World) -> None:
    url = w.s3().generate_presigned_url(
        "put_object", Params={"Bucket": w.media, "Key": "typed.txt", "ContentType": "text/plain"}
    )
    response = httpx.put(url, content=b"typed", headers={"Content-Type": "text/plain"})
    assert response.status_code == 200, response.text
    head = w.emulator.client("s3").head_object(Bucket=w.media, Key="typed.txt")
    assert head["ContentType"] == "text/plain"


def presigned_post_from_the_runtime(w: World) -> None:
    post = presign_post(
        w.s3(), bucket=w.media, key="posted.txt", content_type="text/plain", max_bytes=100
    )
    response = httpx.post(
        post.url, data=post.fields, files={"file": ("x.txt", b"posted", "text/plain")}
    )
    assert response.status_code == 204, response.text
    assert w.admin_get(w.media, "posted.txt") == b"posted"


def admin_reads_the_emulators_own_api(w: World) -> None:
    status, body = w.emulator.moto_api("/moto-api/data.json")
    assert status == 200 and b'"s3"' in body


def copy_with_both_grants(w: World) -> None:
    w.s3().copy_object(
        Bucket=w.media, Key="copy.txt", CopySource={"Bucket": w.media, "Key": "a.txt"}
    )
    assert w.admin_get(w.media, "copy.txt") == b"hello"


def upload_part_copy_with_both_grants(w: World) -> None:
    s3 = w.s3()
    upload = s3.create_multipart_upload(Bucket=w.media, Key="parts.bin")["UploadId"]
    part = s3.upload_part_copy(
        Bucket=w.media,
        Key="parts.bin",
        UploadId=upload,
        PartNumber=1,
        CopySource={"Bucket": w.media, "Key": "a.txt"},
    )
    s3.complete_multipart_upload(
        Bucket=w.media,
        Key="parts.bin",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]},
    )
    assert w.admin_get(w.media, "parts.bin") == b"hello"


def sqs_query_get_by_the_app(w: World) -> None:
    response = sqs_query_get("jobs", "Action=SendMessage&MessageBody=by-get")(w)
    assert response.status_code == 200, response.text
    assert "<MessageId>" in response.text
    got = w.emulator.client("sqs").receive_message(QueueUrl=w.jobs).get("Messages", [])
    assert [m["Body"] for m in got] == ["by-get"]


def signed_calls_of_the_app(w: World) -> None:
    ddb = boto3.session.Session(
        aws_access_key_id=w.key[0], aws_secret_access_key=w.key[1], region_name="us-east-1"
    ).client("dynamodb", endpoint_url=w.endpoint)
    ddb.put_item(TableName=w.items, Item={"item_id": {"S": "ok"}})
    assert ddb.get_item(TableName=w.items, Key={"item_id": {"S": "ok"}})["Item"]
    assert w.s3().get_object(Bucket=w.media, Key="a.txt")["Body"].read() == b"hello"


LEGITIMATE: dict[str, Callable[[World], None]] = {
    "presigned GET (SigV4)": presigned_get,
    "presigned GET of a version, by the admin": presigned_get_of_a_version_as_admin,
    "presigned GET with response-content-disposition": presigned_get_with_a_download_name,
    "presigned PUT and GET of a key with spaces, unicode and +!()~*'": presigned_put_and_get_of_an_awkward_key,
    "presigned PUT with a signed Content-Type": presigned_put_with_a_signed_content_type,
    "presigned POST as trellis.runtime.blobs builds it": presigned_post_from_the_runtime,
    "the admin's signed /moto-api/data.json": admin_reads_the_emulators_own_api,
    "CopyObject with s3:GetObject on the source and s3:PutObject on the target": copy_with_both_grants,
    "UploadPartCopy with both grants": upload_part_copy_with_both_grants,
    "the app's own signed DynamoDB and S3 calls": signed_calls_of_the_app,
    "SQS GET signed in the query by the app, on its queue": sqs_query_get_by_the_app,
}


@pytest.mark.parametrize("check", list(LEGITIMATE.values()), ids=list(LEGITIMATE))
def test_the_legitimate_lookalikes_still_work(world: World, check: Callable[[World], None]) -> None:
    check(world)


def test_an_admin_reset_empties_the_emulator_and_keeps_the_admin() -> None:
    emulator = Emulator(port=free_port()).start()
    try:
        s3 = emulator.client("s3")
        s3.create_bucket(Bucket="before-reset")
        assert emulator.moto_api("/moto-api/reset", method="POST")[0] == 200
        # Everything is gone, the administrator (and its key) is not: the emulator stays usable.
        assert s3.list_buckets()["Buckets"] == []
        s3.create_bucket(Bucket="after-reset")
        assert emulator.healthy()
    finally:
        emulator.stop()
