"""A reproducible zip: same files in, same bytes out.

Entries are sorted by path, carry a fixed timestamp (1980-01-01, the zip epoch),
fixed Unix permissions (0644: Lambda needs every file readable) and are
compressed with deflate at a fixed level, so the archive depends on the file
contents and names only — not on the machine, the clock or the umask.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

__all__ = ["ZIP_EPOCH", "write_reproducible_zip"]

#: The earliest timestamp a zip entry can carry.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644  # regular file, rw-r--r--
_UNIX = 3
_LEVEL = 6


def write_reproducible_zip(source: Path, target: Path) -> tuple[int, int]:
    """Zip every regular file under ``source`` into ``target``; ``(files, unzipped bytes)``."""
    files = sorted(
        (p for p in source.rglob("*") if p.is_file() and not p.is_symlink()),
        key=lambda p: p.relative_to(source).as_posix(),
    )
    total = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=_LEVEL) as zf:
        for path in files:
            data = path.read_bytes()
            total += len(data)
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=ZIP_EPOCH)
            info.create_system = _UNIX
            info.external_attr = _FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=_LEVEL)
    partial.replace(target)
    return len(files), total
