from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.requests import Request

from trellis.runtime import (
    AwsClients,
    ClientsDep,
    NotFound,
    ReadinessCheck,
    ServiceSettings,
    SettingsDep,
    Throttled,
    add_openapi_patch,
    create_app,
    default_readiness_checks,
    error_responses,
)
from trellis.runtime._middleware import BodySizeLimitMiddleware


class ApiSettings(ServiceSettings):
    users_table_name: str
    jobs_queue_url: str


class SecretInternalModel(BaseModel):
    email: str
    age: int


@pytest.fixture
def settings(settings_factory: Any) -> ApiSettings:
    settings: ApiSettings = settings_factory(
        ApiSettings,
        users_table_name="acme-test-users",
        jobs_queue_url="http://127.0.0.1:5000/000000000000/acme-test-jobs",
        max_body_bytes=1024,
    )
    return settings


@pytest.fixture
def clients(settings: ApiSettings, fake_session: Any) -> AwsClients:
    return AwsClients(settings, session=fake_session)


def _add_routes(app: FastAPI, make_client_error: Callable[..., Exception]) -> None:
    @app.get("/users/{user_id}")
    def read_user(user_id: int) -> dict[str, Any]:
        raise NotFound(f"user {user_id} not found")

    @app.post("/users")
    def create_user(body: SecretInternalModel) -> dict[str, Any]:
        return body.model_dump()

    @app.get("/busy")
    def busy() -> None:
        raise Throttled()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("password=hunter2 in /srv/app/internal.py")

    @app.put("/leaky")
    def leaky() -> None:
        raise make_client_error("ConditionalCheckFailedException", operation="PutItem")

    @app.get("/deps")
    def deps(settings: SettingsDep, clients: ClientsDep) -> dict[str, Any]:
        return {"service": settings.trellis_service, "clients": type(clients).__name__}

    @app.post("/echo-size")
    async def echo_size(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}


@pytest.fixture
def app(
    settings: ApiSettings, clients: AwsClients, make_client_error: Callable[..., Exception]
) -> FastAPI:
    app = create_app(settings, clients=clients, readiness=[])
    _add_routes(app, make_client_error)
    return app


@pytest.fixture
def http(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def _log_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


# ------------------------------------------------------------------ liveness, readiness


def test_health_is_ok_without_touching_aws(http: TestClient, fake_session: Any) -> None:
    response = http.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "api"}
    assert fake_session.created == []


def test_ready_reports_every_check_ok(settings: ApiSettings, clients: AwsClients) -> None:
    app = create_app(
        settings,
        clients=clients,
        readiness=[ReadinessCheck("users_table", lambda: None), ReadinessCheck("cache", dict)],
    )

    response = TestClient(app).get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"users_table": "ok", "cache": "ok"}}


def test_ready_is_503_with_retry_after_naming_the_failed_check(
    settings: ApiSettings, clients: AwsClients
) -> None:
    def broken() -> None:
        raise ConnectionError("10.0.3.7:6379 refused")

    app = create_app(
        settings,
        clients=clients,
        readiness=[ReadinessCheck("users_table", lambda: None), ReadinessCheck("cache", broken)],
    )

    response = TestClient(app).get("/ready", headers={"x-request-id": "probe-1"})

    assert response.status_code == 503
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["error"]["code"] == "dependency_unavailable"
    assert body["error"]["request_id"] == "probe-1"
    assert "cache" in body["error"]["message"]
    assert body["checks"] == {"users_table": "ok", "cache": "dependency_unavailable"}
    assert "10.0.3.7" not in response.text


def test_default_checks_are_derived_from_resource_fields(
    settings: ApiSettings, clients: AwsClients, fake_session: Any
) -> None:
    checks = default_readiness_checks(settings, clients)
    for check in checks:
        check.check()

    assert [check.name for check in checks] == ["users_table", "jobs_queue"]
    assert fake_session.clients["dynamodb"].calls == [
        ("describe_table", {"TableName": "acme-test-users"})
    ]
    assert fake_session.clients["sqs"].calls == [
        (
            "get_queue_attributes",
            {"QueueUrl": settings.jobs_queue_url, "AttributeNames": ["QueueArn"]},
        )
    ]


