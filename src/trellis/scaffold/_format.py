"""Generated Python goes through ``ruff format`` when ruff is installed (it is in a project's dev group).

Templates are laid out the way ruff formats them for ordinary names; ruff only
has work to do when a long resource name pushes a line over 100 characters.
Without ruff the text is written as rendered.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path


@cache
def _ruff() -> str | None:
    beside = Path(sys.executable).parent / "ruff"
    if beside.is_file():
        return str(beside)
    return shutil.which("ruff")


def format_python(text: str, filename: str) -> str:
    """``text`` as ``ruff format`` (line length 100, Python 3.11) writes it; unchanged without ruff."""
    ruff = _ruff()
    if ruff is None:
        return text
    try:
        proc = subprocess.run(
            [
                ruff,
                "format",
                "--isolated",
                "--line-length",
                "100",
                "--target-version",
                "py311",
                "--stdin-filename",
                filename,
                "-",
            ],
            input=text,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return text
    return proc.stdout if proc.returncode == 0 and proc.stdout else text
