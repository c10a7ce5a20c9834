from __future__ import annotations

import socket
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3.session
import pytest

from trellis.runtime import AwsClients, clients_for

EMULATOR = "http://127.0.0.1:5000"


def test_no_client_is_built_until_one_is_asked_for(
    settings_factory: Any, fake_session: Any
) -> None:
    AwsClients(settings_factory(), session=fake_session)

    assert fake_session.created == []


def test_a_client_is_built_once_and_reused(settings_factory: Any, fake_session: Any) -> None:
    clients = AwsClients(settings_factory(), session=fake_session)

    first = clients.client("sqs")
    second = clients.sqs

    assert first is second
    assert [name for name, _ in fake_session.created] == ["sqs"]


def test_typed_properties_build_the_named_service_clients(
    settings_factory: Any, fake_session: Any
) -> None:
    clients = AwsClients(settings_factory(), session=fake_session)

    built = [
        clients.sqs,
        clients.dynamodb,
        clients.s3,
        clients.sns,
        clients.secretsmanager,
        clients.ssm,
        clients.events,
    ]

    assert [c.service_name for c in built] == [
        "sqs",
        "dynamodb",
        "s3",
        "sns",
        "secretsmanager",
        "ssm",
        "events",
    ]


def test_concurrent_first_use_builds_a_single_client(
    settings_factory: Any, fake_session: Any
) -> None:
    clients = AwsClients(settings_factory(), session=fake_session)
    # Widen the race window: every builder sleeps inside session.client().
    fake_session.before_create = lambda: time.sleep(0.01)
    start = threading.Barrier(8)
    results: list[Any] = []

    def build() -> None:
        start.wait()
        results.append(clients.client("dynamodb"))

    threads = [threading.Thread(target=build) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(fake_session.created) == 1
    assert all(result is results[0] for result in results)


def test_region_endpoint_override_retries_and_timeouts_are_applied(
    settings_factory: Any, fake_session: Any
) -> None:
    settings = settings_factory(
        aws_region="eu-west-1",
        aws_endpoint_url=EMULATOR,
        aws_connect_timeout_s=1.5,
        aws_read_timeout_s=7.0,
        aws_max_attempts=4,
    )

    AwsClients(settings, session=fake_session).client("dynamodb")

    (name, kwargs), *_ = fake_session.created
    config = kwargs["config"]
    assert name == "dynamodb"
    assert kwargs["region_name"] == "eu-west-1"
    assert kwargs["endpoint_url"] == EMULATOR
    assert config.retries == {"mode": "standard", "total_max_attempts": 4}
    assert (config.connect_timeout, config.read_timeout) == (1.5, 7.0)


def test_no_endpoint_override_leaves_the_aws_default_endpoint(
    settings_factory: Any, fake_session: Any
) -> None:
    AwsClients(settings_factory(), session=fake_session).client("sqs")

    assert fake_session.created[0][1]["endpoint_url"] is None


def test_s3_uses_path_style_and_sigv4_with_an_endpoint_override(
    settings_factory: Any, fake_session: Any
) -> None:
    AwsClients(settings_factory(aws_endpoint_url=EMULATOR), session=fake_session).client("s3")

    config = fake_session.created[0][1]["config"]
    assert config.s3 == {"addressing_style": "path"}
    assert config.signature_version == "s3v4"


def test_s3_keeps_default_addressing_against_aws(settings_factory: Any, fake_session: Any) -> None:
    AwsClients(settings_factory(), session=fake_session).client("s3")

    config = fake_session.created[0][1]["config"]
    assert not (config.s3 or {}).get("addressing_style")
    assert config.signature_version == "s3v4"


def test_presigned_url_against_the_emulator_is_path_style_sigv4(settings_factory: Any) -> None:
    # A real botocore client; presigning is local computation, no request is sent.
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    clients = AwsClients(settings_factory(aws_endpoint_url=EMULATOR), session=session)

    url = clients.s3.generate_presigned_url(
        "get_object", Params={"Bucket": "acme-test-uploads", "Key": "a.txt"}, ExpiresIn=60
    )

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == EMULATOR
    assert parts.path == "/acme-test-uploads/a.txt"
    assert parse_qs(parts.query)["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]


def test_with_options_shares_the_session_but_builds_its_own_clients(
    settings_factory: Any, fake_session: Any
) -> None:
    clients = AwsClients(settings_factory(), session=fake_session)
    probes = clients.with_options(connect_timeout_s=0.5, read_timeout_s=1.0, max_attempts=1)

    clients.client("sqs")
    probes.client("sqs")

    (_, normal), (_, probe) = fake_session.created
    assert normal["config"].retries["total_max_attempts"] == 3
    assert probe["config"].retries == {"mode": "standard", "total_max_attempts": 1}
    assert (probe["config"].connect_timeout, probe["config"].read_timeout) == (0.5, 1.0)


def test_clients_for_returns_one_instance_per_settings_object(settings_factory: Any) -> None:
    settings = settings_factory()
    other = settings_factory()

    assert clients_for(settings) is clients_for(settings)
    assert clients_for(other) is not clients_for(settings)
    assert clients_for(settings).settings is settings


@pytest.mark.parametrize("name", ["sqs", "s3"])
def test_real_boto3_clients_carry_the_configured_region_and_endpoint(
    settings_factory: Any, name: str
) -> None:
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    settings = settings_factory(aws_region="eu-west-1", aws_endpoint_url=EMULATOR)

    client = AwsClients(settings, session=session).client(name)

    assert client.meta.region_name == "eu-west-1"
    assert client.meta.endpoint_url == EMULATOR


def test_a_later_clients_session_reads_no_model_again_and_keeps_its_own_credentials(
    settings_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each test (and a SnapStart restore) makes new AwsClients: botocore would read and
    # decode the service model, endpoints and partitions again for each new session.
    import botocore.loaders

    settings = settings_factory(aws_endpoint_url=EMULATOR)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "first")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "first-secret")
    first = AwsClients(settings).dynamodb
    reads: list[str] = []
    real_load = botocore.loaders.JSONFileLoader.load_file

    def counted(self: Any, file_path: str) -> Any:
        reads.append(file_path)
        return real_load(self, file_path)

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", counted)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "second")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "second-secret")
    second = AwsClients(settings).dynamodb

    assert reads == []
    assert first.meta.service_model.service_name == second.meta.service_model.service_name
    assert first._request_signer._credentials.access_key == "first"
    assert second._request_signer._credentials.access_key == "second"


class SilentServer:
    """Reads each request and never answers: every call times out, and each one is counted."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.requests = 0
        self._open: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self._open.append(connection)
            if connection.recv(65536):
                self.requests += 1

    def close(self) -> None:
        self.socket.close()
        for connection in self._open:
            connection.close()


@pytest.mark.parametrize("attempts", [1, 2])
def test_max_attempts_counts_the_first_call(settings_factory: Any, attempts: int) -> None:
    # botocore's "max_attempts" key counts retries: a setting of 1 made two calls, so a
    # conditional write whose answer was lost to a timeout ran again and failed its own
    # condition (a fresh job answered 409).
    server = SilentServer()
    try:
        settings = settings_factory(
            aws_endpoint_url=server.endpoint,
            aws_read_timeout_s=0.2,
            aws_max_attempts=attempts,
        )
        session = boto3.session.Session(aws_access_key_id="k", aws_secret_access_key="s")
        client = AwsClients(settings, session=session).client("dynamodb")

        with pytest.raises(Exception, match="Read timeout"):
            client.get_item(TableName="t", Key={"pk": {"S": "a"}})
        time.sleep(0.1)  # the last request may still be on its way in

        assert server.requests == attempts
    finally:
        server.close()
