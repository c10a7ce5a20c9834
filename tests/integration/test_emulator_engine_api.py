"""The engine's own API (``/moto-api/``, administrator only) answers whatever state it holds."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from trellis.local.emulator import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, Emulator

pytestmark = pytest.mark.integration


def test_the_state_dump_survives_a_refused_multipart_completion(
    trellis_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    # moto's dump read a property of such an upload outside its try: a 500 for the whole dump.
    s3 = trellis_emulator.client("s3")
    bucket = unique_name("dump")
    s3.create_bucket(Bucket=bucket)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    parts = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(
                Bucket=bucket, Key="big", UploadId=upload, PartNumber=n, Body=b"x" * 10
            )["ETag"],
        }
        for n in (1, 2)
    ]
    with pytest.raises(ClientError, match="EntityTooSmall"):
        s3.complete_multipart_upload(
            Bucket=bucket, Key="big", UploadId=upload, MultipartUpload={"Parts": parts}
        )

    request = AWSRequest(method="GET", url=f"{trellis_emulator.endpoint}/moto-api/data.json")
    SigV4Auth(Credentials(LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY), "s3", "us-east-1").add_auth(request)
    dump = httpx.get(request.url, headers=dict(request.headers), timeout=30)
    assert dump.status_code == 200, dump.text[:500]
    buckets = [b.get("name") for b in dump.json()["s3"]["FakeBucket"]]
    assert bucket in buckets
