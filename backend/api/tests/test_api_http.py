"""The api over HTTP with in-memory DynamoDB and S3 fakes: statuses, error shapes, OpenAPI."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from backend.api.tests.fakes import FakeDynamoDB, FakeHistory, FakeS3, client_error
from backend.api.tests.helpers import make_settings
from fastapi.testclient import TestClient

from api.app import build_app
from api.files import FilesRepository
from api.settings import UploadPolicy
from api.users import UsersRepository
from trellis.runtime import Principal, get_principal

POLICY = UploadPolicy(max_bytes=1000, content_types=frozenset({"text/plain", "image/png"}))


class World:
    def __init__(self) -> None:
        self.db = FakeDynamoDB({"users": "user_id", "files": "file_id"})
        self.s3 = FakeS3()
        self.history = FakeHistory()
        self.clock_value = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
        settings = make_settings(
            users_table_name="users",
            files_table_name="files",
            max_body_bytes=2048,
            aws_endpoint_url="http://127.0.0.1:1",
        )
        self.app = build_app(
            settings,
            users=UsersRepository(self.db, "users", clock=self.clock),  # type: ignore[arg-type]
            files=FilesRepository(
                self.db,  # type: ignore[arg-type]
                self.s3,  # type: ignore[arg-type]
                table_name="files",
                bucket="acme-dev-uploads",
                policy=POLICY,
                clock=self.clock,
            ),
            history=self.history,
            readiness=[],
        )

    def clock(self) -> datetime:
        return self.clock_value


@pytest.fixture
def world() -> World:
    return World()


CALLER = Principal("jwt", "u-test", {"sub": "u-test", "scope": "users:read"})


@pytest.fixture
def http(world: World) -> Iterator[TestClient]:
    # The gateway verified the caller: here the verified caller is given directly.
    world.app.dependency_overrides[get_principal] = lambda: CALLER
    with TestClient(world.app, raise_server_exceptions=False) as client:
        yield client


def test_every_route_but_health_needs_a_verified_caller(world: World) -> None:
    with TestClient(world.app, raise_server_exceptions=False) as client:
        for method, path in (("GET", "/users"), ("POST", "/files"), ("GET", "/me")):
            error = assert_error(client.request(method, path, json={}), 401, "unauthorized")
            assert "authenticated caller" in error["message"]
        assert client.get("/health").status_code == 200


def test_me_is_the_verified_caller(http: TestClient) -> None:
    assert http.get("/me").json() == {"auth": "jwt", "id": "u-test", "scopes": ["users:read"]}


def user(user_id: str = "ada", email: str | None = None) -> dict[str, str]:
    return {"user_id": user_id, "name": "Ada", "email": email or f"{user_id}@example.com"}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]
    return error


# ---------------------------------------------------------------------------- users


def test_create_user_is_201_with_the_user_and_utc_timestamps(http: TestClient) -> None:
    response = http.post("/users", json=user())

    assert response.status_code == 201
    assert response.json() == {
        "user_id": "ada",
        "name": "Ada",
        "email": "ada@example.com",
        "version": 1,
        "created_at": "2026-01-02T03:04:05.000006Z",
        "updated_at": "2026-01-02T03:04:05.000006Z",
    }


def test_create_validation_errors_name_each_field(http: TestClient) -> None:
    response = http.post(
        "/users", json={"user_id": "EMAIL#x", "name": "", "email": "nope", "extra": 1}
    )

    error = assert_error(response, 422, "validation_error")
    locs = {tuple(f["loc"]) for f in error["fields"]}
    assert locs == {
        ("body", "user_id"),
        ("body", "name"),
        ("body", "email"),
        ("body", "extra"),
    }


def test_malformed_json_is_422_with_the_platform_shape(http: TestClient) -> None:
    response = http.post(
        "/users", content=b'{"user_id": ', headers={"content-type": "application/json"}
    )

    error = assert_error(response, 422, "validation_error")
    assert error["message"] == "malformed JSON body"


def test_existing_user_id_and_taken_email_are_409_with_distinct_codes(http: TestClient) -> None:
    http.post("/users", json=user("ada", "ada@example.com"))

    assert_error(http.post("/users", json=user("ada", "new@example.com")), 409, "user_exists")
    assert_error(http.post("/users", json=user("bob", "ADA@example.com")), 409, "email_taken")


def test_get_user_is_one_get_item_on_the_full_key(http: TestClient, world: World) -> None:
    http.post("/users", json=user())
    world.db.calls.clear()

    assert http.get("/users/ada").json()["user_id"] == "ada"

    assert [op for op, _ in world.db.calls] == ["GetItem"]
    assert world.db.calls[0][1]["Key"] == {"user_id": {"S": "ada"}}


def test_missing_user_is_404_json(http: TestClient) -> None:
    assert_error(http.get("/users/ghost"), 404, "not_found")
    assert_error(http.patch("/users/ghost", json={"name": "x", "version": 1}), 404, "not_found")
    assert_error(http.delete("/users/ghost"), 404, "not_found")


def test_patch_needs_the_current_version(http: TestClient) -> None:
    http.post("/users", json=user())

    ok = http.patch("/users/ada", json={"name": "Countess", "version": 1})
    stale = http.patch("/users/ada", json={"name": "Lost", "version": 1})

    assert ok.status_code == 200 and ok.json()["version"] == 2
    assert_error(stale, 409, "version_conflict")
    assert http.get("/users/ada").json()["name"] == "Countess"


def test_patch_without_anything_to_change_is_422(http: TestClient) -> None:
    http.post("/users", json=user())

    assert_error(http.patch("/users/ada", json={"version": 1}), 422, "validation_error")


def test_patch_email_to_a_taken_one_is_409_and_moves_nothing(http: TestClient) -> None:
    http.post("/users", json=user("ada"))
    http.post("/users", json=user("bob"))

    assert_error(
        http.patch("/users/ada", json={"email": "bob@example.com", "version": 1}),
        409,
        "email_taken",
    )
    moved = http.patch("/users/ada", json={"email": "ada2@example.com", "version": 1})
    assert moved.status_code == 200
    # ada's old email is free again
    assert http.post("/users", json=user("carl", "ada@example.com")).status_code == 201


def test_delete_is_204_then_404_and_frees_the_email(http: TestClient) -> None:
    http.post("/users", json=user("ada"))

    deleted = http.delete("/users/ada")

    assert deleted.status_code == 204 and deleted.content == b""
    assert_error(http.get("/users/ada"), 404, "not_found")
    assert http.post("/users", json=user("bob", "ada@example.com")).status_code == 201


def test_listing_pages_through_every_user_once(http: TestClient, world: World) -> None:
    for i in range(7):
        world.clock_value = world.clock_value.replace(microsecond=i)
        http.post("/users", json=user(f"u{i}"))

    seen: list[str] = []
    url = "/users?limit=3"
    while True:
        page = http.get(url).json()
        seen += [u["user_id"] for u in page["items"]]
        if page["next_cursor"] is None:
            break
        url = f"/users?limit=3&cursor={page['next_cursor']}"

    assert seen == [f"u{i}" for i in range(7)]
    limits = [req["Limit"] for op, req in world.db.calls if op == "Query"]
    assert limits == [4, 4, 4]


def test_listing_defaults_to_25_and_refuses_limits_outside_1_to_100(
    http: TestClient, world: World
) -> None:
    assert http.get("/users").json() == {"items": [], "next_cursor": None}
    assert [req["Limit"] for op, req in world.db.calls if op == "Query"] == [26]
    assert_error(http.get("/users?limit=0"), 422, "validation_error")
    assert_error(http.get("/users?limit=101"), 422, "validation_error")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "%%%",
        base64.urlsafe_b64encode(b'[1,["x"]]').decode(),
        base64.urlsafe_b64encode(b'[2,["a","b"]]').decode(),
        base64.urlsafe_b64encode(b'{"user_id": {"S": "x"}}').decode(),
        # Nested past the JSON parser's recursion limit, within the 2048 characters allowed.
        base64.urlsafe_b64encode(b"[" * 1536).decode(),
    ],
    ids=["garbage", "percent", "short", "version", "raw-key", "deep-nesting"],
)
def test_a_bad_cursor_is_400(http: TestClient, world: World, cursor: str) -> None:
    assert_error(http.get("/users", params={"cursor": cursor}), 400, "invalid_cursor")
    assert not [op for op, _ in world.db.calls if op == "Query"]


# ----------------------------------------------------------------------- robustness


def test_a_body_over_the_limit_is_413(http: TestClient) -> None:
    response = http.post("/users", json={**user(), "name": "x" * 4096})

    assert_error(response, 413, "payload_too_large")


def test_unknown_routes_and_methods_answer_json(http: TestClient) -> None:
    assert_error(http.get("/nowhere"), 404, "not_found")
    assert_error(http.put("/users/ada", json={}), 405, "method_not_allowed")


def test_throttling_is_503_with_retry_after(http: TestClient, world: World) -> None:
    world.db.fail_next["GetItem"] = client_error(
        "ProvisionedThroughputExceededException", "GetItem"
    )

    response = http.get("/users/ada")

    assert_error(response, 503, "throttled")
    assert int(response.headers["retry-after"]) >= 1


def test_internal_details_never_reach_the_client(http: TestClient, world: World) -> None:
    world.db.fail_next["GetItem"] = client_error(
        "AccessDeniedException",
        "GetItem",
        Error={
            "Code": "AccessDeniedException",
            "Message": "User arn:aws:iam::123:user/x is not authorized to dynamodb:GetItem",
        },
    )
    denied = http.get("/users/ada")
    world.db.fail_next["GetItem"] = RuntimeError("secret internal detail")  # type: ignore[assignment]
    crashed = http.get("/users/ada")

    assert_error(denied, 500, "access_denied")
    assert_error(crashed, 500, "internal_error")
    for response in (denied, crashed):
        assert "arn:aws" not in response.text and "secret" not in response.text
        assert "Traceback" not in response.text


def test_an_unreachable_dynamodb_is_503_with_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings = make_settings(
        aws_endpoint_url="http://127.0.0.1:1", aws_connect_timeout_s=0.2, aws_max_attempts=1
    )
    app = build_app(settings, readiness=[])
    app.dependency_overrides[get_principal] = lambda: CALLER
    with TestClient(app) as http:
        response = http.get("/users/ada")

    assert_error(response, 503, "dependency_unavailable")
    assert response.headers["retry-after"]


# ---------------------------------------------------------------------------- files


def policy_of(fields: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.b64decode(fields["policy"]))
    return decoded


def test_create_file_signs_an_upload_for_a_server_chosen_key(http: TestClient) -> None:
    response = http.post(
        "/files",
        json={
            "filename": "../../etc/passwd.txt".replace("/", "_"),
            "content_type": "text/plain",
            "size": 120,
        },
    )

    assert response.status_code == 201, response.text
    body = response.json()
    file_id = body["file"]["file_id"]
    assert body["file"]["status"] == "pending" and body["file"]["max_bytes"] == 120
    upload = body["upload"]
    assert upload["method"] == "POST"
    assert upload["fields"]["key"] == f"uploads/{file_id}"
    conditions = policy_of(upload["fields"])["conditions"]
    assert ["content-length-range", 1, 120] in conditions
    assert ["eq", "$Content-Type", "text/plain"] in conditions
    assert {"key": f"uploads/{file_id}"} in conditions
    expires = datetime.fromisoformat(policy_of(upload["fields"])["expiration"])
    assert (expires - datetime.now(UTC)).total_seconds() <= POLICY.upload_expiry_s + 5


def test_create_file_refuses_what_the_policy_does_not_allow(http: TestClient, world: World) -> None:
    too_big = http.post(
        "/files", json={"filename": "a.txt", "content_type": "text/plain", "size": 1001}
    )
    bad_type = http.post(
        "/files", json={"filename": "a.sh", "content_type": "application/x-sh", "size": 10}
    )
    path = http.post(
        "/files", json={"filename": "../a.txt", "content_type": "text/plain", "size": 10}
    )

    assert assert_error(too_big, 422, "validation_error")["fields"][0]["loc"] == ["body", "size"]
    assert assert_error(bad_type, 422, "validation_error")["fields"][0]["loc"] == [
        "body",
        "content_type",
    ]
    assert assert_error(path, 422, "validation_error")["fields"][0]["loc"] == ["body", "filename"]
    assert world.db.tables["files"] == {}


def test_file_is_pending_then_ready_with_a_download_url(http: TestClient, world: World) -> None:
    created = http.post(
        "/files", json={"filename": "pic.png", "content_type": "image/png", "size": 10}
    ).json()
    file_id = created["file"]["file_id"]

    pending = http.get(f"/files/{file_id}").json()
    assert pending["status"] == "pending" and pending["download_url"] is None

    item = world.db.tables["files"][file_id]
    item.update(
        status={"S": "ready"},
        size={"N": "10"},
        checksum={"S": "sha256:" + "0" * 64},
        stored_content_type={"S": "image/png"},
        ready_at={"S": "2026-01-02T03:04:06.000000Z"},
    )
    ready = http.get(f"/files/{file_id}").json()

    assert ready["status"] == "ready" and ready["size"] == 10
    assert ready["ready_at"] == "2026-01-02T03:04:06Z"
    assert f"uploads/{file_id}" in ready["download_url"]
    assert "X-Amz-Signature" in ready["download_url"]


def test_rejected_file_shows_the_reason(http: TestClient, world: World) -> None:
    created = http.post(
        "/files", json={"filename": "pic.png", "content_type": "image/png", "size": 10}
    ).json()
    file_id = created["file"]["file_id"]
    world.db.tables["files"][file_id].update(
        status={"S": "rejected"}, reason={"S": "object larger than max_bytes"}
    )

    rejected = http.get(f"/files/{file_id}").json()

    assert rejected["status"] == "rejected" and rejected["reason"]
    assert rejected["download_url"] is None


def test_delete_file_removes_object_and_record(http: TestClient, world: World) -> None:
    file_id = http.post(
        "/files", json={"filename": "a.txt", "content_type": "text/plain", "size": 1}
    ).json()["file"]["file_id"]

    assert http.delete(f"/files/{file_id}").status_code == 204

    assert world.s3.deleted == [("acme-dev-uploads", f"uploads/{file_id}")]
    assert_error(http.get(f"/files/{file_id}"), 404, "not_found")
    assert_error(http.get("/files/not-a-file-id"), 422, "validation_error")


def test_files_list_pages_like_users(http: TestClient, world: World) -> None:
    ids = []
    for i in range(5):
        world.clock_value = world.clock_value.replace(microsecond=i)
        ids.append(
            http.post(
                "/files", json={"filename": f"{i}.txt", "content_type": "text/plain", "size": 1}
            ).json()["file"]["file_id"]
        )

    first = http.get("/files?limit=2").json()
    second = http.get("/files", params={"limit": 4, "cursor": first["next_cursor"]}).json()

    assert [f["file_id"] for f in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None
    assert_error(http.get("/files?cursor=nope"), 400, "invalid_cursor")


# -------------------------------------------------------------------------- history


def test_every_change_is_recorded_with_its_version_and_caller(http: TestClient) -> None:
    http.post("/users", json=user("ada"))
    http.patch("/users/ada", json={"name": "Ada King", "version": 1})
    http.delete("/users/ada")

    history = http.get("/users/ada/history").json()

    assert [(e["version"], e["action"], e["changes"]) for e in history["items"]] == [
        (1, "created", {"name": "Ada", "email": "ada@example.com"}),
        (2, "updated", {"name": "Ada King"}),
        (3, "deleted", {}),
    ]
    assert {e["actor"] for e in history["items"]} == {"u-test"}
    assert history["next_cursor"] is None


def test_a_refused_change_records_nothing(http: TestClient, world: World) -> None:
    http.post("/users", json=user("ada"))

    assert_error(
        http.patch("/users/ada", json={"name": "x", "version": 7}), 409, "version_conflict"
    )
    assert_error(http.delete("/users/ghost"), 404, "not_found")
    assert_error(http.post("/users", json=user("ada")), 409, "user_exists")

    assert [(e.user_id, e.action) for e in world.history.entries] == [("ada", "created")]


def test_history_pages_follow_the_cursor(http: TestClient) -> None:
    http.post("/users", json=user("ada"))
    for version in range(1, 6):
        http.patch("/users/ada", json={"name": f"Ada {version}", "version": version})

    first = http.get("/users/ada/history", params={"limit": 4}).json()
    second = http.get("/users/ada/history", params={"limit": 4, "cursor": first["next_cursor"]})

    versions = [e["version"] for e in first["items"] + second.json()["items"]]
    assert versions == [1, 2, 3, 4, 5, 6]
    assert second.json()["next_cursor"] is None
    assert_error(http.get("/users/ada/history?cursor=-1"), 400, "invalid_cursor")


def test_without_an_audit_database_changes_work_and_history_is_a_404() -> None:
    world = World()
    settings = world.app.state.deps.settings.model_copy(update={"audit_database_url": None})
    app = build_app(
        settings,
        users=UsersRepository(world.db, "users", clock=world.clock),  # type: ignore[arg-type]
        readiness=[],
    )
    app.dependency_overrides[get_principal] = lambda: CALLER
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/users", json=user("ada")).status_code == 201
        assert_error(client.get("/users/ada/history"), 404, "not_found")
        assert "/users/{user_id}/history" not in client.get("/openapi.json").json()["paths"]


# -------------------------------------------------------------------------- OpenAPI


def test_openapi_documents_every_error_each_operation_can_return(http: TestClient) -> None:
    schema = http.get("/openapi.json").json()
    paths = schema["paths"]
    expected = {
        ("post", "/users"): {"201", "400", "409", "413", "422", "500", "503"},
        ("get", "/users"): {"200", "400", "413", "422", "500", "503"},
        ("get", "/users/{user_id}"): {"200", "404", "422", "503"},
        ("patch", "/users/{user_id}"): {"200", "404", "409", "422", "503"},
        ("delete", "/users/{user_id}"): {"204", "404", "409", "503"},
        ("get", "/users/{user_id}/history"): {"200", "400", "422", "503"},
        ("post", "/files"): {"201", "400", "413", "422", "503"},
        ("get", "/files"): {"200", "400", "422", "503"},
        ("get", "/files/{file_id}"): {"200", "404", "503"},
        ("delete", "/files/{file_id}"): {"204", "404", "503"},
    }
    for (method, path), statuses in expected.items():
        responses = paths[path][method]["responses"]
        assert statuses <= set(responses), (method, path, sorted(responses))
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/TrellisErrorResponse", (path, status)
    components = schema["components"]["schemas"]
    for model in (
        "UserCreate",
        "UserUpdate",
        "UserPublic",
        "UserPage",
        "HistoryPage",
        "HistoryEntry",
        "FileCreate",
        "FileCreated",
        "FilePublic",
        "FilePage",
        "TrellisErrorResponse",
    ):
        assert model in components, model
    assert "HTTPValidationError" not in components
