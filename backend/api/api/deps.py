"""The api's dependencies: built on first use, one container per app, and the routes' aliases.

``UsersDep``, ``FilesDep`` and ``HistoryDep`` hand a route its store; users are read
through the Valkey cache (:mod:`api.user_cache`), changes are recorded in PostgreSQL
(:mod:`api.history`). The container builds each store
under its lock the first time a request needs it, so a cold start that serves
``/health`` never loads boto3, and concurrent first requests share one store.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from api.files import FilesRepository, FileStore
from api.history import History, HistoryStore, NoHistory
from api.settings import Settings, UploadPolicy
from api.user_cache import CACHE, CacheClient, CachedUsers
from api.users import UsersRepository, UserStore
from trellis.runtime import AwsClients


class Deps:
    """The api's stores; ``users`` / ``files`` replace the AWS ones (tests use fakes)."""

    def __init__(
        self,
        settings: Settings,
        clients: AwsClients,
        policy: UploadPolicy,
        *,
        users: UserStore | None = None,
        files: FileStore | None = None,
        history: History | None = None,
    ) -> None:
        self.settings = settings
        self.clients = clients
        self.policy = policy
        self._users = users
        self._files = files
        if history is None:
            history = HistoryStore() if settings.audit_database_url else NoHistory()
        self.history = history
        self._lock = threading.Lock()

    @property
    def built_users(self) -> UserStore | None:
        """The users store if a request already built it (no lock: a read of one reference)."""
        return self._users

    @property
    def built_files(self) -> FileStore | None:
        """The files store if a request already built it."""
        return self._files

    def users(self) -> UserStore:
        with self._lock:
            if self._users is None:
                users = UsersRepository(self.clients.dynamodb, self.settings.users_table_name)
                cached = self.settings.profiles_cache_url is not None
                self._users = CachedUsers(users, _cache_client) if cached else users
            return self._users

    def files(self) -> FileStore:
        with self._lock:
            if self._files is None:
                self._files = FilesRepository(
                    self.clients.dynamodb,
                    self.clients.s3,
                    table_name=self.settings.files_table_name,
                    bucket=self.settings.uploads_bucket_name,
                    policy=self.policy,
                )
            return self._files


def _cache_client() -> CacheClient:
    # Imported here: the cache client is loaded by the first request that reads a user.
    from trellis.runtime import cache

    client: CacheClient = cache.client(CACHE)
    return client


def get_deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


# The dependencies are ``async def``: FastAPI runs a plain ``def`` dependency in its thread
# pool, a thread hop per request. A built store is handed over on the event loop; only
# the first request builds it, in the pool (it imports boto3 and takes the lock).


async def get_users(request: Request) -> UserStore:
    deps = get_deps(request)
    return deps.built_users or await run_in_threadpool(deps.users)


async def get_files(request: Request) -> FileStore:
    deps = get_deps(request)
    return deps.built_files or await run_in_threadpool(deps.files)


async def get_history(request: Request) -> History:
    return get_deps(request).history


UsersDep = Annotated[UserStore, Depends(get_users)]
HistoryDep = Annotated[History, Depends(get_history)]
FilesDep = Annotated[FileStore, Depends(get_files)]
