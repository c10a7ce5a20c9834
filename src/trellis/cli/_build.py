"""`trellis build`: a service's deployable artefact.

Lambda services: a reproducible zip at ``dist/<service>.zip`` (where the
rendered Terraform's ``artifacts_dir`` points). Container services: their
multi-stage Dockerfile at ``dist/<service>/Dockerfile`` (build it from the
repository root).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from trellis.cli._common import UsageError, service
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    build = sub.add_parser(
        "build",
        help="build a service: Lambda zip (dist/<service>.zip) or container Dockerfile",
    )
    build.add_argument("services", nargs="*", metavar="SERVICE", help="services to build")
    build.add_argument("--all", action="store_true", help="build every service of the manifest")
    build.add_argument(
        "--platform",
        choices=["arm64", "x86_64", "host"],
        default="arm64",
        help="Lambda architecture (default: %(default)s, the lambda-service module's); "
        "host = this machine, for tests",
    )
    build.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default: dist/ next to the manifest, terraform's artifacts_dir)",
    )
    build.add_argument(
        "--python",
        dest="python_version",
        default=None,
        help="Python version of the Lambda runtime (default: 3.11; host: this interpreter's)",
    )
    build.set_defaults(run=_build)


def _build(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.infra._gateway import jwt_authorizers
    from trellis.packaging import (
        BuildError,
        build_authorizer,
        build_lambda,
        render_dockerfile,
        render_dockerignore,
        workspace_root,
    )

    if args.all == bool(args.services):
        raise UsageError("name the services to build, or pass --all (not both)")
    names = list(manifest.services) if args.all else [service(manifest, s) for s in args.services]
    root = Path(args.manifest).resolve().parent
    out: Path = (args.out if args.out is not None else root / "dist").resolve()
    failed = 0
    for name in names:
        try:
            if manifest.services[name].runtime == "lambda":
                package = build_lambda(
                    root,
                    manifest,
                    name,
                    platform=args.platform,
                    out_dir=out,
                    python_version=args.python_version,
                )
                print(f"{name}: {package.summary()}")
                for warning in package.warnings:
                    print(f"{name}: warning: {warning}")
            else:
                target = out / name
                target.mkdir(parents=True, exist_ok=True)
                dockerfile = target / "Dockerfile"
                dockerfile.write_text(render_dockerfile(root, manifest, name))
                (target / "Dockerfile.dockerignore").write_text(render_dockerignore())
                workspace = workspace_root(root)
                shown = (
                    dockerfile.relative_to(workspace)
                    if dockerfile.is_relative_to(workspace)
                    else dockerfile
                )
                print(f"{name}: wrote {dockerfile}; build it from the workspace root {workspace}:")
                print(f"  docker build -f {shown} -t {manifest.project.name}-{name} .")
        except BuildError as exc:
            print(f"trellis build {name}: {exc}")
            failed += 1
    if args.all and jwt_authorizers(manifest):
        # The jwt routes' authorizer function deploys this package (see terraform/gateway.tf).
        try:
            package = build_authorizer(
                root, platform=args.platform, out_dir=out, python_version=args.python_version
            )
            print(f"jwt authorizer: {package.summary()}")
        except BuildError as exc:
            print(f"trellis build jwt authorizer: {exc}")
            failed += 1
    return 1 if failed else 0
