variable "github_subject_format" {
  description = "The OIDC `sub` format of the repository's tokens (its Actions OIDC subject setting): \"ids\" (repository_owner_id:ID:repository_id:ID:..., a custom template of the owner's and repository's numeric IDs: survives renames and transfers), \"immutable\" (repo:OWNER-ID/REPO-ID:..., GitHub's default for repositories created after 2026-06-18) or \"repository\" (repo:OWNER/REPO:..., the older default)."
  type        = string
  default     = "ids"

  validation {
    condition     = contains(["ids", "immutable", "repository"], var.github_subject_format)
    error_message = "github_subject_format is \"ids\", \"immutable\" or \"repository\"."
  }
}

variable "github_owner_id" {
  description = "Numeric ID of the repository's owner (`gh api repos/ORG/REPO --jq .owner.id`); required unless github_subject_format = \"repository\"."
  type        = string
  default     = null

  validation {
    condition     = var.github_owner_id == null ? var.github_subject_format == "repository" : can(regex("^[0-9]+$", var.github_owner_id))
    error_message = "github_owner_id is the owner's numeric ID, required unless github_subject_format = \"repository\"."
  }
}

variable "github_repository_id" {
  description = "Numeric ID of the repository (`gh api repos/ORG/REPO --jq .id`); required unless github_subject_format = \"repository\". When given, every role also requires it in the token's repository_id claim."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository_id == null ? var.github_subject_format == "repository" : can(regex("^[0-9]+$", var.github_repository_id))
    error_message = "github_repository_id is the repository's numeric ID, required unless github_subject_format = \"repository\"."
  }
}

variable "deploy_refs" {
  description = "Git refs each environment may deploy from, as patterns of the token's `ref` claim; null: refs/heads/main for the first environment, refs/tags/v* for the others."
  type        = map(list(string))
  default     = null

  validation {
    condition     = var.deploy_refs == null ? true : alltrue([for refs in values(var.deploy_refs) : alltrue([for r in refs : can(regex("^refs/(heads|tags)/", r))])])
    error_message = "A deploy ref is a branch (refs/heads/...) or tag (refs/tags/...) pattern."
  }
}

variable "create_oidc_provider" {
  description = "Create the GitHub OIDC provider; false when the account already has one (there can be only one per URL)."
  type        = bool
  default     = true
}

variable "manage_api_gateway_account" {
  description = "Set API Gateway's account-level CloudWatch Logs role (needed for stage execution logs; one per account and region)."
  type        = bool
  default     = true
}

variable "deploy_session_seconds" {
  description = "Longest session of a deploy role, in seconds (3600-43200)."
  type        = number
  default     = 3600

  validation {
    condition     = var.deploy_session_seconds >= 3600 && var.deploy_session_seconds <= 43200
    error_message = "deploy_session_seconds is 3600-43200."
  }
}

variable "manage_account_public_access_block" {
  description = "Turn on S3 Block Public Access for the whole account (no bucket can be made public, whatever its own settings or policy say)."
  type        = bool
  default     = true
}
