"""The files a command writes come from ``templates/`` (package data), filled with ``{{name}}``.

A placeholder alone on its line stands for lines: the value's lines take the
placeholder's indentation, and an empty value removes the line. Anywhere else a
placeholder is replaced by its value as is.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from trellis.scaffold._plan import ScaffoldError

# One pass over the template: a value is never searched for placeholders itself.
_PLACEHOLDER_RE = re.compile(
    r"^(?P<indent>[ \t]*)\{\{(?P<line>[a-z_][a-z0-9_]*)\}\}[ \t]*\n"
    r"|\{\{(?P<inline>[a-z_][a-z0-9_]*)\}\}",
    re.MULTILINE,
)


@cache
def _read(name: str) -> str:
    return (resources.files("trellis.scaffold") / "templates" / name).read_text(encoding="utf-8")


def render_template(name: str, **values: str) -> str:
    """``templates/<name>`` with every ``{{key}}`` replaced; an unknown key is a bug, not output."""
    return fill(_read(name), **values)


def fill(text: str, **values: str) -> str:
    def value(key: str) -> str:
        if key not in values:
            raise ScaffoldError(f"template placeholder {{{{{key}}}}} has no value")
        return values[key]

    def replace(match: re.Match[str]) -> str:
        if match.group("inline") is not None:
            return value(match.group("inline"))
        indent = match.group("indent")
        lines = value(match.group("line")).splitlines()
        return "".join(f"{indent}{line}\n" if line else "\n" for line in lines)

    return _PLACEHOLDER_RE.sub(replace, text)
