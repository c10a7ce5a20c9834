variable "github_subject_format" {
  description = "Form of the OIDC `sub` claim the deploy roles require: \"repository\" (repo:ORG/REPO:environment:ENV) or \"ids\" (GitHub's immutable form with the owner's and the repository's numeric IDs, which survives renames)."
  type        = string
  default     = "repository"

  validation {
    condition     = contains(["repository", "ids"], var.github_subject_format)
    error_message = "github_subject_format is \"repository\" or \"ids\"."
  }
}

variable "github_owner_id" {
  description = "Numeric ID of the repository's owner (`gh api repos/ORG/REPO --jq .owner.id`); required with github_subject_format = \"ids\"."
  type        = string
  default     = null

  validation {
    condition     = var.github_owner_id == null ? true : can(regex("^[0-9]+$", var.github_owner_id))
    error_message = "github_owner_id is the owner's numeric ID."
  }
}

variable "github_repository_id" {
  description = "Numeric ID of the repository (`gh api repos/ORG/REPO --jq .id`); required with github_subject_format = \"ids\"."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository_id == null ? true : can(regex("^[0-9]+$", var.github_repository_id))
    error_message = "github_repository_id is the repository's numeric ID."
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
