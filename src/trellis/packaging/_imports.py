"""The import check of a Lambda package: run-time code may import ``trellis.runtime`` and no
other part of ``trellis`` (the package leaves the rest out)."""

from __future__ import annotations

import ast
from pathlib import Path

__all__ = ["check_runtime_imports", "trellis_imports"]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def trellis_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, module)`` of every run-time import of a ``trellis`` module."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for stmt in node.orelse:
                visit(stmt)
            return
        if isinstance(node, ast.Import):
            found.extend(
                (node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "trellis"
            )
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "trellis":
                found.extend((node.lineno, f"trellis.{a.name}") for a in node.names)
            elif node.module.split(".")[0] == "trellis":
                found.append((node.lineno, node.module))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def check_runtime_imports(staging: Path, roots: list[str]) -> list[str]:
    """Imports of ``trellis`` modules the package leaves out, as ``path:line: module``."""
    allowed = {"trellis", "trellis.runtime"}
    problems: list[str] = []
    for root in roots:
        for path in sorted((staging / root).rglob("*.py")):
            tree = ast.parse(path.read_bytes(), filename=str(path))
            for line, module in trellis_imports(tree):
                parts = module.split(".")
                head = ".".join(parts[:2])
                if head not in allowed:
                    rel = path.relative_to(staging).as_posix()
                    problems.append(f"{rel}:{line}: imports {module}")
    return problems