def test_default_checks_cover_every_resource_kind(settings_factory: Any, fake_session: Any) -> None:
    class Everything(ServiceSettings):
        uploads_bucket_name: str
        alerts_topic_arn: str
        api_key_secret_arn: str
        flags_parameter_name: str
        optional_table_name: str | None = None

    settings = settings_factory(
        Everything,
        uploads_bucket_name="b",
        alerts_topic_arn="arn:t",
        api_key_secret_arn="arn:s",
        flags_parameter_name="/acme/test/flags",
    )
    for check in default_readiness_checks(settings, AwsClients(settings, session=fake_session)):
        check.check()

    calls = {name: client.calls for name, client in fake_session.clients.items()}
    assert calls == {
        "s3": [("head_bucket", {"Bucket": "b"})],
        "sns": [("get_topic_attributes", {"TopicArn": "arn:t"})],
        "secretsmanager": [("describe_secret", {"SecretId": "arn:s"})],
        "ssm": [("get_parameter", {"Name": "/acme/test/flags"})],
    }


def test_default_ready_probes_with_one_fast_attempt_and_hides_resource_names(
    settings: ApiSettings,
    clients: AwsClients,
    fake_session: Any,
    make_client_error: Callable[..., Exception],
) -> None:
    app = create_app(settings, clients=clients)
    fake_session.client("dynamodb").errors["describe_table"] = make_client_error(
        "ResourceNotFoundException",
        operation="DescribeTable",
        message="Requested resource not found: Table: acme-test-users not found",
    )
    fake_session.created.clear()

    response = TestClient(app).get("/ready")

    assert response.status_code == 503
    assert "retry-after" in response.headers
    assert response.json()["checks"] == {
        "users_table": "dependency_unavailable",
        "jobs_queue": "ok",
    }
    assert "acme-test-users" not in response.text
    probe_configs = [kwargs["config"] for _, kwargs in fake_session.created]
    assert probe_configs
    assert all(config.retries["total_max_attempts"] == 1 for config in probe_configs)


def test_a_hung_check_times_out_instead_of_hanging_ready(
    settings: ApiSettings, clients: AwsClients, release: threading.Event
) -> None:
    app = create_app(
        settings,
        clients=clients,
        readiness=[ReadinessCheck("slow", lambda: release.wait(10), timeout_s=0.1)],
    )

    started = time.monotonic()
    response = TestClient(app).get("/ready")

    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.json()["checks"] == {"slow": "dependency_unavailable"}


def test_readiness_checks_run_concurrently(
    settings: ApiSettings, clients: AwsClients, release: threading.Event
) -> None:
    barrier = threading.Barrier(3, timeout=5)
    checks = [ReadinessCheck(f"c{i}", barrier.wait) for i in range(3)]
    app = create_app(settings, clients=clients, readiness=checks)

    response = TestClient(app).get("/ready")

    # Sequential checks would break the barrier (each waits for the other two).
    assert response.status_code == 200


def test_duplicate_check_names_are_rejected(settings: ApiSettings, clients: AwsClients) -> None:
    with pytest.raises(ValueError, match="unique"):
        create_app(
            settings,
            clients=clients,
            readiness=[ReadinessCheck("a", dict), ReadinessCheck("a", dict)],
        )


# ------------------------------------------------------------------------- error shape


def test_platform_error_renders_its_status_code_and_request_id(http: TestClient) -> None:
    response = http.get("/users/7", headers={"x-request-id": "req-123"})

    assert response.status_code == 404
    assert response.headers["x-request-id"] == "req-123"
    assert response.json() == {
        "error": {"code": "not_found", "message": "user 7 not found", "request_id": "req-123"}
    }


def test_throttled_error_sets_retry_after(http: TestClient) -> None:
    response = http.get("/busy")

    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == "throttled"


def test_validation_error_lists_each_field(http: TestClient) -> None:
    response = http.post("/users", json={"email": 5}, headers={"x-request-id": "v-1"})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["request_id"] == "v-1"
    assert {tuple(field["loc"]) for field in error["fields"]} == {
        ("body", "email"),
        ("body", "age"),
    }
    assert all(field["message"] for field in error["fields"])


