"""Edits of the user's own files, in place and only where needed.

``settings.py`` gets (or loses) one typed field per resource, located with the
``ast`` module; ``consumers.py`` gets a ``handle_<queue>`` function for each
consumed queue, and loses it only while it is still as generated.
"""

from __future__ import annotations

import ast

from trellis import naming
from trellis.scaffold._format import format_python
from trellis.scaffold._plan import ScaffoldError
from trellis.scaffold._templates import render_template


def ident(name: str) -> str:
    """A resource or service name as a Python identifier: ``job-records`` → ``job_records``."""
    return naming.service_module(name)


# --- settings.py ----------------------------------------------------------------------


def _settings_class(tree: ast.Module, rel: str) -> ast.ClassDef:
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    for cls in classes:
        if cls.name == "Settings":
            return cls
    for cls in classes:
        if any(isinstance(b, ast.Name) and b.id == "ServiceSettings" for b in cls.bases):
            return cls
    raise ScaffoldError(f"{rel}: no `class Settings(ServiceSettings)` to add the field to")


def _fields(cls: ast.ClassDef) -> dict[str, ast.AnnAssign]:
    return {
        n.target.id: n
        for n in cls.body
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
    }


def _parse(text: str, rel: str) -> ast.Module:
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        raise ScaffoldError(f"{rel}: not valid Python ({exc.msg}, line {exc.lineno})") from None


def add_settings_field(text: str, field: str, rel: str) -> str:
    """``text`` with ``field: str`` as the last field of its Settings class (unchanged if there)."""
    cls = _settings_class(_parse(text, rel), rel)
    if field in _fields(cls):
        return text
    lines = text.splitlines(keepends=True)
    last = cls.body[-1]
    indent = " " * cls.body[0].col_offset
    assert last.end_lineno is not None
    new = [f"{indent}{field}: str\n"]
    is_docstring_only = (
        len(cls.body) == 1
        and isinstance(last, ast.Expr)
        and isinstance(last.value, ast.Constant)
        and isinstance(last.value.value, str)
    )
    if is_docstring_only:
        new.insert(0, "\n")
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines[: last.end_lineno] + new + lines[last.end_lineno :])


def remove_settings_field(text: str, field: str, rel: str) -> str:
    """``text`` without the ``field`` annotation of its Settings class (unchanged if absent)."""
    cls = _settings_class(_parse(text, rel), rel)
    node = _fields(cls).get(field)
    if node is None:
        return text
    assert node.end_lineno is not None
    lines = text.splitlines(keepends=True)
    start, end = node.lineno - 1, node.end_lineno
    rest = lines[end:]
    if start > 0 and not lines[start - 1].strip() and (not rest or not rest[0].strip()):
        start -= 1  # the field was the last of a group: drop the blank line before it too
    return "".join(lines[:start] + rest)


# --- consumers.py -------------------------------------------------------------------


def consumers_header(service: str) -> str:
    return render_template(
        "service/consumers.py.tmpl", service=service, module=naming.service_module(service)
    )


def handler_snippet(queue: str) -> str:
    text = render_template(
        "service/consumer_handler.py.tmpl", queue=queue, queue_ident=ident(queue)
    )
    return "\n\n" + format_python(text, "consumers.py")


def _functions(text: str, rel: str) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in _parse(text, rel).body if isinstance(n, ast.FunctionDef)}


def add_queue_handler(text: str | None, service: str, queue: str, rel: str) -> str:
    """``consumers.py`` with a ``handle_<queue>`` function (created with its header if new)."""
    base = text if text is not None else consumers_header(service)
    if f"handle_{ident(queue)}" in _functions(base, rel):
        return base
    return base.rstrip("\n") + "\n" + handler_snippet(queue)


def remove_queue_handler(text: str, service: str, queue: str, rel: str) -> tuple[str | None, bool]:
    """``consumers.py`` without the handler if it is still as generated.

    Returns ``(new text or None to delete the file, whether a hand-edited handler was kept)``.
    """
    snippet = handler_snippet(queue)
    if snippet in text:
        text = text.replace(snippet, "\n" if text.endswith(snippet) else "", 1)
        text = text.rstrip("\n") + "\n"
    kept = f"handle_{ident(queue)}" in _functions(text, rel)
    if text == consumers_header(service):
        return None, kept
    return text, kept
