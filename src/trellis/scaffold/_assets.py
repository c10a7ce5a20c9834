"""Where the files a new project copies come from, and where its `trellis` dependency points.

The hand-written Terraform (``terraform/modules/*`` and the account set-up in
``bootstrap/``) ships inside the wheel as package data (``trellis/_terraform``);
in a source checkout it is read from the repository itself, so there is one copy.
"""

from __future__ import annotations

import json
import re
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path

import trellis
from trellis.scaffold._plan import ScaffoldError

#: The hand-written bootstrap files (``bootstrap/manifest.tf`` is rendered).
BOOTSTRAP_FILES = ("README.md", "main.tf", "outputs.tf", "variables.tf", "versions.tf")

_GIT_RE = re.compile(r"^(git\+|https?://|ssh://|git@)")


def source_checkout() -> Path | None:
    """The trellis repository this package is imported from, when it runs from a checkout."""
    root = Path(trellis.__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    if not ((root / "terraform" / "modules").is_dir() and pyproject.is_file()):
        return None
    if re.search(r'^name = "trellis"$', pyproject.read_text(encoding="utf-8"), re.M):
        return root
    return None


def _walk(node: Traversable, prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        rel = f"{prefix}/{child.name}"
        if child.is_dir():
            out.update(_walk(child, rel))
        elif not child.name.startswith("."):
            out[rel] = child.read_text(encoding="utf-8")
    return out


def terraform_files() -> dict[str, str]:
    """``terraform/modules/...`` and the hand-written ``bootstrap/`` files: relative path → text."""
    checkout = source_checkout()
    if checkout is not None:
        modules: Traversable = checkout / "terraform" / "modules"
        bootstrap: Traversable = checkout / "bootstrap"
    else:
        packaged = resources.files("trellis") / "_terraform"
        modules, bootstrap = packaged / "modules", packaged / "bootstrap"
        if not modules.is_dir():
            raise ScaffoldError(
                "this trellis installation carries no Terraform modules (trellis/_terraform); "
                "reinstall trellis from a wheel or a source checkout"
            )
    files = _walk(modules, "terraform/modules")
    for name in BOOTSTRAP_FILES:
        files[f"bootstrap/{name}"] = (bootstrap / name).read_text(encoding="utf-8")
    return files


def trellis_source(override: str | None = None) -> str:
    """The ``[tool.uv.sources]`` entry a generated project uses for ``trellis``, as inline TOML.

    ``override`` is a path or a git URL (``--trellis-source``). By default: the
    directory trellis was installed from (its ``direct_url.json``), else the
    source checkout it runs from.
    """
    if override:
        if _GIT_RE.match(override):
            return "{ git = " + json.dumps(override.removeprefix("git+")) + " }"
        path = Path(override).expanduser().resolve()
        if not (path / "pyproject.toml").is_file():
            raise ScaffoldError(f"--trellis-source {override}: no pyproject.toml in {path}")
        return "{ path = " + json.dumps(str(path)) + ", editable = true }"
    installed = _installed_from()
    if installed is not None:
        return installed
    checkout = source_checkout()
    if checkout is not None:
        return "{ path = " + json.dumps(str(checkout)) + ", editable = true }"
    raise ScaffoldError(
        "cannot tell where this trellis was installed from; "
        "pass --trellis-source PATH_OR_GIT_URL (trellis is not on PyPI)"
    )


def _installed_from() -> str | None:
    try:
        raw = metadata.distribution("trellis").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not raw:
        return None
    info = json.loads(raw)
    url = str(info.get("url", ""))
    vcs = info.get("vcs_info")
    if vcs and vcs.get("vcs") == "git":
        rev = vcs.get("commit_id")
        return "{ git = " + json.dumps(url) + (f", rev = {json.dumps(rev)}" if rev else "") + " }"
    if url.startswith("file://") and info.get("dir_info") is not None:
        path = url.removeprefix("file://")
        editable = bool(info["dir_info"].get("editable"))
        return "{ path = " + json.dumps(path) + (", editable = true" if editable else "") + " }"
    return None
