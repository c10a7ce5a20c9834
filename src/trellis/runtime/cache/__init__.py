"""A service's caches: a Valkey client per cache, IAM auth in AWS, and a degrading read-through.

``<NAME>_CACHE_URL`` (``SESSIONS_CACHE_URL``) says where each cache is::

    from trellis.runtime import cache

    user = cache.get_or_set("sessions", f"user:{user_id}", lambda: load_user(user_id), ttl_s=300)
    cache.invalidate("sessions", f"user:{user_id}")     # after the write is committed
    cache.client("sessions").incr("hits")               # the valkey-py client itself

In AWS the URL is ``rediss://<user>@<endpoint>:6379`` with no password: every
new connection authenticates with an ElastiCache IAM token signed with the
service's role. Locally it is ``redis://<user>:<password>@127.0.0.1:<port>``.

Imported only by services that use a cache; nothing loads valkey until a
client is first built.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from trellis.runtime.cache._client import client as client
    from trellis.runtime.cache._client import close_all as close_all
    from trellis.runtime.cache._client import ping as ping
    from trellis.runtime.cache._errors import translate_cache_error as translate_cache_error
    from trellis.runtime.cache._fallback import get_or_set as get_or_set
    from trellis.runtime.cache._fallback import invalidate as invalidate

_MODULE_OF: dict[str, str] = {
    "client": "_client",
    "close_all": "_client",
    "get_or_set": "_fallback",
    "invalidate": "_fallback",
    "ping": "_client",
    "translate_cache_error": "_errors",
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module_name = _MODULE_OF.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module_name}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
