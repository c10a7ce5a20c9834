"""`trellis build <service>` for Lambda services: one reproducible zip per service.

Steps, all offline but the wheel download:

1. ``uv export --package <service> --no-dev --frozen``: the service's locked
   requirements, with hashes. ``trellis`` brings only its ``dependencies`` —
   never the ``cli``/``otel`` extras — unless the service asks for an extra
   itself, or the manifest says ``tracing = true``: then the ``otel`` extra's
   locked requirements are added (``trellis.packaging._extras``). Workspace members (``-e`` lines: the service, ``trellis``, shared
   libraries) are taken from the source tree, not installed.
2. ``uv pip install --target <staging> --python-platform <lambda platform>
   --python-version <x.y> --only-binary :all: --no-deps --require-hashes``:
   binary wheels for Lambda's OS and architecture, whatever machine builds.
3. The runtime part of ``trellis`` (``trellis/__init__.py``, ``py.typed``,
   ``trellis/runtime/``), the service's own package(s) and the packages of the
   workspace libraries it depends on. The CLI side of trellis (the local
   runtime, Terraform rendering, packaging, operations, testing helpers, the
   CLI) is left out — also when trellis comes from an index rather than the
   workspace; run-time code that imports it fails the build.
4. A reproducible zip (sorted entries, fixed timestamps and permissions) at
   ``dist/<service>.zip``: where the rendered Terraform's ``artifacts_dir``
   (``../dist`` from ``terraform/``) expects it.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from trellis.manifest import Manifest
from trellis.packaging._errors import BuildError
from trellis.packaging._extras import check_runtime_extras, with_extra
from trellis.packaging._imports import check_runtime_imports
from trellis.packaging._platform import (
    Platform,
    export_lock,
    find_uv,
    host_platform,
    install_wheels,
    python_platform,
)
from trellis.packaging._staging import (
    LAMBDA_UNZIPPED_LIMIT_BYTES,
    clean,
    compile_bytecode,
    copy_tree,
    copy_trellis_runtime,
    prune_trellis,
    size_warnings,
    tree_bytes,
)
from trellis.packaging._workspace import (
    member_packages,
    project_name,
    service_project,
    split_export,
    workspace_root,
)
from trellis.packaging._zip import write_reproducible_zip

__all__ = ["LambdaPackage", "build_lambda"]


@dataclass(frozen=True)
class LambdaPackage:
    """A built package and what the build found about it."""

    service: str
    path: Path
    platform: str
    python_version: str
    files: int
    unzipped_bytes: int
    zip_bytes: int
    seconds: float
    warnings: list[str] = field(default_factory=list)
    #: What the compiled bytecode adds to the unzipped size (0: shipped as source only).
    bytecode_bytes: int = 0

    def summary(self) -> str:
        """One line: the zip (relative to the working directory when under it), sizes, target."""
        mb = 1024 * 1024
        shown = (
            self.path.relative_to(Path.cwd()) if self.path.is_relative_to(Path.cwd()) else self.path
        )
        return (
            f"{shown}: {self.files} files, {self.unzipped_bytes / mb:.1f} MiB unzipped "
            f"({100 * self.unzipped_bytes / LAMBDA_UNZIPPED_LIMIT_BYTES:.0f}% of Lambda's 250 MB), "
            f"{self.zip_bytes / mb:.1f} MiB zipped, {self.platform}, Python {self.python_version}, "
            + (
                f"bytecode +{self.bytecode_bytes / mb:.1f} MiB, "
                if self.bytecode_bytes
                else "no bytecode, "
            )
            + f"{self.seconds:.1f} s"
        )


def build_lambda(
    root: Path,
    manifest: Manifest,
    service: str,
    *,
    platform: Platform = "arm64",
    out_dir: Path | None = None,
    python_version: str | None = None,
) -> LambdaPackage:
    """Build ``<out_dir>/<service>.zip`` (``dist/`` next to the manifest by default)."""
    started = time.perf_counter()
    spec = manifest.services[service]
    if spec.runtime != "lambda":
        raise BuildError(f"services.{service} runs on {spec.runtime}, not lambda")
    root = root.resolve()
    workspace = workspace_root(root)
    project, packages = service_project(root, manifest, service, manifest.lambda_handler(service))
    host = platform == "host"
    if python_version is None:
        python_version = (
            f"{sys.version_info.major}.{sys.version_info.minor}"
            if host
            else manifest.project.python
        )
    if not re.fullmatch(r"3\.1[1-9]", python_version):
        raise BuildError(f"--python {python_version}: give the Lambda runtime's X.Y, 3.11 or later")
    target_platform = host_platform() if host else python_platform(platform, python_version)
    out = (out_dir if out_dir is not None else root / "dist").resolve()
    uv = find_uv()

    with tempfile.TemporaryDirectory(prefix=f"trellis-build-{service}-") as tmp:
        requirements = Path(tmp) / "requirements.txt"
        staging = Path(tmp) / "package"
        staging.mkdir()
        exported = Path(tmp) / "exported.txt"
        text = export_lock(uv, workspace, exported, "--package", project)
        third_party, members = split_export(text, workspace)
        check_runtime_extras(manifest, service, third_party, manifest.service_path(service))
        if spec.tracing:
            third_party = with_extra(
                uv,
                workspace,
                service,
                third_party,
                trellis_in_workspace=any(project_name(m)[0] == "trellis" for m in members),
                scratch=Path(tmp),
            )
        requirements.write_text(third_party)
        install_wheels(uv, workspace, staging, requirements, target_platform, python_version)
        clean(staging)
        prune_trellis(staging)
        service_dir = (root / manifest.service_path(service)).resolve()
        roots = [p.name for p in packages]
        for member in members:
            if member == service_dir:
                continue
            name, _data = project_name(member)
            if name == "trellis":
                (trellis_pkg,) = (p for p in member_packages(member) if p.name == "trellis")
                copy_trellis_runtime(trellis_pkg, staging)
                continue
            # Another workspace library the service depends on: its code, as is.
            for pkg in member_packages(member):
                packages.append(pkg)
                roots.append(pkg.name)
        for package in packages:
            if (staging / package.name).exists():
                raise BuildError(
                    f"services.{service}: package {package.name!r} clashes with a dependency"
                )
            copy_tree(package, staging / package.name)
        if (staging / "trellis").is_dir():
            roots.append("trellis")
        problems = check_runtime_imports(staging, roots)
        if problems:
            raise BuildError(
                f"services.{service}: the package leaves out the CLI side of trellis, "
                "but run-time code imports it:\n  " + "\n  ".join(problems)
            )
        source_bytes = tree_bytes(staging)
        bytecode_warning = compile_bytecode(staging, python_version, uv)
        bytecode_bytes = tree_bytes(staging) - source_bytes
        zip_path = out / f"{service}.zip"
        files, unzipped = write_reproducible_zip(staging, zip_path)

    zip_bytes = zip_path.stat().st_size
    warnings = size_warnings(unzipped, zip_bytes)
    if bytecode_warning:
        warnings.append(bytecode_warning)
    return LambdaPackage(
        service=service,
        path=zip_path,
        platform=target_platform,
        python_version=python_version,
        files=files,
        unzipped_bytes=unzipped,
        zip_bytes=zip_bytes,
        seconds=time.perf_counter() - started,
        warnings=warnings,
        bytecode_bytes=bytecode_bytes,
    )
