"""The files a command writes come from ``templates/`` (package data), filled with ``{{name}}``."""

from __future__ import annotations

import re
from importlib import resources

from trellis.scaffold._plan import ScaffoldError

_PLACEHOLDER_RE = re.compile(r"\{\{([a-z_][a-z0-9_]*)\}\}")


def render_template(name: str, **values: str) -> str:
    """``templates/<name>`` with every ``{{key}}`` replaced; an unknown key is a bug, not output."""
    text = (resources.files("trellis.scaffold") / "templates" / name).read_text(encoding="utf-8")
    return fill(text, **values)


def fill(text: str, **values: str) -> str:
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise ScaffoldError(f"template placeholder {{{{{key}}}}} has no value")
        return values[key]

    return _PLACEHOLDER_RE.sub(replace, text)
