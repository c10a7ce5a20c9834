"""`trellis build`: a service's deployable artefact.

Lambda services: a reproducible zip at ``dist/<service>.zip`` (where the
rendered Terraform's ``artifacts_dir`` points). Container services: their
multi-stage Dockerfile at ``dist/<service>/Dockerfile`` (build it from the
repository root).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from trellis.cli._common import Progress, UsageError, add_json_option, print_json, service
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    build = sub.add_parser(
        "build",
        help="build a service: Lambda zip (dist/<service>.zip) or container Dockerfile",
    )
    build.add_argument("services", nargs="*", metavar="SERVICE", help="services to build")
    build.add_argument("--all", action="store_true", help="build every service of the manifest")
    build.add_argument(
        "--db-admin",
        action="store_true",
        help="build the databases' admin function (dist/db-admin.zip: the runtime, psycopg, "
        "alembic and every service's migrations/); --all includes it",
    )
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
        help="Python version of the Lambda runtime (default: [project] python, 3.11 unless set; host: this interpreter's)",
    )
    add_json_option(build, "each artefact (service, kind, path, sizes, warnings) and the failures")
    build.set_defaults(run=_build)


def _build(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.infra._gateway import jwt_authorizers
    from trellis.kinds import DATABASE
    from trellis.packaging import (
        BuildError,
        build_authorizer,
        build_db_admin,
        build_lambda,
        render_dockerfile,
        render_dockerignore,
        workspace_root,
    )

    if args.all and args.services:
        raise UsageError("name the services to build, or pass --all (not both)")
    if not (args.all or args.services or args.db_admin):
        raise UsageError("name the services to build, or pass --all or --db-admin")
    names = list(manifest.services) if args.all else [service(manifest, s) for s in args.services]
    root = Path(args.manifest).resolve().parent
    out: Path = (args.out if args.out is not None else root / "dist").resolve()
    progress = Progress("trellis build")
    built: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []

    def failed(name: str, exc: BuildError) -> None:
        failures.append({"service": name, "error": str(exc)})
        progress(f"{name}: failed")
        print(f"trellis build {name}: {exc}", file=sys.stderr)

    def lambda_entry(package: Any) -> dict[str, Any]:
        return {
            "service": package.service,
            "kind": "lambda-zip",
            "path": str(package.path),
            "platform": package.platform,
            "python_version": package.python_version,
            "files": package.files,
            "unzipped_bytes": package.unzipped_bytes,
            "zip_bytes": package.zip_bytes,
            "bytecode_bytes": package.bytecode_bytes,
            "seconds": round(package.seconds, 2),
            "warnings": list(package.warnings),
        }

    if args.db_admin and not manifest.specs(DATABASE):
        raise UsageError("--db-admin: the manifest declares no database")
    admin = args.db_admin or (args.all and bool(manifest.specs(DATABASE)))
    targets = [
        *names,
        *(["jwt authorizer"] if args.all and jwt_authorizers(manifest) else []),
        *(["db admin"] if admin else []),
    ]
    for number, name in enumerate(targets, start=1):
        progress(f"{number}/{len(targets)} {name}: building")
        try:
            if name == "db admin":
                # terraform/db_admin.tf deploys it; the deploy workflow invokes it after apply.
                package = build_db_admin(
                    root,
                    manifest,
                    platform=args.platform,
                    out_dir=out,
                    python_version=args.python_version,
                )
                built.append({**lambda_entry(package), "service": None, "kind": "db-admin-zip"})
                if not args.json:
                    print(f"db admin: {package.summary()}")
            elif name == "jwt authorizer":
                # The jwt routes' authorizer function deploys this package (see terraform/gateway.tf).
                package = build_authorizer(
                    root, platform=args.platform, out_dir=out, python_version=args.python_version
                )
                built.append({**lambda_entry(package), "service": None, "kind": "authorizer-zip"})
                if not args.json:
                    print(f"jwt authorizer: {package.summary()}")
            elif manifest.services[name].runtime == "lambda":
                package = build_lambda(
                    root,
                    manifest,
                    name,
                    platform=args.platform,
                    out_dir=out,
                    python_version=args.python_version,
                )
                built.append(lambda_entry(package))
                if not args.json:
                    print(f"{name}: {package.summary()}")
                    for warning in package.warnings:
                        print(f"{name}: warning: {warning}", file=sys.stderr)
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
                command = f"docker build -f {shown} -t {manifest.project.name}-{name} ."
                built.append(
                    {
                        "service": name,
                        "kind": "dockerfile",
                        "path": str(dockerfile),
                        "workspace": str(workspace),
                        "docker_build": command,
                    }
                )
                if not args.json:
                    print(
                        f"{name}: wrote {dockerfile}; build it from the workspace root {workspace}:"
                    )
                    print(f"  {command}")
        except BuildError as exc:
            failed(name, exc)
    progress(f"done: {len(built)} built, {len(failures)} failed")
    if args.json:
        print_json({"ok": not failures, "out": str(out), "built": built, "failed": failures})
    return 1 if failures else 0
