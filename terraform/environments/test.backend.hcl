# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.
# terraform init -backend-config=environments/test.backend.hcl -backend-config=bucket=<state bucket from bootstrap/>

key          = "acme/test/terraform.tfstate"
region       = "us-east-1"
encrypt      = true
use_lockfile = true
