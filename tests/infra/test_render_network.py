"""Databases, caches and the network as rendered: parsed back with python-hcl2 and checked.

The every-kind stack (tests/infra/stacks/everything.toml) has an Aurora database used by
api and worker, an RDS instance used by worker only, a cache used by both, and a network
with a NAT gateway; the example stack (trellis.toml) has none of them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import ROOT
from tests.infra.hclconfig import Config, as_list
from trellis.infra import render
from trellis.manifest import ManifestError, load_manifest_text

BASE = """
[project]
name = "acme"
region = "us-east-1"
environments = ["dev", "prod"]
github_repository = "acme/backend"
"""


@pytest.fixture(scope="module")
def root(everything_tree: Path) -> Config:
    return Config.load(everything_tree / "terraform")


def module(root: Config, name: str) -> Config:
    return Config.load(root.module_dir(name))


def resource(cfg: Config, rtype: str, name: str) -> dict[str, Any]:
    return cfg.resources[(rtype, name)]


def test_the_database_module_gets_the_manifest_settings(root: Config) -> None:
    ledger = root.modules["ledger_db_database"]
    assert ledger["identifier"] == "kit-${var.environment}-ledger-db"
    assert ledger["database_name"] == "ledger_db"
    assert (ledger["mode"], ledger["engine_version"]) == ("serverless", "18")
    assert (ledger["min_capacity"], ledger["max_capacity"]) == (0, 8)
    assert ledger["multi_az"] is True
    assert ledger["backup_retention_days"] == "${var.production ? 7 : 1}"
    assert ledger["deletion_protection"] == "${var.deletion_protection}"
    assert ledger["parameters"] == {"log_min_duration_statement": "500"}
    audit = root.modules["audit_database"]
    assert (audit["mode"], audit["engine_version"], audit["instance_class"]) == (
        "instance",
        "16",
        "db.t4g.small",
    )
    assert audit["backup_retention_days"] == 14
    assert "min_capacity" not in audit


def test_the_aurora_cluster_is_serverless_encrypted_with_iam_auth_and_tls(root: Config) -> None:
    db = module(root, "ledger_db_database")
    cluster = resource(db, "aws_rds_cluster", "this")
    assert cluster["engine"] == "aurora-postgresql"
    assert cluster["manage_master_user_password"] is True
    assert cluster["iam_database_authentication_enabled"] is True
    assert cluster["storage_encrypted"] is True
    assert cluster["deletion_protection"] == "${var.deletion_protection}"
    assert cluster["skip_final_snapshot"] == "${!var.production}"
    assert "master_password" not in cluster
    (scaling,) = as_list(cluster["serverlessv2_scaling_configuration"])
    assert scaling["min_capacity"] == "${var.min_capacity}"
    assert scaling["max_capacity"] == "${var.max_capacity}"
    instance = resource(db, "aws_rds_cluster_instance", "this")
    assert instance["instance_class"] == "db.serverless"
    assert instance["publicly_accessible"] is False
    assert "rds.force_ssl" in db.locals["parameters"]
    rds = resource(db, "aws_db_instance", "this")
    assert rds["iam_database_authentication_enabled"] is True
    assert rds["storage_encrypted"] is True
    assert rds["manage_master_user_password"] is True
    assert rds["publicly_accessible"] is False
    assert rds["multi_az"] == "${var.multi_az}"


def _clients(root: Config, label: str) -> dict[str, str]:
    clients: dict[str, str] = root.modules[label]["client_security_group_ids"]
    return clients


def test_database_and_cache_ingress_is_only_from_the_services_that_use_them(root: Config) -> None:
    def group(service: str) -> str:
        return f'${{module.network.security_group_ids["{service}"]}}'

    assert _clients(root, "ledger_db_database") == {
        "api": group("api"),
        "worker": group("worker"),
        "db-admin": group("db-admin"),
    }
    assert _clients(root, "audit_database") == {
        "worker": group("worker"),
        "db-admin": group("db-admin"),
    }
    assert _clients(root, "sessions_cache") == {"api": group("api"), "worker": group("worker")}
    # The modules open their port to exactly those groups, and nothing else.
    for label, port in (("ledger_db_database", 5432), ("sessions_cache", 6379)):
        cfg = module(root, label)
        ingress = [
            body
            for (rtype, _n), body in cfg.resources.items()
            if rtype in ("aws_vpc_security_group_ingress_rule", "aws_security_group_rule")
        ]
        assert len(ingress) == 1
        (rule,) = ingress
        assert rule["for_each"] == "${var.client_security_group_ids}"
        assert rule["referenced_security_group_id"] == "${each.value}"
        assert rule["from_port"] == port
        assert "cidr_ipv4" not in rule
        assert "ingress" not in resource(cfg, "aws_security_group", "this")


def test_the_network_has_a_group_per_service_in_it_and_endpoints_for_what_they_use(
    root: Config,
) -> None:
    net = root.modules["network"]
    # web (ecs-express), legacy (apprunner) use no database or cache: not in the network.
    assert net["security_groups"] == ["api", "worker", "db-admin"]
    # api and worker use a table, a bucket, queues, a topic, a secret, parameters and a bus;
    # the admin function reads the master secrets.
    assert net["endpoints"] == {
        "dynamodb": "Gateway",
        "events": "Interface",
        "s3": "Gateway",
        "secretsmanager": "Interface",
        "sns": "Interface",
        "sqs": "Interface",
        "ssm": "Interface",
    }
    assert (net["az_count"], net["nat_gateway"], net["cidr"]) == (3, True, "10.0.0.0/16")
    cfg = module(root, "network")
    endpoint = resource(cfg, "aws_vpc_endpoint", "interface")
    assert endpoint["private_dns_enabled"] is True
    ingress = resource(cfg, "aws_vpc_security_group_ingress_rule", "endpoints")
    assert ingress["from_port"] == ingress["to_port"] == 443
    assert ingress["referenced_security_group_id"] == "${each.value.id}"
    assert resource(cfg, "aws_nat_gateway", "this")["count"] == "${var.nat_gateway ? 1 : 0}"


def test_only_the_services_that_use_a_database_or_cache_run_in_the_vpc(root: Config) -> None:
    in_vpc = {name for name, body in root.modules.items() if "vpc" in body}
    assert in_vpc == {"api_service", "worker_service", "db_admin"}
    vpc = root.modules["api_service"]["vpc"]
    assert vpc["subnet_ids"] == "${module.network.private_subnet_ids}"
    assert vpc["security_group_id"] == '${module.network.security_group_ids["api"]}'
    fn = module(root, "api_service")
    dynamic = as_list(resource(fn, "aws_lambda_function", "this")["dynamic"])
    (config,) = [d["vpc_config"] for d in dynamic if "vpc_config" in d]
    assert config["for_each"] == "${var.vpc == null ? [] : [var.vpc]}"


def test_a_lambda_in_the_vpc_makes_interfaces_only_in_its_own_subnets_and_vpc(root: Config) -> None:
    fn = module(root, "api_service")
    runtime = fn.data[("aws_iam_policy_document", "runtime")]
    contents = [as_list(d["statement"]["content"])[0] for d in as_list(runtime["dynamic"])]
    dynamic = {c["sid"]: c for c in contents}
    create = dynamic["CreateOwnNetworkInterfaces"]
    assert create["actions"] == ["ec2:CreateNetworkInterface"]
    assert create["resources"] == (
        "${concat(statement.value.subnet_arns, [statement.value.security_group_arn])}"
    )
    manage = dynamic["ManageNetworkInterfacesInOwnVpc"]
    (condition,) = as_list(manage["condition"])
    assert (condition["test"], condition["variable"]) == ("ArnEquals", "ec2:Vpc")
    assert condition["values"] == ["${statement.value.vpc_arn}"]
    assert set(dynamic["DescribeNetwork"]["actions"]) == {
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
    }


def test_each_service_gets_its_own_user_in_its_urls(root: Config) -> None:
    api = root.modules["api_service"]["environment_variables"]
    worker = root.modules["worker_service"]["environment_variables"]
    db = "${module.ledger_db_database.endpoint}:${module.ledger_db_database.port}"
    assert api["LEDGER_DB_DATABASE_URL"] == f"postgresql://api@{db}/ledger_db?sslmode=require"
    assert worker["LEDGER_DB_DATABASE_URL"] == f"postgresql://worker@{db}/ledger_db?sslmode=require"
    assert "AUDIT_DATABASE_URL" not in api
    cache = "${module.sessions_cache.endpoint}:${module.sessions_cache.port}"
    # The cache's name rides along: the IAM token is signed for it, not for the host.
    name = "?cache_name=kit-${var.environment}-sessions"
    assert api["SESSIONS_CACHE_URL"] == f"rediss://kit-${{var.environment}}-api@{cache}{name}"
    assert worker["SESSIONS_CACHE_URL"] == f"rediss://kit-${{var.environment}}-worker@{cache}{name}"
    # No password anywhere: the runtime signs IAM tokens.
    assert not any(
        ":" in url.split("@")[0].split("//")[1]
        for url in (api["LEDGER_DB_DATABASE_URL"], api["SESSIONS_CACHE_URL"])
    )


def test_grants_name_the_services_own_database_and_cache_users(root: Config) -> None:
    statements = {(doc, st["sid"]): st for doc, st in root.policy_statements()}
    api_db = statements[("api", "LedgerDbDatabase")]
    assert api_db["actions"] == ["rds-db:connect"]
    assert api_db["resources"] == [
        "arn:${local.partition}:rds-db:${local.region}:${local.account_id}:dbuser:"
        "${module.ledger_db_database.resource_id}/api"
    ]
    cache = statements[("worker", "SessionsCache")]
    assert cache["actions"] == ["elasticache:Connect"]
    assert cache["resources"] == [
        "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:serverlesscache:kit-${var.environment}-sessions",
        "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:user:kit-${var.environment}-worker",
    ]
    # The admin function reads the master secrets of its databases, nothing else.
    admin = statements[("db_admin", "ReadMasterSecrets")]
    assert admin["actions"] == ["secretsmanager:GetSecretValue"]
    assert admin["resources"] == [
        "${module.ledger_db_database.master_secret_arn}",
        "${module.audit_database.master_secret_arn}",
    ]


def test_the_cache_has_iam_users_and_a_disabled_default_user(root: Config) -> None:
    users = root.modules["cache_users"]["users"]
    assert users == {"api": "kit-${var.environment}-api", "worker": "kit-${var.environment}-worker"}
    cfg = module(root, "cache_users")
    user = resource(cfg, "aws_elasticache_user", "service")
    assert as_list(user["authentication_mode"]) == [{"type": "iam"}]
    assert user["user_name"] == user["user_id"] == "${each.value}"
    cache_cfg = module(root, "sessions_cache")
    default = resource(cache_cfg, "aws_elasticache_user", "default")
    assert default["user_name"] == "default"
    assert default["access_string"].startswith("off")
    cache = resource(cache_cfg, "aws_elasticache_serverless_cache", "this")
    assert (cache["engine"], cache["major_engine_version"]) == (
        "valkey",
        "${var.major_engine_version}",
    )
    assert root.modules["sessions_cache"]["major_engine_version"] == "8"
    (limits,) = as_list(cache["cache_usage_limits"])
    assert as_list(limits["data_storage"])[0]["maximum"] == "${var.max_storage_gb}"


def test_the_admin_function_is_rendered_with_its_endpoints_and_secrets(root: Config) -> None:
    admin = root.modules["db_admin"]
    assert admin["name"] == "kit-${var.environment}-db-admin"
    assert admin["handler"] == "trellis.runtime.database.admin.handler"
    env = admin["environment_variables"]
    assert (
        env["LEDGER_DB_DATABASE_MASTER_SECRET_ARN"]
        == "${module.ledger_db_database.master_secret_arn}"
    )
    assert env["LEDGER_DB_DATABASE_USERS"] == "api,worker"
    assert env["AUDIT_DATABASE_USERS"] == "worker"
    # Where the package keeps each connecting service's migrations (trellis build --db-admin).
    assert env["LEDGER_DB_DATABASE_MIGRATIONS"] == "api=migrations/api,worker=migrations/worker"
    assert env["AUDIT_DATABASE_URL"].startswith("postgresql://trellis_admin@")
    assert root.outputs["db_admin"]["value"]["databases"] == ["ledger-db", "audit"]


def test_a_stack_without_databases_has_no_network() -> None:
    # The fast e2e stack: the example's services and resources, no database or cache.
    files = render(load_manifest_text((ROOT / "tests/e2e/stacks/fast/trellis.toml").read_text()))
    assert not any(p.endswith(("network.tf", "db_admin.tf", "cache_users.tf")) for p in files)
    assert "vpc" not in files["terraform/service_api.tf"]


def test_network_enabled_alone_makes_an_empty_network() -> None:
    m = load_manifest_text(BASE + '[network]\nenabled = true\nazs = 2\ncidr = "10.8.0.0/20"\n')
    files = render(m)
    net = files["terraform/network.tf"]
    assert 'cidr            = "10.8.0.0/20"' in net
    assert "security_groups = []" in net
    assert "endpoints       = {}" in net


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "[network]\nenabled = false\n[caches.c]\n",
            r"^network\.enabled: caches\.c needs the network",
        ),
        (
            '[network]\ncidr = "10.0.0.0/8"\n',
            r"^network\.cidr: '10\.0\.0\.0/8': a VPC range is /16 to /24",
        ),
        (
            '[network]\ncidr = "10.0.0.1/16"\n',
            r"^network\.cidr: '10\.0\.0\.1/16' is not an IPv4 network",
        ),
        ("[network]\nazs = 4\n", r"^network\.azs: 4 is not one of"),
        (
            "[databases.postgres]\n",
            r"^databases\.postgres: 'postgres' is a name PostgreSQL or RDS keeps",
        ),
        (
            '[services.db-admin]\nruntime = "lambda"\n[databases.audit]\n',
            r"^services\.db-admin: the name is taken by the databases' admin function",
        ),
        (
            '[services.rds-sync]\nruntime = "lambda"\nuses = { audit = "connect" }\n[databases.audit]\n',
            r"^services\.rds-sync\.uses\.audit: the database user 'rds_sync' is one PostgreSQL or RDS keeps",
        ),
        (
            "[databases.audit]\nmin_capacity = 8\nmax_capacity = 4\n",
            r"^databases\.audit: min_capacity \(8\.0\) is above max_capacity \(4\.0\)$",
        ),
        (
            "[caches.a-rather-long-cache-name-x]\n",
            r"^caches\.a-rather-long-cache-name-x: name 'acme-prod-a-rather-long-cache-name-x-default' is 44 characters",
        ),
    ],
)
def test_the_manifest_refuses_what_the_network_cannot_hold(extra: str, message: str) -> None:
    with pytest.raises(ManifestError) as err:
        load_manifest_text(BASE + extra)
    assert re.search(message, str(err.value)), str(err.value)
    assert "\n" not in str(err.value)


def test_trellis_env_shows_each_services_own_user_in_its_urls(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.infra.conftest import EVERYTHING
    from trellis.cli import main

    assert main(["--manifest", str(EVERYTHING), "env", "api", "--env", "prod", "--json"]) == 0
    import json

    variables = json.loads(capsys.readouterr().out)["variables"]
    assert variables["LEDGER_DB_DATABASE_URL"] == (
        "postgresql://api@kit-prod-ledger-db.cluster-??????.eu-west-1.rds.amazonaws.com:5432"
        "/ledger_db?sslmode=require"
    )
    assert variables["SESSIONS_CACHE_URL"] == (
        "rediss://kit-prod-api@kit-prod-sessions-??????.serverless.??????.cache.amazonaws.com:6379"
        "?cache_name=kit-prod-sessions"
    )


# --- App Runner services in the network: a VPC connector --------------------------------------

APPRUNNER_STACK = (
    BASE
    + """
