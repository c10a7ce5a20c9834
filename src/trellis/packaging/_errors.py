"""The one error of ``trellis build``."""

from __future__ import annotations

__all__ = ["BuildError"]


class BuildError(Exception):
    """The package cannot be built: one readable line (exit status 1)."""
