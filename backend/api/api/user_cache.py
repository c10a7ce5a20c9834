"""Reads of ``GET /users/{id}`` cached in Valkey, never stale after a change.

Each entry is the user's public JSON. Every write to the cache goes through one
script that refuses to replace a newer entry with an older one — newer is a later
``(created_at, version)``, so a user deleted and created again is newer than any
entry of its first life — and a slow reader that fetched version 1 before an
update cannot plant it over the version 2 the update wrote:

- a read that misses fetches the user from DynamoDB and offers it (kept only if
  nothing newer is there);
- a change first *removes* the entry (the cache down: 503 before anything
  changed), writes DynamoDB, then offers the new version (or, for a delete, a
  tombstone above every version of that life of the user, which no older read can
  overwrite);
- entries expire after ``ttl_s``.

A cache that is down degrades reads to DynamoDB; changes answer 503 instead
(the entry they could not remove would be served stale once it is back).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, Final, Protocol

from api.users import UserNotFound, UserStore
from trellis.runtime.tables import Page

#: The manifest's cache of the api.
CACHE: Final = "profiles"
_TTL_S: Final = 300
_log = logging.getLogger(__name__)

#: A tombstone's version: above any version a user reaches.
_TOMBSTONE_VERSION: Final = 2**53

# KEYS[1] the entry; ARGV: the new JSON, its created_at, its version, the TTL. Replaces
# only an older entry (or none): the compare and the write are one atomic step in Valkey.
# created_at is fixed-width ISO-8601, so comparing the strings compares the times.
_OFFER: Final = """
local current = redis.call('GET', KEYS[1])
if current then
  local ok, old = pcall(cjson.decode, current)
  if ok and type(old) == 'table' then
    local old_created = tostring(old['created_at'])
    if old_created > ARGV[2] or
       (old_created == ARGV[2] and tonumber(old['version']) >= tonumber(ARGV[3])) then
      return 0
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[4]))
return 1
"""


class CacheClient(Protocol):
    """The part of a Valkey client the cache uses."""

    def get(self, name: str) -> Any: ...
    def delete(self, *names: str) -> Any: ...
    def register_script(self, script: str) -> Callable[..., Any]: ...


def _key(user_id: str) -> str:
    return f"user:{user_id}"


class CachedUsers:
    """A :class:`~api.users.UserStore` whose reads go through the cache first."""

    def __init__(
        self, users: UserStore, client: Callable[[], CacheClient], ttl_s: int = _TTL_S
    ) -> None:
        self._users = users
        self._factory = client
        self._client: tuple[CacheClient, Callable[..., Any]] | None = None
        self._ttl_s = ttl_s

    def _cache(self) -> tuple[CacheClient, Callable[..., Any]]:
        # Built on first use (a cold start serving /health connects to nothing); the client
        # is thread-safe, and two racing first requests building two is harmless.
        if self._client is None:
            client = self._factory()
            self._client = (client, client.register_script(_OFFER))
        return self._client

    # ------------------------------------------------------------------ reads

    def get(self, user_id: str) -> dict[str, Any]:
        try:
            client, offer = self._cache()
            cached = _cached(client, user_id)
        except Exception as exc:  # noqa: BLE001 - a cache that is down degrades reads, never fails them
            _log.warning("cache.unavailable", extra={"error": type(exc).__name__})
            return self._users.get(user_id)
        if cached is not None:
            if cached.get("deleted"):
                raise UserNotFound()
            return cached
        user = self._users.get(user_id)
        _offer_quietly(offer, user_id, user, self._ttl_s)
        return user

    def list(self, limit: int, cursor: str | None) -> Page:
        return self._users.list(limit, cursor)

    # ----------------------------------------------------------------- writes

    def create(self, new: Any) -> dict[str, Any]:
        client, offer = self._cache()
        client.delete(_key(new.user_id))
        user = self._users.create(new)
        _offer_quietly(offer, user["user_id"], user, self._ttl_s)
        return user

    def update(self, user_id: str, change: Any) -> dict[str, Any]:
        client, offer = self._cache()
        client.delete(_key(user_id))
        user = self._users.update(user_id, change)
        _offer_quietly(offer, user_id, user, self._ttl_s)
        return user

    def delete(self, user_id: str) -> dict[str, Any]:
        client, offer = self._cache()
        client.delete(_key(user_id))
        deleted = self._users.delete(user_id)
        tombstone = {
            "deleted": True,
            "created_at": deleted["created_at"],
            "version": _TOMBSTONE_VERSION,
        }
        _offer_quietly(offer, user_id, tombstone, self._ttl_s)
        return deleted


def _cached(client: CacheClient, user_id: str) -> dict[str, Any] | None:
    raw = client.get(_key(user_id))
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _offer_quietly(
    offer: Callable[..., Any], user_id: str, value: dict[str, Any], ttl: int
) -> None:
    # After the write: the entry was removed before it, so a failure here leaves a miss.
    try:
        offer(
            keys=[_key(user_id)],
            args=[json.dumps(value), value["created_at"], value["version"], ttl],
        )
    except Exception as exc:  # noqa: BLE001 - any cache failure leaves a miss, never an error
        _log.warning("cache.offer_failed", extra={"user_id": user_id, "error": type(exc).__name__})
