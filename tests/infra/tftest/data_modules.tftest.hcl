# Validations of the network, database and cache modules.
run "network_accepts_the_defaults" {
  command = plan
  module {
    source = "./m/network"
  }
  variables {
    name            = "acme-dev"
    security_groups = ["api", "db-admin"]
    endpoints       = { s3 = "Gateway", sqs = "Interface" }
  }
}

run "network_rejects_four_zones_a_wide_range_and_a_gateway_sqs_endpoint" {
  command = plan
  module {
    source = "./m/network"
  }
  variables {
    name      = "acme-dev"
    az_count  = 4
    cidr      = "10.0.0.0/8"
    endpoints = { sqs = "Gateway" }
  }
  expect_failures = [var.az_count, var.cidr, var.endpoints]
}

run "database_accepts_an_aurora_cluster" {
  command = plan
  module {
    source = "./m/rds-database"
  }
  variables {
    identifier    = "acme-dev-audit"
    database_name = "audit"
    min_capacity  = 0
    vpc_id        = "vpc-123"
    subnet_ids    = ["subnet-1", "subnet-2"]
  }
}

run "database_rejects_bad_capacity_one_subnet_and_an_ssl_override" {
  command = plan
  module {
    source = "./m/rds-database"
  }
  variables {
    identifier    = "acme_dev_audit"
    database_name = "audit"
    min_capacity  = 0.3
    max_capacity  = 300
    parameters    = { "rds.force_ssl" = "0" }
    vpc_id        = "vpc-123"
    subnet_ids    = ["subnet-1"]
  }
  expect_failures = [
    var.identifier, var.min_capacity, var.max_capacity, var.parameters, var.subnet_ids,
  ]
}

run "cache_rejects_a_long_name_low_ecpu_and_one_subnet" {
  command = plan
  module {
    source = "./m/elasticache-cache"
  }
  variables {
    name                = "acme-dev-a-cache-name-that-is-far-too-long"
    default_user_id     = "acme-dev-sessions-default"
    max_ecpu_per_second = 10
    vpc_id              = "vpc-123"
    subnet_ids          = ["subnet-1"]
  }
  expect_failures = [var.name, var.max_ecpu_per_second, var.subnet_ids]
}

run "cache_users_reject_an_underscore_id" {
  command = plan
  module {
    source = "./m/elasticache-users"
  }
  variables {
    users = { api = "acme_dev_api" }
  }
  expect_failures = [var.users]
}
