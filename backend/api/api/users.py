"""Users in DynamoDB: one item per user, one uniqueness item per email, in one table.

Item layout of the ``users`` table (hash key ``user_id``)::

    user_id=<id>            name, email, version, created_at, updated_at,
                            list_pk="USER", list_sk="<created_at>#<id>"
    user_id=EMAIL#<email>   owner=<id>

- A read is one ``GetItem`` on the full key.
- Creating puts the user *and* its email item in one ``TransactWriteItems``,
  each with ``attribute_not_exists``: an existing id or a taken email cancels
  the whole write (409), however many requests race.
- Every change is conditional on ``version`` (optimistic locking) and bumps
  it; changing the email moves the email item in the same transaction.
- Listing queries the sparse GSI ``by_created`` (only user items carry
  ``list_pk``) with ``Limit`` and ``ExclusiveStartKey``: a page reads at most
  ``limit + 1`` items whatever the table holds, in creation order.

User ids never contain ``#`` (see :data:`api.models.USER_ID_PATTERN`), so no
client can address an email item.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Protocol

from api.models import UserCreate, UserUpdate
from trellis.runtime import Conflict, NotFound, aws_errors
from trellis.runtime.tables import (
    CursorCodec,
    Page,
    TransactionCancelled,
    item_as_it_was,
    marshal_item,
    query_page,
    transact_write,
    unmarshal_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

LIST_INDEX: Final = "by_created"
LIST_PARTITION: Final = "USER"
EMAIL_PREFIX: Final = "EMAIL#"
_PUBLIC_FIELDS: Final = ("user_id", "name", "email", "version", "created_at", "updated_at")
#: Attempts of a delete that keeps losing to concurrent changes before it gives up (409).
_DELETE_ATTEMPTS: Final = 3

CURSOR = CursorCodec(
    {"user_id": "S", "list_pk": "S", "list_sk": "S"},
    fixed={"list_pk": {"S": LIST_PARTITION}},
)


class UserExists(Conflict):
    code = "user_exists"
    default_message = "a user with this user_id already exists"


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = "this email is already used by another user"


class VersionConflict(Conflict):
    code = "version_conflict"
    default_message = "the user was changed since this version; read it again"


class UserNotFound(NotFound):
    default_message = "user not found"


def utcnow() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """Fixed-width UTC ISO-8601 (``2026-01-02T03:04:05.000006Z``): sorts as it reads."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class UserStore(Protocol):
    """What the routes need from a users store (the DynamoDB one, or a fake in tests)."""

    def create(self, new: UserCreate) -> dict[str, Any]: ...
    def get(self, user_id: str) -> dict[str, Any]: ...
    def update(self, user_id: str, change: UserUpdate) -> dict[str, Any]: ...
    def delete(self, user_id: str) -> dict[str, Any]: ...
    def list(self, limit: int, cursor: str | None) -> Page: ...


def public(item: dict[str, Any]) -> dict[str, Any]:
    """The user's public fields (no key-design attributes)."""
    return {name: item[name] for name in _PUBLIC_FIELDS}


