"""Deployment-side derivations from the manifest: the Terraform rendered from ``trellis.toml``.

>>> from trellis.infra import render  # {path: text} of every rendered file
"""

from trellis.infra._render import production_environment, render
from trellis.infra._sync import Drift, drift, generate, rendered_files
from trellis.infra.addresses import AwsAddresses, TerraformAddresses

__all__ = [
    "AwsAddresses",
    "Drift",
    "TerraformAddresses",
    "drift",
    "generate",
    "production_environment",
    "render",
    "rendered_files",
]
