"""Deployment-side derivations from the manifest (Terraform rendering lives here)."""