class UsersRepository:
    """The users table, through the low-level DynamoDB client."""

    def __init__(
        self,
        dynamodb: DynamoDBClient,
        table_name: str,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = dynamodb
        self._table = table_name
        self._clock = clock

    # ------------------------------------------------------------------ reads

    def get(self, user_id: str) -> dict[str, Any]:
        """The user, or :class:`UserNotFound`."""
        item = self._get_item(user_id)
        if item is None:
            raise UserNotFound()
        return public(item)

    def list(self, limit: int, cursor: str | None) -> Page:
        """One page of users in creation order; ``limit + 1`` items read at most."""
        page = query_page(
            self._db,
            table_name=self._table,
            index_name=LIST_INDEX,
            partition=("list_pk", LIST_PARTITION),
            codec=CURSOR,
            limit=limit,
            cursor=cursor,
        )
        return Page([public(i) for i in page.items], page.next_cursor, page.scanned_count)

    # ----------------------------------------------------------------- writes

    def create(self, new: UserCreate) -> dict[str, Any]:
        """Store a new user; :class:`UserExists` or :class:`EmailTaken` if it cannot be."""
        now = timestamp(self._clock())
        user = {
            "user_id": new.user_id,
            "name": new.name,
            "email": new.email,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "list_pk": LIST_PARTITION,
            "list_sk": f"{now}#{new.user_id}",
        }
        try:
            transact_write(
                self._db,
                [self._put_new(user), self._put_new(self._email_item(new.email, new.user_id))],
                resource=self._table,
            )
        except TransactionCancelled as exc:
            if exc.failed(0):
                raise UserExists() from exc
            if exc.failed(1):
                raise EmailTaken() from exc
            raise
        return public(user)

    def update(self, user_id: str, change: UserUpdate) -> dict[str, Any]:
        """Apply ``change`` if the user is still at ``change.version``; bump the version."""
        current = self._get_item(user_id)
        if current is None:
            raise UserNotFound()
        if current["version"] != change.version:
            raise VersionConflict()
        updated = {
            **current,
            "name": change.name if change.name is not None else current["name"],
            "email": change.email if change.email is not None else current["email"],
            "version": current["version"] + 1,
            "updated_at": timestamp(self._clock()),
        }
        update = self._update_user(current, updated)
        if updated["email"] == current["email"]:
            try:
                with aws_errors("UpdateItem", self._table):
                    self._db.update_item(**update, ReturnValuesOnConditionCheckFailure="ALL_OLD")
            except Conflict as exc:
                seen = item_as_it_was(exc)
                if seen is None or unmarshal_item(seen) != updated:
                    raise self._lost_race(user_id) from exc
                # This call's own update: its answer was lost and the SDK sent it again.
            return public(updated)

        try:
            transact_write(
                self._db,
                [
                    {"Update": update},
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": self._key(EMAIL_PREFIX + current["email"]),
                            "ConditionExpression": "#owner = :owner",
                            "ExpressionAttributeNames": {"#owner": "owner"},
                            "ExpressionAttributeValues": {":owner": {"S": user_id}},
                        }
                    },
                    self._put_new(self._email_item(updated["email"], user_id)),
                ],
                resource=self._table,
            )
        except TransactionCancelled as exc:
            if exc.failed(2):
                raise EmailTaken() from exc
            raise self._lost_race(user_id) from exc
        return public(updated)

    def delete(self, user_id: str) -> dict[str, Any]:
        """Delete the user and free its email; the user as it was deleted.

        :class:`UserNotFound` if there is none.
        """
        for _ in range(_DELETE_ATTEMPTS):
            current = self._get_item(user_id)
            if current is None:
                raise UserNotFound()
            try:
                transact_write(
                    self._db,
                    [
                        {
                            "Delete": {
                                "TableName": self._table,
                                "Key": self._key(user_id),
                                # The email freed below is the one this version holds.
                                "ConditionExpression": "version = :v",
                                "ExpressionAttributeValues": {":v": {"N": str(current["version"])}},
                            }
                        },
                        {
                            "Delete": {
                                "TableName": self._table,
                                "Key": self._key(EMAIL_PREFIX + current["email"]),
                                "ConditionExpression": "#owner = :owner",
                                "ExpressionAttributeNames": {"#owner": "owner"},
                                "ExpressionAttributeValues": {":owner": {"S": user_id}},
                            }
                        },
                    ],
                    resource=self._table,
                )
            except TransactionCancelled:
                continue  # changed or deleted meanwhile: look again
            return public(current)
        raise Conflict("the user keeps changing; retry the delete")

    # ---------------------------------------------------------------- helpers

    def _key(self, user_id: str) -> dict[str, Any]:
        return {"user_id": {"S": user_id}}

    def _get_item(self, user_id: str) -> dict[str, Any] | None:
        with aws_errors("GetItem", self._table):
            response = self._db.get_item(
                TableName=self._table, Key=self._key(user_id), ConsistentRead=True
            )
        item = response.get("Item")
        return unmarshal_item(item) if item else None

    def _put_new(self, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": marshal_item(item),
                "ConditionExpression": "attribute_not_exists(user_id)",
            }
        }

    def _email_item(self, email: str, user_id: str) -> dict[str, Any]:
        return {"user_id": EMAIL_PREFIX + email, "owner": user_id}

    def _update_user(self, current: dict[str, Any], updated: dict[str, Any]) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Key": self._key(current["user_id"]),
            "UpdateExpression": "SET #name = :name, email = :email, version = :next, "
            "updated_at = :updated_at",
            "ConditionExpression": "version = :expected",
            "ExpressionAttributeNames": {"#name": "name"},
            "ExpressionAttributeValues": {
                ":name": {"S": updated["name"]},
                ":email": {"S": updated["email"]},
                ":next": {"N": str(updated["version"])},
                ":updated_at": {"S": updated["updated_at"]},
                ":expected": {"N": str(current["version"])},
            },
        }

    def _lost_race(self, user_id: str) -> Exception:
        """The error for a conditional write that lost: gone (404) or changed (409)."""
        return UserNotFound() if self._get_item(user_id) is None else VersionConflict()
