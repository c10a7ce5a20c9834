"""The one place services get boto3 clients from.

Clients are built on first use, once per service name, with the region, the
emulator's endpoint override, standard retries and explicit timeouts from the
settings; warm Lambda invocations reuse them. Nothing here imports boto3
until a client is actually requested, so a handler that never talks to AWS
never pays for it (``import boto3`` ≈ 240 ms on a cold start).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, cast

from trellis.runtime._settings import ServiceSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient

__all__ = ["AwsClients", "clients_for"]


class _SessionHolder:
    """A boto3 session shared by an :class:`AwsClients` and its derivatives.

    boto3 sessions are not thread-safe, so both the session's creation and
    every ``session.client(...)`` call happen under one lock.
    """

    def __init__(self, session: Any | None) -> None:
        self._session = session
        self._made = False
        self.lock = threading.RLock()

    def reset(self) -> None:
        """Forget a session this holder made (a given one, e.g. a test's fake, is kept)."""
        with self.lock:
            if self._made:
                self._session = None

    def get(self) -> Any:
        with self.lock:
            if self._session is None:
                self._made = True
                self._session = new_session()
            return self._session


#: botocore's data loaders by data path, shared by the sessions this module makes.
_LOADERS: dict[str | None, Any] = {}
_LOADERS_LOCK = threading.Lock()


def new_session(**options: Any) -> Any:
    """A boto3 session (``options`` as boto3's ``Session`` takes them: credentials,
    region) over the process's one data loader.

    Each new botocore session reads and decodes the service models, endpoints and
    partitions again (about 30 ms per client); the data never changes within a process,
    so sessions made later (a test's, one after a SnapStart restore) reuse what the
    first one read. Credentials, region and configuration stay the session's own.
    """
    import boto3.session
    import botocore.loaders
    import botocore.session

    core = botocore.session.get_session()
    data_path = core.get_config_variable("data_path")
    with _LOADERS_LOCK:
        loader = _LOADERS.get(data_path)
        if loader is None:
            loader = _LOADERS[data_path] = botocore.loaders.create_loader(data_path)
    core.register_component("data_loader", loader)
    return boto3.session.Session(botocore_session=core, **options)


class AwsClients:
    """Lazily built, cached boto3 clients configured from :class:`ServiceSettings`.

    ``AwsClients(settings).dynamodb`` builds the DynamoDB client on first
    access and returns the same client afterwards; clients are thread-safe
    once built. Pass ``session`` (anything with boto3's
    ``Session.client(service_name, **kwargs)``) to substitute a fake in tests.
    """

    def __init__(self, settings: ServiceSettings, *, session: Any | None = None) -> None:
        self.settings = settings
        self._holder = _SessionHolder(session)
        self._clients: dict[str, Any] = {}
        from trellis.runtime._snapstart import track_clients

        track_clients(self)

    def __repr__(self) -> str:
        return f"AwsClients(region={self.settings.aws_region!r}, built={sorted(self._clients)})"

    def client(self, service_name: str) -> Any:
        """The client for ``service_name`` (``"sqs"``, ``"dynamodb"``, ...), built once."""
        client = self._clients.get(service_name)
        if client is not None:
            return client
        with self._holder.lock:
            client = self._clients.get(service_name)
            if client is None:
                client = self._build(service_name)
                self._clients[service_name] = client
            return client

    def reset(self) -> None:
        """Drop the built clients and the session: the next use builds them again.

        After a SnapStart restore (:mod:`trellis.runtime._snapstart`): the clients'
        connections and the session's credentials were made before the snapshot.
        """
        with self._holder.lock:
            self._clients.clear()
            self._holder.reset()

    def with_options(
        self,
        *,
        connect_timeout_s: float | None = None,
        read_timeout_s: float | None = None,
        max_attempts: int | None = None,
    ) -> AwsClients:
        """A sibling with other timeouts or attempts (e.g. one fast attempt for health probes).

        It shares the session (credentials, loaders) but builds its own clients.
        """
        update: dict[str, Any] = {}
        if connect_timeout_s is not None:
            update["aws_connect_timeout_s"] = connect_timeout_s
        if read_timeout_s is not None:
            update["aws_read_timeout_s"] = read_timeout_s
        if max_attempts is not None:
            update["aws_max_attempts"] = max_attempts
        sibling = AwsClients(self.settings.model_copy(update=update))
        sibling._holder = self._holder
        return sibling

    def _build(self, service_name: str) -> Any:
        from botocore.config import Config

        from trellis.runtime._tracing import instrument_botocore

        # Tracing instruments botocore only now: a cold start that makes no AWS call
        # (GET /health) never imports it.
        instrument_botocore()

        settings = self.settings
        options: dict[str, Any] = {
            # "standard" retries transient errors and throttling with jittered
            # backoff. botocore's own "max_attempts" key counts retries only (one
            # more call than it says): "total_max_attempts" counts the first call,
            # as TRELLIS_AWS_MAX_ATTEMPTS does.
            "retries": {"mode": "standard", "total_max_attempts": settings.aws_max_attempts},
            "connect_timeout": settings.aws_connect_timeout_s,
            "read_timeout": settings.aws_read_timeout_s,
            # One connection per consumer thread plus the receiving loop and the
            # service's own requests; botocore's default of 10 made a 16-thread
            # consumer discard and reopen connections on every call.
            "max_pool_connections": max(10, settings.consumer_concurrency + 2),
        }
        if service_name == "s3":
            # Presigned URLs must be SigV4; against the emulator at 127.0.0.1
            # virtual-hosted style (bucket.127.0.0.1) cannot resolve.
            options["signature_version"] = "s3v4"
            if settings.aws_endpoint_url:
                options["s3"] = {"addressing_style": "path"}
        return self._holder.get().client(
            service_name,
            region_name=settings.aws_region,
            endpoint_url=settings.aws_endpoint_url,
            config=Config(**options),
        )

    @property
    def sqs(self) -> SQSClient:
        """The SQS client."""
        return cast("SQSClient", self.client("sqs"))

    @property
    def dynamodb(self) -> DynamoDBClient:
        """The DynamoDB (low-level) client."""
        return cast("DynamoDBClient", self.client("dynamodb"))

    @property
    def s3(self) -> S3Client:
        """The S3 client (path-style addressing when an endpoint override is set)."""
        return cast("S3Client", self.client("s3"))

    @property
    def sns(self) -> SNSClient:
        """The SNS client."""
        return cast("SNSClient", self.client("sns"))

    @property
    def secretsmanager(self) -> SecretsManagerClient:
        """The Secrets Manager client."""
        return cast("SecretsManagerClient", self.client("secretsmanager"))

    @property
    def ssm(self) -> SSMClient:
        """The SSM (Parameter Store) client."""
        return cast("SSMClient", self.client("ssm"))

    @property
    def events(self) -> EventBridgeClient:
        """The EventBridge client."""
        return cast("EventBridgeClient", self.client("events"))


# Keyed by identity: settings are built once per process, and holding the
# settings object in the value keeps its id from being reused.
_by_settings: dict[int, tuple[ServiceSettings, AwsClients]] = {}
_by_settings_lock = threading.Lock()


def clients_for(settings: ServiceSettings) -> AwsClients:
    """The process-wide :class:`AwsClients` for ``settings``, reused across warm invocations."""
    with _by_settings_lock:
        entry = _by_settings.get(id(settings))
        if entry is None:
            entry = (settings, AwsClients(settings))
            _by_settings[id(settings)] = entry
        return entry[1]
