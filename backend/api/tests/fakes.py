"""In-memory stand-ins for the DynamoDB and S3 clients (no I/O), for unit tests.

``FakeDynamoDB`` understands exactly the request shapes the api's
repositories send: key lookups, the condition forms ``attribute_exists(a)``,
``attribute_not_exists(a)`` and ``a = :v`` joined by ``AND``, ``SET`` update
expressions, all-or-nothing ``TransactWriteItems`` with per-item cancellation
reasons, and ``Query`` on one partition of a GSI with ``Limit`` and
``ExclusiveStartKey``. Errors are real botocore ``ClientError`` s shaped like
DynamoDB's, so the repositories' translation is exercised as in production.
"""

from __future__ import annotations

import copy
import re
import threading
from typing import Any

import boto3
from botocore.exceptions import ClientError

Item = dict[str, dict[str, Any]]


def client_error(code: str, operation: str, **extra: Any) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": code},
        "ResponseMetadata": {"HTTPStatusCode": 400},
        **extra,
    }
    return ClientError(response, operation)  # type: ignore[arg-type]


class FakeDynamoDB:
    """One or more tables of ``key_name`` → item, with a GSI ``(hash, range)`` each."""

    def __init__(self, tables: dict[str, str], index: tuple[str, str] = ("list_pk", "list_sk")):
        self.key_names = tables
        self.tables: dict[str, dict[str, Item]] = {name: {} for name in tables}
        self.index = index
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_next: dict[str, ClientError] = {}
        self._lock = threading.Lock()

    # ----------------------------------------------------------- operations

    def get_item(self, **request: Any) -> dict[str, Any]:
        self._record("GetItem", request)
        item = self._table(request).get(self._key(request))
        return {"Item": copy.deepcopy(item)} if item else {}

    def put_item(self, **request: Any) -> dict[str, Any]:
        self._record("PutItem", request)
        with self._lock:
            self._check(request, self._existing(request), "PutItem")
            self._apply_put(request)
        return {}

    def update_item(self, **request: Any) -> dict[str, Any]:
        self._record("UpdateItem", request)
        with self._lock:
            self._check(request, self._existing(request), "UpdateItem")
            self._apply_update(request)
        return {}

    def delete_item(self, **request: Any) -> dict[str, Any]:
        self._record("DeleteItem", request)
        with self._lock:
            self._check(request, self._existing(request), "DeleteItem")
            self._table(request).pop(self._key(request), None)
        return {}

    def transact_write_items(self, **request: Any) -> dict[str, Any]:
        self._record("TransactWriteItems", request)
        with self._lock:
            reasons = []
            for entry in request["TransactItems"]:
                ((_kind, body),) = entry.items()
                existing = self._existing(body)
                ok = self._condition_holds(body.get("ConditionExpression"), existing, body)
                reasons.append({"Code": "None"} if ok else {"Code": "ConditionalCheckFailed"})
            if any(r["Code"] != "None" for r in reasons):
                raise client_error(
                    "TransactionCanceledException",
                    "TransactWriteItems",
                    CancellationReasons=reasons,
                )
            for entry in request["TransactItems"]:
                ((kind, body),) = entry.items()
                if kind == "Put":
                    self._apply_put(body)
                elif kind == "Update":
                    self._apply_update(body)
                elif kind == "Delete":
                    self._table(body).pop(self._key(body), None)
        return {}

    def query(self, **request: Any) -> dict[str, Any]:
        self._record("Query", request)
        hash_name, range_name = self.index
        partition = request["ExpressionAttributeValues"][":pk"]
        table = self._table(request)
        rows = sorted(
            (i for i in table.values() if i.get(hash_name) == partition),
            key=lambda i: i[range_name]["S"],
        )
        start = request.get("ExclusiveStartKey")
        if start is not None:
            rows = [i for i in rows if i[range_name]["S"] > start[range_name]["S"]]
        limit = request["Limit"]
        page = rows[:limit]
        response: dict[str, Any] = {
            "Items": copy.deepcopy(page),
            "Count": len(page),
            "ScannedCount": len(page),
        }
        if len(rows) > limit:
            last = page[-1]
            key_name = self.key_names[request["TableName"]]
            response["LastEvaluatedKey"] = {n: last[n] for n in (key_name, hash_name, range_name)}
        return response

    # -------------------------------------------------------------- helpers

    def _record(self, operation: str, request: dict[str, Any]) -> None:
        self.calls.append((operation, copy.deepcopy(request)))
        error = self.fail_next.pop(operation, None)
        if error is not None:
            raise error

    def _table(self, request: dict[str, Any]) -> dict[str, Item]:
        if request["TableName"] not in self.tables:
            raise client_error("ResourceNotFoundException", "GetItem")
        return self.tables[request["TableName"]]

    def _key(self, request: dict[str, Any]) -> str:
        key_name = self.key_names[request["TableName"]]
        source = request.get("Key") or request["Item"]
        return str(source[key_name]["S"])

    def _existing(self, request: dict[str, Any]) -> Item | None:
        return self._table(request).get(self._key(request))

    def _apply_put(self, request: dict[str, Any]) -> None:
        self._table(request)[self._key(request)] = copy.deepcopy(request["Item"])

    def _apply_update(self, request: dict[str, Any]) -> None:
        table = self._table(request)
        key = self._key(request)
        key_name = self.key_names[request["TableName"]]
        item = table.setdefault(key, {key_name: {"S": key}})
        names = request.get("ExpressionAttributeNames", {})
        values = request.get("ExpressionAttributeValues", {})
        expression = request["UpdateExpression"]
        assert expression.startswith("SET "), expression
        for assignment in expression[4:].split(","):
            left, right = (part.strip() for part in assignment.split("="))
            item[names.get(left, left)] = values[right]

    def _condition_holds(
        self, expression: str | None, item: Item | None, request: dict[str, Any]
    ) -> bool:
        if not expression:
            return True
        names = request.get("ExpressionAttributeNames", {})
        values = request.get("ExpressionAttributeValues", {})
        for clause in expression.split(" AND "):
            clause = clause.strip()
            if match := re.fullmatch(r"attribute_not_exists\((.+)\)", clause):
                if item is not None and names.get(match[1], match[1]) in item:
                    return False
            elif match := re.fullmatch(r"attribute_exists\((.+)\)", clause):
                if item is None or names.get(match[1], match[1]) not in item:
                    return False
            elif match := re.fullmatch(r"(\S+) = (:\S+)", clause):
                if item is None or item.get(names.get(match[1], match[1])) != values[match[2]]:
                    return False
            else:
                raise AssertionError(f"the fake does not understand {clause!r}")
        return True

    def _check(self, request: dict[str, Any], item: Item | None, operation: str) -> None:
        if not self._condition_holds(request.get("ConditionExpression"), item, request):
            raise client_error("ConditionalCheckFailedException", operation)


