# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

environment         = "prod"
production          = true
log_retention_days  = 365
deletion_protection = true
