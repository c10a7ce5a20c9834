"""Render the Terraform root configuration and the bootstrap permissions from the manifest.

One function per file, one module per part: the root files (``_root``: a file per
resource from its kind's registry entry, per service from ``_services``, the gateway
from ``_gateway``) and ``bootstrap/manifest.tf`` (``_bootstrap``, from the deploy
layer's policies in ``_deploy``). Every value comes from the manifest through the
same code the local stack uses: names from :mod:`trellis.naming`, IAM statements
from :func:`trellis.iam.service_statements` (with ARNs as Terraform templates), env
vars from :func:`trellis.wiring.service_environment` (with addresses as module
outputs). Output is deterministic and formatted by ``terraform fmt``.
"""

from __future__ import annotations

from trellis.infra._bootstrap import bootstrap_blocks
from trellis.infra._common import MARKER, header, production_environment
from trellis.infra._hcl import document, format_texts
from trellis.infra._root import root_files
from trellis.manifest import Manifest

__all__ = ["MARKER", "production_environment", "render"]


def render(manifest: Manifest, manifest_name: str = "trellis.toml") -> dict[str, str]:
    """Every rendered file, by path relative to the project root, formatted by ``terraform fmt``."""
    files = dict(root_files(manifest, manifest_name))
    files["bootstrap/manifest.tf"] = document(header(manifest_name), bootstrap_blocks(manifest))
    return dict(sorted(format_texts(files).items()))
