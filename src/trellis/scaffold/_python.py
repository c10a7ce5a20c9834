"""Pieces of generated Python: import blocks laid out as ruff's isort lays them, and snippets.

Generated files say what they import as ``(module, name)`` pairs; :func:`import_block`
groups them (standard library, third party, the service's own package), sorts them
and merges the names of one module, so a file needs no hand-written import lines.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from trellis.kinds import Snippet
from trellis.scaffold._templates import render_template

#: The service's own package in a snippet's imports.
OWN_PACKAGE = "{module}"


def _name_key(name: str) -> tuple[int, str]:
    # isort's order-by-type: CONSTANTS, then Classes, then everything else.
    if name.isupper() and len(name) > 1:
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


def import_block(imports: Iterable[tuple[str, str]], package: str) -> str:
    """``import``/``from ... import`` lines in sections; ``{module}`` is ``package``."""
    plain: dict[int, set[str]] = {}
    froms: dict[int, dict[str, set[str]]] = {}
    for module, name in imports:
        module = module.replace(OWN_PACKAGE, package)
        root = module.split(".")[0]
        section = 0 if root in sys.stdlib_module_names else 2 if root == package else 1
        if name:
            froms.setdefault(section, {}).setdefault(module, set()).add(name)
        else:
            plain.setdefault(section, set()).add(module)
    blocks = []
    for section in sorted({*plain, *froms}):
        lines = [f"import {m}" for m in sorted(plain.get(section, ()))]
        lines += [
            f"from {m} import {', '.join(sorted(names, key=_name_key))}"
            for m, names in sorted(froms.get(section, {}).items())
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def render_snippet(snippet: Snippet) -> str:
    """The snippet's template filled with its values."""
    return render_template(snippet.template, **snippet.values)