class FakeS3:
    """Presigns with a real (offline) botocore client; remembers deletes instead of sending them."""

    def __init__(self) -> None:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        from botocore.config import Config

        self._signer = session.client("s3", config=Config(signature_version="s3v4"))
        self.deleted: list[tuple[str, str]] = []

    def generate_presigned_post(self, **kwargs: Any) -> Any:
        return self._signer.generate_presigned_post(**kwargs)

    def generate_presigned_url(self, *args: Any, **kwargs: Any) -> Any:
        return self._signer.generate_presigned_url(*args, **kwargs)

    def delete_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        self.deleted.append((Bucket, Key))
        return {}


class FakeHistory:
    """The audit trail in memory: what the routes recorded, committed only when the block succeeds."""

    def __init__(self) -> None:
        from api.history import Entry

        self._entry = Entry
        self.entries: list[Any] = []

    def change(self, actor: str) -> Any:
        from contextlib import contextmanager
        from datetime import UTC, datetime

        history = self

        class _Recorder:
            def __init__(self) -> None:
                self.pending: list[Any] = []

            def record(
                self, user_id: str, version: int, action: str, changes: dict[str, Any]
            ) -> None:
                self.pending.append((user_id, version, action, changes))

        @contextmanager
        def transaction() -> Any:
            recorder = _Recorder()
            yield recorder
            for user_id, version, action, changes in recorder.pending:
                history.entries.append(
                    history._entry(
                        len(history.entries) + 1,
                        user_id,
                        version,
                        action,
                        changes,
                        actor,
                        datetime.now(UTC),
                    )
                )

        return transaction()

    def list(self, user_id: str, limit: int, after: int | None) -> list[Any]:
        mine = [e for e in self.entries if e.user_id == user_id and e.id > (after or 0)]
        return mine[:limit]
