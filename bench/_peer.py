"""Another emulator already running, seen through the small part of ``Emulator`` the IAM tests use."""

from __future__ import annotations

from typing import Any

from trellis.local.emulator import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY

#: Start the peer with this key as its root caller (MiniStack: AWS_ACCESS_KEY_ID=testing).
PEER_ROOT = (LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY)


class Peer:
    def __init__(self, endpoint: str, region: str = "us-east-1") -> None:
        self.endpoint = endpoint.rstrip("/")
        self.region = region

    def client(
        self,
        service: str,
        *,
        read_timeout_s: float = 30,
        max_attempts: int = 3,
        credentials: tuple[str, str] | None = None,
    ) -> Any:
        import boto3
        from botocore.config import Config

        key, secret = credentials or PEER_ROOT
        return boto3.client(
            service,  # type: ignore[call-overload]
            region_name=self.region,
            endpoint_url=self.endpoint,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(
                retries={"mode": "standard", "max_attempts": max_attempts},
                read_timeout=read_timeout_s,
                s3={"addressing_style": "path"},
                signature_version="s3v4" if service == "s3" else None,
            ),
        )

    def healthy(self) -> bool:
        return True

    def moto_api(self, path: str, **_: Any) -> tuple[int, bytes]:
        return 404, b""

    def stop(self) -> None:
        return None