def test_validation_messages_do_not_name_internal_models(http: TestClient) -> None:
    response = http.post("/users", json=["not", "an", "object"])

    assert response.status_code == 422
    assert "SecretInternalModel" not in response.text


def test_path_parameter_validation_error_is_422(http: TestClient) -> None:
    response = http.get("/users/abc")

    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["loc"] == ["path", "user_id"]


def test_malformed_json_is_422_in_the_error_shape(http: TestClient) -> None:
    response = http.post(
        "/users", content=b'{"email": ', headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == "malformed JSON body"
    assert error["request_id"] == response.headers["x-request-id"]


def test_unknown_route_is_404_json(http: TestClient) -> None:
    response = http.get("/nope")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["request_id"] == response.headers["x-request-id"]


def test_wrong_method_is_405_json_with_allow(http: TestClient) -> None:
    response = http.delete("/health")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["allow"]


def test_a_405_allows_every_method_of_the_path_across_routers(
    settings: ApiSettings, clients: AwsClients
) -> None:
    # Starlette names the first matching route's methods only; the path has three here.
    items = APIRouter(prefix="/items")

    @items.get("/{item_id}")
    def read(item_id: str) -> dict[str, str]:
        return {"id": item_id}

    @items.patch("/{item_id}")
    def change(item_id: str) -> dict[str, str]:
        return {"id": item_id}

    more = APIRouter()

    @more.delete("/items/{item_id}")
    def remove(item_id: str) -> None:
        return None

    app = create_app(settings, clients=clients, readiness=[])
    app.include_router(items)
    app.include_router(more)
    with TestClient(app) as client:
        response = client.put("/items/1")

    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, PATCH"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_error_responses_document_a_routes_statuses_in_the_platform_shape(
    settings: ApiSettings, clients: AwsClients
) -> None:
    app = create_app(settings, clients=clients, readiness=[])

    @app.get("/things/{thing_id}", responses=error_responses(404, (409, "Taken")))
    def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    responses = app.openapi()["paths"]["/things/{thing_id}"]["get"]["responses"]
    ref = {"$ref": "#/components/schemas/TrellisErrorResponse"}
    assert responses["404"]["description"] == "Not Found"
    assert responses["409"]["description"] == "Taken"
    assert responses["409"]["content"]["application/json"]["schema"] == ref


def test_openapi_patches_run_once_in_order_after_the_platforms(
    settings: ApiSettings, clients: AwsClients
) -> None:
    app = create_app(settings, clients=clients, readiness=[])
    calls: list[str] = []

    def first(schema: dict[str, Any]) -> None:
        assert "TrellisErrorResponse" in schema["components"]["schemas"]
        calls.append("first")

    add_openapi_patch(app, first)
    add_openapi_patch(app, lambda schema: calls.append("second"))

    assert app.openapi() is app.openapi()
    assert calls == ["first", "second"]


def test_unhandled_exception_is_a_generic_500_and_logged_with_traceback(
    http: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    response = http.get("/boom", headers={"x-request-id": "boom-1"})

    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "internal error", "request_id": "boom-1"}
    }
    assert "Traceback" not in response.text
    assert "hunter2" not in response.text
    logged = [
        line
        for line in _log_lines(capsys.readouterr().out)
        if line["event"] == "request.unhandled_exception"
    ]
    assert len(logged) == 1
    assert logged[0]["request_id"] == "boom-1"
    assert "Traceback" in logged[0]["exception"]


