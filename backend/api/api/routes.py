"""HTTP routes of the api: thin, typed, and documented with every error they return.

Routes are plain ``def``: they run in the thread pool, so the blocking boto3 calls in
the repositories never stall the event loop. Trellis's ``APIRouter`` (FastAPI's, with
``SingleHopRoute``) makes that one thread hop per request where FastAPI makes two.

The gateway lets only callers with a valid bearer token through (``auth =
"jwt"``); every route here also depends on the verified caller, so the app
refuses (401) a request that reached it some other way without one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Response, status

from api.deps import FilesDep, HistoryDep, UsersDep
from api.history import parse_cursor
from api.models import (
    FILE_ID_PATTERN,
    USER_ID_PATTERN,
    Caller,
    FileCreate,
    FileCreated,
    FilePage,
    FilePublic,
    HistoryEntry,
    HistoryPage,
    PresignedUpload,
    UserCreate,
    UserPage,
    UserPublic,
    UserUpdate,
)
from trellis.runtime import APIRouter, PrincipalDep, error_responses, get_principal

UserIdPath = Annotated[str, Path(pattern=USER_ID_PATTERN, description="The user's id.")]
FileIdPath = Annotated[str, Path(pattern=FILE_ID_PATTERN, description="The file's id.")]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size.")]
Cursor = Annotated[
    str | None,
    Query(max_length=2048, description="`next_cursor` of the previous page (opaque)."),
]


_NOT_FOUND = error_responses((404, "Not found"))
_CONFLICT = error_responses((409, "Conflict: the id or email is taken, or the version is stale"))

_CALLER = [Depends(get_principal)]
users = APIRouter(prefix="/users", tags=["users"], dependencies=_CALLER)
files = APIRouter(prefix="/files", tags=["files"], dependencies=_CALLER)
#: Served only by an api with an audit database (see ``api.app.build_app``).
history = APIRouter(prefix="/users", tags=["users"], dependencies=_CALLER)
me = APIRouter(tags=["me"])


@me.get("/me", summary="Who the gateway says is calling")
def read_me(principal: PrincipalDep) -> Caller:
    return Caller(auth=principal.auth, id=principal.id, scopes=sorted(principal.scopes))


@users.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a user",
    responses=_CONFLICT,
)
def create_user(
    body: UserCreate, store: UsersDep, history: HistoryDep, principal: PrincipalDep
) -> UserPublic:
    # The audit transaction is open before the change and committed after it (api.history).
    with history.change(principal.id) as log:
        user = store.create(body)
        log.record(
            user["user_id"], user["version"], "created", body.model_dump(exclude={"user_id"})
        )
    return UserPublic.model_validate(user)


@users.get("", summary="List users, oldest first")
def list_users(store: UsersDep, limit: Limit = 25, cursor: Cursor = None) -> UserPage:
    page = store.list(limit, cursor)
    return UserPage.model_validate({"items": page.items, "next_cursor": page.next_cursor})


@users.get("/{user_id}", summary="Read a user", responses=_NOT_FOUND)
def read_user(user_id: UserIdPath, store: UsersDep) -> UserPublic:
    return UserPublic.model_validate(store.get(user_id))


@users.patch(
    "/{user_id}",
    summary="Change a user's name or email (optimistic concurrency on `version`)",
    responses={**_NOT_FOUND, **_CONFLICT},
)
def update_user(
    user_id: UserIdPath,
    body: UserUpdate,
    store: UsersDep,
    history: HistoryDep,
    principal: PrincipalDep,
) -> UserPublic:
    with history.change(principal.id) as log:
        user = store.update(user_id, body)
        changes = body.model_dump(exclude={"version"}, exclude_none=True)
        log.record(user_id, user["version"], "updated", changes)
    return UserPublic.model_validate(user)


@users.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a user and free its email",
    responses=error_responses(
        (404, "Not found"), (409, "The user kept changing during the delete; retry")
    ),
)
def delete_user(
    user_id: UserIdPath, store: UsersDep, history: HistoryDep, principal: PrincipalDep
) -> Response:
    with history.change(principal.id) as log:
        deleted = store.delete(user_id)
        log.record(user_id, deleted["version"] + 1, "deleted", {})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@history.get("/{user_id}/history", summary="A user's changes, oldest first (kept after a delete)")
def user_history(
    user_id: UserIdPath, history: HistoryDep, limit: Limit = 25, cursor: Cursor = None
) -> HistoryPage:
    entries = history.list(user_id, limit + 1, parse_cursor(cursor))
    page, more = entries[:limit], len(entries) > limit
    return HistoryPage(
        items=[HistoryEntry.model_validate(e, from_attributes=True) for e in page],
        next_cursor=str(page[-1].id) if more else None,
    )


@files.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a file and get a presigned upload for it",
)
def create_file(body: FileCreate, store: FilesDep) -> FileCreated:
    file, upload = store.create(body)
    return FileCreated(
        file=FilePublic.model_validate(file),
        upload=PresignedUpload(url=upload.url, fields=upload.fields, expires_at=upload.expires_at),
    )


@files.get("", summary="List files, oldest first")
def list_files(store: FilesDep, limit: Limit = 25, cursor: Cursor = None) -> FilePage:
    page = store.list(limit, cursor)
    return FilePage.model_validate({"items": page.items, "next_cursor": page.next_cursor})


@files.get("/{file_id}", summary="Read a file's metadata (and download URL)", responses=_NOT_FOUND)
def read_file(file_id: FileIdPath, store: FilesDep) -> FilePublic:
    return FilePublic.model_validate(store.get(file_id))


@files.delete(
    "/{file_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a file's object and metadata",
    responses=_NOT_FOUND,
)
def delete_file(file_id: FileIdPath, store: FilesDep) -> Response:
    store.delete(file_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


#: Every router of the api, in the order the app includes them (``history`` when it keeps one).
ROUTERS = (me, users, files)
