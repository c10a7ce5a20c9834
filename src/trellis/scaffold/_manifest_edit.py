"""Edit ``trellis.toml`` with tomlkit: comments, order and layout stay as the user wrote them."""

from __future__ import annotations

import json
import re
from typing import Any

import tomlkit
from tomlkit.items import InlineTable

from trellis.manifest import ManifestError, load_manifest_text
from trellis.scaffold._plan import ScaffoldError

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    # An event pattern's `$or` (or any key outside TOML's bare-key alphabet) must be quoted.
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return (
            "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def toml_item(value: Any) -> Any:
    """A tomlkit item for a plain value, written the way a person would (``{ a = 1 }``)."""
    return tomlkit.parse(f"x = {_toml_value(value)}")["x"]


class ManifestEditor:
    """A parsed manifest, edited in place; :meth:`text` is the new file, :meth:`validate` checks it."""

    def __init__(self, text: str) -> None:
        try:
            self.doc = tomlkit.parse(text)
        except tomlkit.exceptions.ParseError as exc:
            raise ScaffoldError(f"trellis.toml: not valid TOML: {exc}") from None
        self._added: list[str] = []

    def text(self) -> str:
        lines = tomlkit.dumps(self.doc).splitlines()
        # One blank line around each table this editor added (tomlkit leaves none in the middle).
        for header in self._added:
            if header not in lines:
                continue
            start = lines.index(header)
            end = start + 1
            while end < len(lines) and not lines[end].startswith("["):
                end += 1
            # Comments right above the next header belong to it.
            while end > start + 1 and (
                not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")
            ):
                end -= 1
            if end < len(lines) and lines[end].strip():
                lines[end:end] = [""]
            if start > 0 and lines[start - 1].strip():
                lines[start:start] = [""]
        return "\n".join(lines).rstrip("\n") + "\n"

    def validate(self) -> None:
        """Raise :class:`ScaffoldError` naming the key when the edited manifest is invalid."""
        try:
            load_manifest_text(self.text())
        except ManifestError as exc:
            raise ScaffoldError(f"the change would make trellis.toml invalid: {exc}") from None

    # --- reading --------------------------------------------------------------------

    def section(self, name: str) -> Any:
        return self.doc.get(name)

    def has(self, section: str, name: str) -> bool:
        sec = self.doc.get(section)
        return sec is not None and name in sec

    def uses_of(self, service: str) -> dict[str, list[str]]:
        uses = self.doc["services"][service].get("uses", {})
        return {str(k): [v] if isinstance(v, str) else [str(x) for x in v] for k, v in uses.items()}

    # --- editing --------------------------------------------------------------------

    def add_table(self, section: str, name: str, values: dict[str, Any]) -> None:
        """Add ``[section.name]`` after the last table of its section (at the end if new)."""
        table = tomlkit.table()
        for key, value in values.items():
            if value is None:
                continue
            table.add(key, toml_item(value))
        self._added.append(f"[{section}.{name}]")
        parent = self.doc.get(section)
        if parent is None:
            parent = tomlkit.table(is_super_table=True)
            self.doc.add(section, parent)
            self.doc[section][name] = table
            return
        parent[name] = table

    def add_subtable(self, path: tuple[str, ...], values: dict[str, Any]) -> None:
        """Add ``[a.b.c.d]`` below the existing table ``[a.b]`` (``path`` = a, b, c, d)."""
        table = tomlkit.table()
        for key, value in values.items():
            if value is not None:
                table.add(key, toml_item(value))
        parent: Any = self.doc
        for i, part in enumerate(path[:-1]):
            if part not in parent:
                if i < 2:
                    raise KeyError(".".join(path[: i + 1]))
                parent.add(part, tomlkit.table(is_super_table=True))
            parent = parent[part]
        parent[path[-1]] = table
        self._added.append("[" + ".".join(path) + "]")

    def remove_subtable(self, path: tuple[str, ...]) -> None:
        """Remove ``[a.b.c.d]``, and ``c`` too when it is left empty (never ``[a.b]``)."""
        parents: list[Any] = [self.doc]
        for part in path[:-1]:
            parents.append(parents[-1][part])
        del parents[-1][path[-1]]
        if len(path) > 3 and not len(parents[-1]):
            del parents[-2][path[-2]]

    def remove_table(self, section: str, name: str) -> None:
        parent = self.doc[section]
        del parent[name]
        if not len(parent):
            del self.doc[section]

    def set_uses(self, service: str, uses: dict[str, list[str]]) -> None:
        svc = self.doc["services"][service]
        value = {k: levels[0] if len(levels) == 1 else levels for k, levels in uses.items()}
        item = toml_item(value)
        old = svc.get("uses")
        if isinstance(old, InlineTable) and old.trivia.comment:
            item.comment(old.trivia.comment.lstrip("# "))
        if old is None:
            svc.add("uses", item)
            self._added.append(f"[services.{service}]")
        else:
            svc["uses"] = item

    def grant(self, service: str, resource: str, level: str) -> None:
        uses = self.uses_of(service)
        levels = uses.setdefault(resource, [])
        if level not in levels:
            levels.append(level)
        self.set_uses(service, uses)

    def revoke(self, service: str, resource: str) -> None:
        uses = self.uses_of(service)
        uses.pop(resource, None)
        self.set_uses(service, uses)
