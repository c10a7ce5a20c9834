"""The ``trellis`` command.

Exit status: 0 success, 1 a command failed (what failed is on stderr), 2 the
manifest or the command line is wrong (one line on stderr names the key or the
option).

Global options (``--manifest``, ``--color``) go before or after the command:
``trellis --manifest x.toml validate`` and ``trellis validate --manifest x.toml``
are the same. Colour follows ``--color``, then ``FORCE_COLOR`` and ``NO_COLOR``,
then whether the output is a terminal (:func:`trellis._console.color_enabled`).

Each group of commands lives in its own module with a ``register(subparsers)``
function that adds its parsers and sets ``run(args, manifest) -> int``. A
command that sets ``needs_manifest=False`` (``init``, ``new``, ``add``,
``remove``: they read and edit the manifest themselves) gets ``None``.
"""

from __future__ import annotations

import argparse
import os
import sys

from trellis._console import COLOR_CHOICES
from trellis.cli import (
    _build,
    _check,
    _db,
    _dev,
    _env,
    _generate,
    _iam,
    _invoke,
    _parameter,
    _queue,
    _scaffold,
    _schedule,
    _smoke,
    _validate,
)
from trellis.cli._common import UsageError
from trellis.manifest import ManifestError, load_manifest

EXIT_USAGE = 2

#: One module per command (``init``, ``new``, ``add`` and ``remove`` share ``_scaffold``; ``dev``'s
#: companion ``token`` is in ``_dev``), in the order ``trellis --help`` lists them.
_COMMAND_MODULES = (
    _dev,
    _db,
    _validate,
    _env,
    _iam,
    _queue,
    _parameter,
    _generate,
    _check,
    _build,
    _smoke,
    _scaffold,
    _invoke,
    _schedule,
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("trellis")
    except PackageNotFoundError:
        return "unknown"


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """``--manifest`` and ``--color``: with real defaults at the top, SUPPRESS below.

    A subcommand's parser fills in only what it was given, so ``trellis --manifest x
    validate`` keeps ``x`` instead of the subcommand's default overwriting it.
    """
    parser.add_argument(
        "--manifest",
        default="trellis.toml" if top else argparse.SUPPRESS,
        help="path to the stack manifest (default: trellis.toml)",
    )
    parser.add_argument(
        "--color",
        "--colour",
        dest="color",
        choices=COLOR_CHOICES,
        default="auto" if top else argparse.SUPPRESS,
        help="colour the output: auto (a terminal, unless NO_COLOR is set or FORCE_COLOR "
        "is), always, never (default: auto)",
    )


def _leaf_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every parser below ``parser``: commands and their subcommands."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found.append(child)
                found.extend(_leaf_parsers(child))
    return found


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trellis", description="Run FastAPI services on AWS from one manifest."
    )
    parser.add_argument("--version", action="version", version=f"trellis {_version()}")
    _global_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _COMMAND_MODULES:
        module.register(sub)
    for child in _leaf_parsers(parser):
        _global_options(child, top=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``trellis`` console script."""
    args = _parser().parse_args(argv)
    manifest = None
    if getattr(args, "needs_manifest", True):
        try:
            manifest = load_manifest(args.manifest)
        except ManifestError as exc:
            # Errors reading the file already name it; mistakes inside it name their key.
            message = str(exc)
            if not message.startswith(f"{args.manifest}:"):
                message = f"{args.manifest}: {message}"
            print(message, file=sys.stderr)
            return EXIT_USAGE
    try:
        return int(args.run(args, manifest))
    except UsageError as exc:
        print(f"trellis: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # `trellis iam show api | head`: the reader left. Point stdout at /dev/null so
        # the interpreter's final flush does not raise again, and end quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
