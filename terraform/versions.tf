# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.23, < 7.0"
    }
  }

  # Settings per environment: environments/<env>.backend.hcl (+ bucket=...)
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}
