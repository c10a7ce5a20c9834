"""A plan: every file a command would write or delete, built in memory before anything is touched."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path


class ScaffoldError(ValueError):
    """The command cannot be applied; nothing has been written."""


@dataclass
class Plan:
    """``path → new text`` (``None`` deletes the file), relative to ``root``, plus what to say."""

    root: Path
    files: dict[str, str | None] = field(default_factory=dict)
    #: Lines telling the user what the command does beyond the files (and what to run next).
    notes: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)

    def write(self, rel: str, text: str) -> None:
        self.files[rel] = text

    def delete(self, rel: str) -> None:
        self.files[rel] = None

    def current(self, rel: str) -> str | None:
        """The file's text as this plan leaves it (planned text, else what is on disk)."""
        if rel in self.files:
            return self.files[rel]
        path = self.root / rel
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def changes(self) -> dict[str, str | None]:
        """Only the entries that differ from the tree on disk."""
        out: dict[str, str | None] = {}
        for rel, text in sorted(self.files.items()):
            path = self.root / rel
            on_disk = path.read_text(encoding="utf-8") if path.is_file() else None
            if text != on_disk:
                out[rel] = text
        return out

    def diff(self) -> str:
        """A unified diff of every change, as ``git diff`` would show it after applying."""
        chunks: list[str] = []
        for rel, text in self.changes().items():
            path = self.root / rel
            before = path.read_text(encoding="utf-8") if path.is_file() else ""
            chunks.extend(
                difflib.unified_diff(
                    before.splitlines(keepends=True),
                    (text or "").splitlines(keepends=True),
                    fromfile=f"a/{rel}" if path.is_file() else "/dev/null",
                    tofile=f"b/{rel}" if text is not None else "/dev/null",
                )
            )
            if chunks and not chunks[-1].endswith("\n"):
                chunks[-1] += "\n"
        return "".join(chunks)

    def apply(self) -> list[tuple[str, str]]:
        """Write the changes; return ``(action, path)`` for each: created, updated or deleted."""
        done: list[tuple[str, str]] = []
        for rel, text in self.changes().items():
            path = self.root / rel
            if text is None:
                path.unlink()
                done.append(("deleted", rel))
                continue
            action = "updated" if path.exists() else "created"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            done.append((action, rel))
        return done
