"""S3 as AWS documents it: names and keys, conditional requests, ranges, multipart, listings, errors.

The operations are the ones the blobs adapter, the upload flow (presigned
PUT/POST, then the object-created event), the health checks and provisioning use.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.conformance._aws import MIB, Aws, doc, name, rejects, succeeds

pytestmark = [pytest.mark.integration, pytest.mark.conformance]

API = "https://docs.aws.amazon.com/AmazonS3/latest/API/"
GUIDE = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
ERRORS = API + "ErrorResponses.html"
PART = 5 * MIB


@pytest.fixture(scope="module")
def s3(aws: Aws) -> Any:
    return aws.client("s3")


@pytest.fixture(scope="module")
def bucket(s3: Any) -> str:
    bucket_name = name("conf")
    s3.create_bucket(Bucket=bucket_name)
    return bucket_name


def status_of(response: dict[str, Any]) -> int:
    return int(response["ResponseMetadata"]["HTTPStatusCode"])


@doc(API + "API_GetObject.html", says="NoSuchKey (404): the specified key does not exist.")
def test_getting_a_missing_key(s3: Any, bucket: str) -> None:
    rejects(s3, "NoSuchKey", lambda: s3.get_object(Bucket=bucket, Key=name("missing")), status=404)


@doc(
    API + "API_HeadObject.html",
    says="A HEAD request has no body: a missing object is a bare 404 Not Found.",
)
def test_heading_a_missing_key(s3: Any, bucket: str) -> None:
    rejects(s3, "404", lambda: s3.head_object(Bucket=bucket, Key=name("missing")), status=404)


@doc(ERRORS, says="NoSuchBucket (404): the specified bucket does not exist.")
def test_a_missing_bucket(s3: Any) -> None:
    missing = name("missing")
    rejects(s3, "NoSuchBucket", lambda: s3.get_object(Bucket=missing, Key="k"), status=404)
    rejects(s3, "NoSuchBucket", lambda: s3.list_objects_v2(Bucket=missing), status=404)
    rejects(
        s3, "NoSuchBucket", lambda: s3.put_object(Bucket=missing, Key="k", Body=b"x"), status=404
    )
    rejects(s3, "404", lambda: s3.head_bucket(Bucket=missing), status=404)


@doc(
    API + "API_CreateBucket.html",
    says="If you create a bucket that you already own in us-east-1, Amazon S3 returns 200 OK.",
)
def test_recreating_an_owned_bucket_in_us_east_1(s3: Any, bucket: str) -> None:
    succeeds(lambda: s3.create_bucket(Bucket=bucket))


@pytest.mark.parametrize(
    "bucket_name",
    [
        pytest.param("Upper-Case", id="upper-case"),
        pytest.param("under_score", id="underscore"),
        pytest.param("ab", id="2-characters"),
        pytest.param("b" * 64, id="64-characters"),
        pytest.param("192.168.5.4", id="an-ip-address"),
        pytest.param("-leading-hyphen", id="leading-hyphen"),
        pytest.param("two..periods", id="adjacent-periods"),
    ],
)
@doc(
    GUIDE + "bucketnamingrules.html",
    says="Bucket names must be between 3 and 63 characters long, consist only of lowercase letters, "
    "numbers, periods and hyphens, begin and end with a letter or number, not contain two adjacent "
    "periods, and not be formatted as an IP address (InvalidBucketName).",
)
def test_invalid_bucket_names_are_refused(s3: Any, bucket_name: str) -> None:
    rejects(s3, "InvalidBucketName", lambda: s3.create_bucket(Bucket=bucket_name), status=400)


@doc(
    GUIDE + "object-keys.html",
    says="The object key name is a sequence of Unicode characters with UTF-8 encoding of up to 1,024 "
    "bytes long (KeyTooLongError: your key is too long).",
)
def test_a_key_over_1024_bytes_is_refused(s3: Any, bucket: str) -> None:
    succeeds(lambda: s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"x"))
    rejects(
        s3,
        "KeyTooLongError",
        lambda: s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x"),
        status=400,
    )
    # Bytes, not characters: 342 three-byte characters are 1,026 bytes.
    rejects(
        s3,
        "KeyTooLongError",
        lambda: s3.put_object(Bucket=bucket, Key="€" * 342, Body=b"x"),
        status=400,
    )


@doc(
    API + "API_PutObject.html",
    says="If-None-Match: uploads the object only if the object key name does not already exist in the "
    "bucket; otherwise 412 Precondition Failed.",
)
def test_a_conditional_create(s3: Any, bucket: str) -> None:
    key = name("k")
    succeeds(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"first", IfNoneMatch="*"))
    rejects(
        s3,
        "PreconditionFailed",
        lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"second", IfNoneMatch="*"),
        status=412,
    )
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"first"


@doc(
    API + "API_GetObject.html",
    says="If-Match: return the object only if its ETag matches, otherwise 412 Precondition Failed; "
    "If-None-Match: return it only if its ETag differs, otherwise 304 Not Modified.",
)
def test_conditional_gets(s3: Any, bucket: str) -> None:
    key = name("k")
    etag = s3.put_object(Bucket=bucket, Key=key, Body=b"x")["ETag"]
    rejects(
        s3,
        "PreconditionFailed",
        lambda: s3.get_object(Bucket=bucket, Key=key, IfMatch='"nope"'),
        status=412,
    )
    rejects(s3, "304", lambda: s3.get_object(Bucket=bucket, Key=key, IfNoneMatch=etag), status=304)
    assert s3.get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"].read() == b"x"


@doc(
    API + "API_GetObject.html",
    says="Range: downloads the specified byte range of an object (206 Partial Content, Content-Range); "
    "a range that cannot be satisfied is InvalidRange (416).",
)
def test_ranges(s3: Any, bucket: str) -> None:
    key = name("k")
    s3.put_object(Bucket=bucket, Key=key, Body=b"hello")
    part = s3.get_object(Bucket=bucket, Key=key, Range="bytes=1-3")
    assert status_of(part) == 206
    assert part["ContentRange"] == "bytes 1-3/5"
    assert part["Body"].read() == b"ell"
    rejects(
        s3,
        "InvalidRange",
        lambda: s3.get_object(Bucket=bucket, Key=key, Range="bytes=10-20"),
        status=416,
    )


@doc(
    API + "API_DeleteObject.html",
    says="If there isn't a null version, Amazon S3 does not remove any objects but will still respond that the command was successful (204).",
)
def test_deleting_a_missing_key_succeeds(s3: Any, bucket: str) -> None:
    assert status_of(s3.delete_object(Bucket=bucket, Key=name("missing"))) == 204


@doc(
    API + "API_DeleteObjects.html",
    says="The request can contain a list of up to 1,000 keys (MalformedXML beyond).",
)
def test_delete_objects_takes_at_most_1000_keys(s3: Any, bucket: str) -> None:
    keys = [{"Key": f"k{i}"} for i in range(1001)]
    rejects(
        s3,
        "MalformedXML",
        lambda: s3.delete_objects(Bucket=bucket, Delete={"Objects": keys}),
        status=400,
    )


@doc(
    API + "API_ListObjectsV2.html",
    says="MaxKeys limits the number of keys returned; KeyCount is the number returned; IsTruncated and "
    "NextContinuationToken continue the listing; keys are listed in UTF-8 binary order.",
)
def test_listing_pages(s3: Any) -> None:
    bucket_name = name("conf")
    s3.create_bucket(Bucket=bucket_name)
    for key in ["b", "a", "c/1", "c/2", "d"]:
        s3.put_object(Bucket=bucket_name, Key=key, Body=b"x")
    keys, token = [], None
    while True:
        page = s3.list_objects_v2(
            Bucket=bucket_name, MaxKeys=2, **({"ContinuationToken": token} if token else {})
        )
        assert page["KeyCount"] == len(page.get("Contents", []))
        keys += [o["Key"] for o in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert keys == ["a", "b", "c/1", "c/2", "d"]
    grouped = s3.list_objects_v2(Bucket=bucket_name, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["c/"]
    assert grouped["KeyCount"] == 4


@doc(
    API + "API_CopyObject.html",
    says="Copying an object to itself is refused (InvalidRequest) unless the request changes the "
    "metadata, storage class, website redirect location or encryption attributes.",
)
def test_copying_an_object_onto_itself(s3: Any, bucket: str) -> None:
    key = name("k")
    s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    source = {"Bucket": bucket, "Key": key}
    rejects(
        s3,
        "InvalidRequest",
        lambda: s3.copy_object(Bucket=bucket, Key=key, CopySource=source),
        status=400,
    )
    succeeds(
        lambda: s3.copy_object(
            Bucket=bucket,
            Key=key,
            CopySource=source,
            Metadata={"a": "b"},
            MetadataDirective="REPLACE",
        )
    )


@doc(
    GUIDE + "versioning-workflows.html",
    says="With versioning, each PUT of a key creates a new version with its own version ID; GET with a "
    "versionId returns that version.",
)
def test_versions(s3: Any) -> None:
    bucket_name = name("conf")
    s3.create_bucket(Bucket=bucket_name)
    s3.put_bucket_versioning(Bucket=bucket_name, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket_name, Key="k", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=bucket_name, Key="k", Body=b"two")["VersionId"]
    assert first != second
    assert s3.get_object(Bucket=bucket_name, Key="k", VersionId=first)["Body"].read() == b"one"
    assert s3.get_object(Bucket=bucket_name, Key="k")["Body"].read() == b"two"


# --- Multipart uploads ------------------------------------------------------------------------------

MULTIPART_LIMITS = GUIDE + "qfacts.html"


@pytest.fixture
def upload(s3: Any, bucket: str) -> tuple[str, str]:
    key = name("mp")
    return key, s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]


@doc(MULTIPART_LIMITS, says="Part numbers: 1 to 10,000 (inclusive).")
def test_part_numbers_run_from_1_to_10000(s3: Any, bucket: str, upload: tuple[str, str]) -> None:
    key, upload_id = upload
    rejects(
        s3,
        "InvalidArgument",
        lambda: s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=10001, Body=b"x"
        ),
        status=400,
    )


@doc(
    MULTIPART_LIMITS,
    says="Part size: 5 MiB to 5 GiB. There is no minimum size limit on the last part of your multipart upload.",
)
def test_parts_but_the_last_are_at_least_5_mib(
    s3: Any, bucket: str, upload: tuple[str, str]
) -> None:
    key, upload_id = upload
    parts = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n, Body=b"x" * 100
            )["ETag"],
        }
        for n in (1, 2)
    ]
    rejects(
        s3,
        "EntityTooSmall",
        lambda: s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        ),
        status=400,
    )


@doc(
    API + "API_CompleteMultipartUpload.html",
    says="InvalidPart: one or more of the specified parts could not be found, or the specified entity "
    "tag might not have matched the part's entity tag. InvalidPartOrder: the list of parts was not in "
    "ascending order.",
)
def test_completing_with_wrong_or_unordered_parts(
    s3: Any, bucket: str, upload: tuple[str, str]
) -> None:
    key, upload_id = upload
    etags = {
        n: s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n, Body=b"x" * PART
        )["ETag"]
        for n in (1, 2)
    }

    def complete(parts: list[dict[str, Any]]) -> Any:
        return s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )

    rejects(s3, "InvalidPart", lambda: complete([{"PartNumber": 1, "ETag": '"0123"'}]), status=400)
    unordered = [{"PartNumber": 2, "ETag": etags[2]}, {"PartNumber": 1, "ETag": etags[1]}]
    rejects(s3, "InvalidPartOrder", lambda: complete(unordered), status=400)
    done = succeeds(lambda: complete([{"PartNumber": n, "ETag": etags[n]} for n in (1, 2)]))
    assert done["ETag"].endswith('-2"')
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == 2 * PART


@doc(
    API + "API_UploadPart.html",
    says="NoSuchUpload (404): the specified multipart upload does not exist; the upload ID might be "
    "invalid, or the multipart upload might have been aborted or completed.",
)
def test_an_unknown_or_aborted_upload(s3: Any, bucket: str, upload: tuple[str, str]) -> None:
    key, upload_id = upload
    rejects(
        s3,
        "NoSuchUpload",
        lambda: s3.upload_part(Bucket=bucket, Key=key, UploadId="nope", PartNumber=1, Body=b"x"),
        status=404,
    )
    s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    rejects(
        s3,
        "NoSuchUpload",
        lambda: s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"x"),
        status=404,
    )
    rejects(
        s3,
        "NoSuchUpload",
        lambda: s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": []}
        ),
        status=404,
    )
