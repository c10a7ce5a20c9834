"""Helpers shared by the CLI's command modules."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from trellis._console import Progress as Progress
from trellis._console import table as table
from trellis.manifest import Manifest


class UsageError(Exception):
    """A wrong argument: printed as one line, exit status 2."""


def environment(manifest: Manifest, requested: str | None) -> str:
    """``--env`` checked against the manifest; the first environment by default."""
    if requested is None:
        return manifest.project.environments[0]
    if requested not in manifest.project.environments:
        raise UsageError(
            f"--env {requested}: not one of {', '.join(manifest.project.environments)}"
        )
    return requested


def service(manifest: Manifest, name: str) -> str:
    """A service name checked against the manifest."""
    if name not in manifest.services:
        raise UsageError(f"unknown service {name!r} (services: {', '.join(manifest.services)})")
    return name


def manifest_location(args: argparse.Namespace) -> tuple[Path, str]:
    """The project root (the manifest's directory) and the manifest's file name."""
    path = Path(args.manifest)
    return path.resolve().parent, path.name


def add_json_option(parser: argparse.ArgumentParser, what: str = "the same information") -> None:
    """``--json``: machine-readable output on stdout (progress and errors stay on stderr)."""
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON")


def print_json(data: object) -> None:
    print(json.dumps(data, indent=2, sort_keys=False))


def error(command: str, message: str) -> None:
    """A failure line on stderr: ``trellis <command>: <message>``."""
    print(f"trellis {command}: {message}", file=sys.stderr)
