"""The users repository against DynamoDB (the emulator): conditions, transactions, pages."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from backend.api.tests.helpers import Stack

from api.models import UserCreate, UserUpdate
from api.users import (
    EMAIL_PREFIX,
    EmailTaken,
    UserExists,
    UserNotFound,
    UsersRepository,
    VersionConflict,
)
from trellis.runtime import AwsClients
from trellis.runtime.tables import InvalidCursor
from trellis.testing import AnswerDroppingProxy

pytestmark = pytest.mark.integration


def repo(stack: Stack) -> UsersRepository:
    return UsersRepository(stack.clients.dynamodb, stack.settings.users_table_name)


def new(user_id: str, email: str | None = None, name: str = "Ada") -> UserCreate:
    return UserCreate(user_id=user_id, name=name, email=email or f"{user_id}@example.com")


def raw_item(stack: Stack, key: str) -> dict[str, Any] | None:
    response = stack.admin("dynamodb").get_item(
        TableName=stack.settings.users_table_name, Key={"user_id": {"S": key}}
    )
    return response.get("Item")


def test_create_then_get_returns_the_user_with_utc_timestamps(stack: Stack) -> None:
    users = repo(stack)
    created = users.create(new("ada", "Ada@Example.com"))

    assert users.get("ada") == created
    assert created["email"] == "ada@example.com"  # compared case-insensitively
    assert created["version"] == 1
    assert created["created_at"].endswith("Z") and created["created_at"] == created["updated_at"]
    assert raw_item(stack, EMAIL_PREFIX + "ada@example.com") is not None


def test_create_never_overwrites_an_existing_user_id(stack: Stack) -> None:
    users = repo(stack)
    users.create(new("ada", name="First"))

    with pytest.raises(UserExists) as exc:
        users.create(new("ada", "other@example.com", name="Second"))

    assert exc.value.status == 409
    assert users.get("ada")["name"] == "First"
    # The transaction was all or nothing: the second email was not claimed.
    assert raw_item(stack, EMAIL_PREFIX + "other@example.com") is None


def test_create_refuses_an_email_another_user_has(stack: Stack) -> None:
    users = repo(stack)
    users.create(new("ada", "shared@example.com"))

    with pytest.raises(EmailTaken):
        users.create(new("bob", "SHARED@example.com"))

    with pytest.raises(UserNotFound):
        users.get("bob")


def test_concurrent_creates_with_one_email_let_exactly_one_through(stack: Stack) -> None:
    users = repo(stack)
    for round_ in range(5):
        email = f"race{round_}@example.com"
        barrier = threading.Barrier(4)
        outcomes: list[str] = []

        def create(
            user_id: str,
            email: str = email,
            barrier: threading.Barrier = barrier,
            outcomes: list[str] = outcomes,
        ) -> None:
            barrier.wait()
            try:
                users.create(new(user_id, email))
                outcomes.append("created")
            except EmailTaken:
                outcomes.append("email_taken")

        threads = [threading.Thread(target=create, args=(f"r{round_}-{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(outcomes) == ["created"] + ["email_taken"] * 3, outcomes
        owner = raw_item(stack, EMAIL_PREFIX + email)
        assert owner is not None
        assert users.get(owner["owner"]["S"])["email"] == email


def test_update_with_the_current_version_bumps_it(stack: Stack) -> None:
    users = repo(stack)
    users.create(new("ada"))

    updated = users.update("ada", UserUpdate(name="Countess", version=1))

    assert updated["name"] == "Countess" and updated["version"] == 2
    assert users.get("ada") == updated


def test_update_with_a_stale_version_is_a_conflict_and_changes_nothing(stack: Stack) -> None:
    users = repo(stack)
    users.create(new("ada"))
    users.update("ada", UserUpdate(name="Second", version=1))

    with pytest.raises(VersionConflict):
        users.update("ada", UserUpdate(name="Lost update", version=1))

    assert users.get("ada")["name"] == "Second"


def test_concurrent_updates_from_one_version_let_exactly_one_through(stack: Stack) -> None:
    users = repo(stack)
    users.create(new("ada"))
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def update(name: str) -> None:
        barrier.wait()
        try:
            users.update("ada", UserUpdate(name=name, version=1))
            outcomes.append("updated")
        except VersionConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=update, args=(f"n{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict"] * 3 + ["updated"]
    assert users.get("ada")["version"] == 2


def test_email_change_moves_the_uniqueness_item(stack: Stack) -> None:
    users = repo(stack)
    users.create(new("ada", "old@example.com"))

    users.update("ada", UserUpdate(email="new@example.com", version=1))

    assert raw_item(stack, EMAIL_PREFIX + "old@example.com") is None
    assert raw_item(stack, EMAIL_PREFIX + "new@example.com")["owner"] == {"S": "ada"}  # type: ignore[index]
    users.create(new("bob", "old@example.com"))  # the old email is free again


def test_email_change_to_a_taken_email_is_refused_atomically(stack: Stack) -> None:
    users = repo(stack)
    users.create(new("ada", "ada@example.com"))
    users.create(new("bob", "bob@example.com"))

    with pytest.raises(EmailTaken):
        users.update("ada", UserUpdate(name="Renamed", email="bob@example.com", version=1))

    ada = users.get("ada")
    assert (ada["name"], ada["email"], ada["version"]) == ("Ada", "ada@example.com", 1)
    assert raw_item(stack, EMAIL_PREFIX + "ada@example.com")["owner"] == {"S": "ada"}  # type: ignore[index]


def test_update_and_delete_of_a_missing_user_are_not_found(stack: Stack) -> None:
    users = repo(stack)

    with pytest.raises(UserNotFound):
        users.update("ghost", UserUpdate(name="x", version=1))
    with pytest.raises(UserNotFound):
        users.delete("ghost")


def test_delete_removes_the_user_and_frees_the_email(stack: Stack) -> None:
    users = repo(stack)
    users.create(new("ada", "ada@example.com"))

    users.delete("ada")

    with pytest.raises(UserNotFound):
        users.get("ada")
    assert raw_item(stack, EMAIL_PREFIX + "ada@example.com") is None
    users.create(new("bob", "ada@example.com"))


def test_pages_cover_every_user_once_in_creation_order_reading_at_most_limit_plus_one(
    stack: Stack,
) -> None:
    users = repo(stack)
    created = [users.create(new(f"u{i:02d}"))["user_id"] for i in range(23)]

    seen: list[str] = []
    scanned: list[int] = []
    cursor = None
    while True:
        page = users.list(5, cursor)
        seen += [u["user_id"] for u in page.items]
        scanned.append(page.scanned_count)
        assert len(page.items) <= 5
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == created  # no skip, no repeat, email items never listed
    assert len(scanned) == 5  # 5+5+5+5+3: no empty trailing page
    assert max(scanned) <= 6


def test_page_work_stays_bounded_by_the_page_size_as_the_table_grows(stack: Stack) -> None:
    users = repo(stack)
    table = stack.settings.users_table_name
    # Fill fast with BatchWriteItem; same item shape as `create` writes.
    items = [
        {
            "user_id": {"S": f"bulk{i:04d}"},
            "name": {"S": "Bulk"},
            "email": {"S": f"bulk{i:04d}@example.com"},
            "version": {"N": "1"},
            "created_at": {"S": f"2026-01-01T00:00:00.{i:06d}Z"},
            "updated_at": {"S": f"2026-01-01T00:00:00.{i:06d}Z"},
            "list_pk": {"S": "USER"},
            "list_sk": {"S": f"2026-01-01T00:00:00.{i:06d}Z#bulk{i:04d}"},
        }
        for i in range(300)
    ]
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        stack.admin("dynamodb").batch_write_item(RequestItems={table: batch})

    first = users.list(10, None)
    second = users.list(10, first.next_cursor)

    assert first.scanned_count <= 11 and second.scanned_count <= 11
    assert [u["user_id"] for u in first.items + second.items] == [f"bulk{i:04d}" for i in range(20)]


def test_a_tampered_cursor_is_refused_before_dynamodb_sees_it(stack: Stack) -> None:
    users = repo(stack)
    users.create(new("ada"))
    users.create(new("bob"))
    cursor = users.list(1, None).next_cursor
    assert cursor is not None

    with pytest.raises(InvalidCursor):
        users.list(1, cursor[:-3] + "xyz")
    with pytest.raises(InvalidCursor):
        users.list(1, "not-a-cursor")


def test_an_update_whose_answer_was_lost_is_not_a_version_conflict(stack: Stack) -> None:
    # The SDK sends the update again after losing its answer; the retry meets the version
    # the first attempt wrote and must not be told it lost to someone else (409).
    with AnswerDroppingProxy(stack.emulator.endpoint) as proxy:
        settings = stack.settings.model_copy(update={"aws_endpoint_url": proxy.endpoint})
        users = UsersRepository(AwsClients(settings).dynamodb, settings.users_table_name)
        users.create(new("ada"))
        proxy.drop_next("UpdateItem")

        updated = users.update("ada", UserUpdate(name="Ada L.", version=1))

        assert proxy.seen.count("UpdateItem") == 2
    assert (updated["name"], updated["version"]) == ("Ada L.", 2)
    assert repo(stack).get("ada") == updated
    # Someone else's update at that version is still a conflict.
    with pytest.raises(VersionConflict):
        repo(stack).update("ada", UserUpdate(name="Other", version=1))


def test_a_create_whose_answer_was_lost_is_not_a_taken_id(stack: Stack) -> None:
    # A transaction: the SDK's ClientRequestToken makes the retry succeed, on AWS as here.
    with AnswerDroppingProxy(stack.emulator.endpoint) as proxy:
        settings = stack.settings.model_copy(update={"aws_endpoint_url": proxy.endpoint})
        users = UsersRepository(AwsClients(settings).dynamodb, settings.users_table_name)
        proxy.drop_next("TransactWriteItems")

        created = users.create(new("grace"))

        assert proxy.seen.count("TransactWriteItems") == 2
    assert repo(stack).get("grace") == created
