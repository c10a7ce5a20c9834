# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

environment         = "test"
production          = false
log_retention_days  = 14
deletion_protection = false
