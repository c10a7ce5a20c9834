"""Where a running ``trellis dev`` listens: ``.trellis/dev/<env>.json`` under the project.

``trellis dev`` writes it once its emulator and gateway listen and removes it when
it stops; the local commands (``trellis queue --local``, ``trellis invoke``) read it
instead of assuming the default ports. A file left by a ``trellis dev`` that was
killed outright names a process that no longer runs, and is ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Final

#: Relative to the project root (the manifest's directory).
STATE_DIR: Final = ".trellis/dev"


@dataclass(frozen=True)
class DevState:
    env: str
    pid: int
    gateway_port: int
    emulator_port: int
    region: str
    #: The local PostgreSQL server of each database, by manifest name: its port.
    databases: dict[str, int] = field(default_factory=dict)
    #: The local Valkey server of each cache: its port.
    caches: dict[str, int] = field(default_factory=dict)

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def emulator(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    @staticmethod
    def path(root: Path, env: str) -> Path:
        return root / STATE_DIR / f"{env}.json"

    def write(self, root: Path) -> None:
        path = self.path(root, self.env)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)

    def remove(self, root: Path) -> None:
        """Remove the file if it is still this one's (a later ``trellis dev`` may own it)."""
        if read_state(root, self.env, alive_only=False) == self:
            self.path(root, self.env).unlink(missing_ok=True)


def read_state(root: Path, env: str, *, alive_only: bool = True) -> DevState | None:
    """The running ``trellis dev`` of ``env`` in the project at ``root``, if there is one."""
    try:
        data = json.loads(DevState.path(root, env).read_text(encoding="utf-8"))
        state = DevState(**data)
    except (OSError, ValueError, TypeError):
        return None
    if alive_only and not pid_alive(state.pid):
        return None
    return state


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