[services.api]
runtime = "lambda"
uses = { audit = "connect" }

[services.legacy]
runtime = "apprunner"
route = "/legacy"
auth = "iam"
uses = { audit = "connect", sessions = "readwrite" }

[services.plain]
runtime = "apprunner"
route = "/plain"
auth = "iam"

[databases.audit]

[caches.sessions]
"""
)


@pytest.fixture(scope="module")
def apprunner_root(tmp_path_factory: pytest.TempPathFactory) -> Config:
    from tests.infra.conftest import write_tree

    tree = write_tree(
        tmp_path_factory.mktemp("apprunner-vpc"), render(load_manifest_text(APPRUNNER_STACK))
    )
    return Config.load(tree / "terraform")


def test_an_apprunner_service_that_uses_a_database_gets_a_vpc_connector(
    apprunner_root: Config,
) -> None:
    legacy = apprunner_root.modules["legacy_service"]
    # Only the private subnets and the service's own group: no Lambda-only ids or ARNs.
    assert legacy["vpc"] == {
        "subnet_ids": "${module.network.private_subnet_ids}",
        "security_group_id": '${module.network.security_group_ids["legacy"]}',
    }
    # A container service without a database or cache stays outside the VPC.
    assert "vpc" not in apprunner_root.modules["plain_service"]
    assert "vpc" in apprunner_root.modules["api_service"]
    cfg = module(apprunner_root, "legacy_service")
    connector = resource(cfg, "aws_apprunner_vpc_connector", "this")
    assert connector["count"] == "${var.vpc == null ? 0 : 1}"
    assert connector["vpc_connector_name"] == "${var.name}"
    assert connector["subnets"] == "${var.vpc.subnet_ids}"
    assert connector["security_groups"] == ["${var.vpc.security_group_id}"]
    service = resource(cfg, "aws_apprunner_service", "this")
    (network,) = [
        d["network_configuration"]
        for d in as_list(service["dynamic"])
        if "network_configuration" in d
    ]
    assert network["for_each"] == "${aws_apprunner_vpc_connector.this}"
    (content,) = as_list(network["content"])
    (egress,) = as_list(content["egress_configuration"])
    assert egress == {
        "egress_type": "VPC",
        "vpc_connector_arn": "${network_configuration.value.arn}",
    }
    # Ingress stays public: the gateway reaches it and its origin secret guards it.
    (ingress,) = as_list(content["ingress_configuration"])
    assert ingress == {"is_publicly_accessible": True}


def test_the_stores_admit_the_apprunner_services_group(apprunner_root: Config) -> None:
    def group(service: str) -> str:
        return f'${{module.network.security_group_ids["{service}"]}}'

    assert _clients(apprunner_root, "audit_database") == {
        "api": group("api"),
        "legacy": group("legacy"),
        "db-admin": group("db-admin"),
    }
    assert _clients(apprunner_root, "sessions_cache") == {"legacy": group("legacy")}
    net = apprunner_root.modules["network"]
    assert net["security_groups"] == ["api", "legacy", "db-admin"]
    # The routed container reads the gateway's origin secret through the VPC (endpoint).
    assert net["endpoints"] == {"secretsmanager": "Interface"}


def _network(tmp_path: Path, text: str) -> dict[str, Any]:
    from tests.infra.conftest import write_tree

    tree = write_tree(tmp_path, render(load_manifest_text(text)))
    net: dict[str, Any] = Config.load(tree / "terraform").modules["network"]
    return net


def test_a_routed_apprunner_service_in_the_network_reaches_secrets_manager(
    tmp_path: Path,
) -> None:
    net = _network(
        tmp_path / "routed",
        BASE
        + '[services.legacy]\nruntime = "apprunner"\nroute = "/legacy"\nauth = "iam"\n'
        + 'uses = { sessions = "readwrite" }\n[caches.sessions]\n',
    )
    assert net["endpoints"] == {"secretsmanager": "Interface"}
    # An unrouted one reads no origin secret: no endpoint for it.
    net = _network(
        tmp_path / "unrouted",
        BASE + '[services.legacy]\nruntime = "apprunner"\nuses = { sessions = "readwrite" }\n'
        "[caches.sessions]\n",
    )
    assert net["endpoints"] == {}


def test_an_ecs_express_service_reaches_its_database_from_public_subnets(tmp_path: Path) -> None:
    """Express Mode's load balancer faces the internet only from public subnets; the database
    stays private and admits the service's own group, which admits the port from the VPC only."""
    m = load_manifest_text(
        BASE
        + '[services.web]\nruntime = "ecs-express"\nport = 8080\nroute = "/web"\nauth = "none"\n'
        + 'uses = { audit = "connect" }\n[services.api]\nruntime = "lambda"\n'
        + 'uses = { audit = "connect" }\n[databases.audit]\n'
    )
    for path, text in render(m).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    cfg = Config.load(tmp_path / "terraform")
    net = cfg.modules["network"]
    assert net["public_subnets"] is True
    assert net["ingress_ports"] == {"web": 8080}
    web = cfg.modules["web_service"]
    assert web["subnet_ids"] == "${module.network.public_subnet_ids}"
    assert web["security_group_ids"] == ['${module.network.security_group_ids["web"]}']
    assert "vpc" not in web
    audit = cfg.modules["audit_database"]
    assert set(audit["client_security_group_ids"]) == {"web", "api", "db-admin"}
    # The Lambda service stays in the private subnets.
    api = cfg.modules["api_service"]
    assert api["vpc"]["subnet_ids"] == "${module.network.private_subnet_ids}"


def test_without_an_ecs_express_service_the_network_has_no_public_subnets(root: Config) -> None:
    net = root.modules["network"]
    assert "public_subnets" not in net and "ingress_ports" not in net


def test_the_network_module_makes_a_public_subnet_per_zone_only_when_asked() -> None:
    net = Config.load(ROOT / "terraform" / "modules" / "network")
    public = resource(net, "aws_subnet", "public")
    assert public["count"] == "${local.public_count}"
    assert public["map_public_ip_on_launch"] is False
    ingress = resource(net, "aws_vpc_security_group_ingress_rule", "service_port")
    assert ingress["cidr_ipv4"] == "${var.cidr}"  # the load balancer's nodes, not the internet
    gateway = resource(net, "aws_vpc_endpoint", "gateway")
    assert "aws_route_table.public[*].id" in gateway["route_table_ids"]
