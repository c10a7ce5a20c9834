"""Deployable artefacts built from the manifest: Lambda zips and container Dockerfiles.

>>> from trellis.packaging import build_lambda  # dist/<service>.zip, reproducible

CLI side only: never part of a Lambda package.
"""

from trellis.packaging._authorizer import AUTHORIZER_ZIP, build_authorizer
from trellis.packaging._db_admin import DB_ADMIN_ZIP, build_db_admin, migration_dirs
from trellis.packaging._docker import PYTHON_IMAGE, UV_IMAGE, render_dockerfile, render_dockerignore
from trellis.packaging._errors import BuildError
from trellis.packaging._imports import check_runtime_imports
from trellis.packaging._lambda import LambdaPackage, build_lambda
from trellis.packaging._platform import Platform, python_platform
from trellis.packaging._staging import (
    LAMBDA_UNZIPPED_LIMIT_BYTES,
    LAMBDA_ZIP_UPLOAD_LIMIT_BYTES,
    RUNTIME_PARTS,
    size_warnings,
)
from trellis.packaging._workspace import workspace_root
from trellis.packaging._zip import write_reproducible_zip

__all__ = [
    "AUTHORIZER_ZIP",
    "DB_ADMIN_ZIP",
    "LAMBDA_UNZIPPED_LIMIT_BYTES",
    "LAMBDA_ZIP_UPLOAD_LIMIT_BYTES",
    "PYTHON_IMAGE",
    "RUNTIME_PARTS",
    "UV_IMAGE",
    "BuildError",
    "LambdaPackage",
    "Platform",
    "build_authorizer",
    "build_db_admin",
    "build_lambda",
    "check_runtime_imports",
    "migration_dirs",
    "python_platform",
    "render_dockerfile",
    "render_dockerignore",
    "size_warnings",
    "workspace_root",
    "write_reproducible_zip",
]
