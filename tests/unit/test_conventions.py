"""House rules the code keeps: one log-event naming style, one emulator port, no stale names."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    p
    for base in ("src/trellis", "backend", "libs")
    for p in (ROOT / base).rglob("*.py")
    if "tests" not in p.relative_to(ROOT).parts
)
_LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}
_EVENT_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def _log_events(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _LEVELS
            and isinstance(func.value, ast.Name)
            and func.value.id in {"_log", "log", "logger"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
        if isinstance(func, ast.Attribute) and func.attr == "dumps" and node.args:
            data = node.args[0]
            if isinstance(data, ast.Dict):
                for key, value in zip(data.keys, data.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "event"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        found.append((node.lineno, value.value))
    return found


def test_every_log_event_is_named_area_dot_event() -> None:
    events = [(p, line, e) for p in SOURCES for line, e in _log_events(p)]
    assert len(events) > 30  # the scan finds the platform's and the examples' events
    wrong = [
        f"{p.relative_to(ROOT)}:{line}: {e}" for p, line, e in events if not _EVENT_RE.match(e)
    ]
    assert wrong == []


def test_the_emulator_port_is_one_constant() -> None:
    uses = []
    for path in SOURCES:
        text = path.read_text()
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text, filename=str(path))):
            if isinstance(node, ast.Constant) and node.value == 4566:
                uses.append(f"{path.relative_to(ROOT)}: {lines[node.lineno - 1].strip()}")
    assert uses == ["src/trellis/local/emulator.py: EMULATOR_PORT = 4566"]


_DOTTED_RE = re.compile(r"\btrellis(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def _resolves(name: str) -> bool:
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


@pytest.mark.parametrize(
    "path",
    [*SOURCES, *sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_every_trellis_name_the_code_and_docs_cite_exists(path: Path) -> None:
    text = path.read_text()
    names = {m.group(0).rstrip(".") for m in _DOTTED_RE.finditer(text)}
    # The manifest's file names, and whole string literals (logger names such as
    # "trellis.runtime.app", scope keys): names of their own, not references.
    names -= {"trellis.toml", "trellis.toml.tmpl"}
    if path.suffix == ".py":
        names -= {
            node.value
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
    assert sorted(n for n in names if not _resolves(n)) == []
