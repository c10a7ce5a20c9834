terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.23, < 7.0"
    }
  }

  # Bootstrap runs once per account with administrator credentials and keeps its
  # state locally at first; after the first apply, move it into the bucket it
  # created (see README.md).
}

provider "aws" {
  region = local.region

  default_tags {
    tags = {
      trellis-project = local.project
      managed-by      = "trellis-bootstrap"
    }
  }
}