def test_aws_error_that_escaped_an_adapter_is_translated(http: TestClient) -> None:
    response = http.put("/leaky")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_openapi_documents_the_error_responses(http: TestClient) -> None:
    schema = http.get("/openapi.json").json()
    responses = schema["paths"]["/users"]["post"]["responses"]

    assert {"400", "413", "422", "500", "503"} <= set(responses)
    ref = responses["422"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/TrellisErrorResponse"
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_openapi_keeps_error_bodies_a_route_documents_itself(app: FastAPI) -> None:
    class Busy(BaseModel):
        retry_in_s: int

    @app.get("/custom", responses={503: {"model": Busy}})
    def custom() -> dict[str, str]:
        return {}

    schema = TestClient(app).get("/openapi.json").json()
    busy = schema["paths"]["/custom"]["get"]["responses"]["503"]

    assert busy["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Busy"


# ----------------------------------------------------------------------------- request id


def test_request_id_from_header_is_echoed(http: TestClient) -> None:
    response = http.get("/health", headers={"x-request-id": "abc.DEF_1-2"})

    assert response.headers["x-request-id"] == "abc.DEF_1-2"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "semi;colon", ""])
def test_unsafe_request_id_is_replaced_by_a_generated_one(http: TestClient, bad: str) -> None:
    response = http.get("/health", headers={"x-request-id": bad})

    generated = response.headers["x-request-id"]
    assert generated != bad
    assert len(generated) == 32
    int(generated, 16)


def test_request_id_is_generated_when_absent(http: TestClient) -> None:
    first = http.get("/health").headers["x-request-id"]
    second = http.get("/health").headers["x-request-id"]

    assert first != second
    assert len(first) == 32


def test_request_logging_emits_one_json_line_with_request_id(
    http: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    http.get("/users/3", headers={"x-request-id": "log-1"})

    lines = [line for line in _log_lines(capsys.readouterr().out) if line["event"] == "request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "log-1"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/users/3", 404)
    assert isinstance(line["duration_ms"], float)
    assert line["service"] == "api"


# ------------------------------------------------------------------------------- body size


def test_declared_content_length_over_the_limit_is_413(http: TestClient) -> None:
    response = http.post("/echo-size", content=b"x" * 1025, headers={"x-request-id": "big-1"})

    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["code"], error["request_id"]) == ("payload_too_large", "big-1")


def test_body_at_the_limit_is_accepted(http: TestClient) -> None:
    response = http.post("/echo-size", content=b"x" * 1024)

    assert response.status_code == 200
    assert response.json() == {"size": 1024}


def test_streamed_body_over_the_limit_is_413(http: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(5):
            yield b"x" * 300

    response = http.post("/echo-size", content=chunks())

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_streamed_body_into_a_validated_model_is_413_not_400(http: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"email": "'
        for _ in range(5):
            yield b"x" * 300
        yield b'", "age": 1}'

    response = http.post("/users", content=chunks(), headers={"content-type": "application/json"})

    assert response.status_code == 413


def test_body_limit_counts_chunks_without_content_length() -> None:
    received: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            received.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    messages = iter(
        [
            {"type": "http.request", "body": b"a" * 6, "more_body": True},
            {"type": "http.request", "body": b"b" * 6, "more_body": True},
            {"type": "http.request", "body": b"c" * 6, "more_body": False},
        ]
    )
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    middleware = BodySizeLimitMiddleware(app, max_body_bytes=10)
    asyncio.run(middleware({"type": "http", "headers": []}, receive, send))

    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == "payload_too_large"
    assert received == [b"a" * 6]  # stopped reading at the chunk that crossed the limit


# ---------------------------------------------------------------------------- dependencies


def test_dependency_aliases_give_routes_the_apps_settings_and_clients(http: TestClient) -> None:
    assert http.get("/deps").json() == {"service": "api", "clients": "AwsClients"}


def test_create_app_uses_process_clients_when_none_are_given(settings: ApiSettings) -> None:
    from trellis.runtime import clients_for

    app = create_app(settings, readiness=[])

    assert app.state.clients is clients_for(settings)
    assert app.title == "acme-api"


def test_buckets_the_service_may_only_write_are_not_probed(
    settings_factory: Any, fake_session: Any
) -> None:
    class Writer(ServiceSettings):
        drop_box_bucket_name: str
        media_bucket_name: str

    settings = settings_factory(
        Writer,
        drop_box_bucket_name="d",
        media_bucket_name="m",
        trellis_write_only_buckets="drop-box",
    )

    checks = default_readiness_checks(settings, AwsClients(settings, session=fake_session))

    assert [check.name for check in checks] == ["media_bucket"]
