"""Terminal output shared by the CLI and ``trellis dev``: colour choice, tables, progress.

Nothing here imports the rest of ``trellis``; ``trellis.runtime`` does not use it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import TextIO

#: ``--color`` choices.
COLOR_CHOICES = ("auto", "always", "never")


def color_enabled(
    stream: TextIO, choice: str = "auto", environ: Mapping[str, str] | None = None
) -> bool:
    """Whether to colour what goes to ``stream``.

    ``--color always|never`` wins. Otherwise ``FORCE_COLOR`` (set and not ``0``)
    turns colour on and ``NO_COLOR`` (any non-empty value, https://no-color.org)
    turns it off; with neither, colour goes to a terminal only.
    """
    if choice == "always":
        return True
    if choice == "never":
        return False
    env = os.environ if environ is None else environ
    force = env.get("FORCE_COLOR")
    if force is not None and force.strip().lower() not in ("0", "false"):
        return True
    if force is not None or env.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def table(rows: Sequence[Sequence[str]], *, indent: str = "", gap: int = 2) -> list[str]:
    """Rows as lines, every column but the last padded to its widest cell."""
    if not rows:
        return []
    columns = max(len(row) for row in rows)
    widths = [
        max((len(row[i]) for row in rows if i < len(row) - 1), default=0)
        for i in range(columns - 1)
    ]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(widths[i]) + " " * gap if i < len(row) - 1 else cell
            for i, cell in enumerate(row)
        ]
        lines.append((indent + "".join(cells)).rstrip())
    return lines


class Progress:
    """Progress lines on stderr, each with the seconds since the command started.

    ``trellis build: [  1.2 s] api: building`` — on stderr, so ``--json`` on
    stdout stays parseable.
    """

    def __init__(self, command: str, stream: TextIO | None = None) -> None:
        self.command = command
        self.stream = stream
        self.started = time.monotonic()

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def __call__(self, line: str) -> None:
        out = self.stream if self.stream is not None else sys.stderr
        print(f"{self.command}: [{self.elapsed_s:6.1f} s] {line}", file=out, flush=True)
