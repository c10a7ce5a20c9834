"""Cold start and layering: what importing the runtime pulls in, and what it exports."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import trellis.runtime

RUNTIME_DIR = Path(trellis.runtime.__file__).parent

FORBIDDEN_IN_LAMBDA = ("trellis.local", "trellis.cli", "trellis.infra", "moto", "opentelemetry.sdk")

EXPORTS = [
    "APIRouter",
    "AccessDenied",
    "AwsClients",
    "BadRequest",
    "ClientsDep",
    "Conflict",
    "DependencyError",
    "DependencyUnavailable",
    "InternalError",
    "MethodNotAllowed",
    "NotFound",
    "OptionalPrincipalDep",
    "PayloadTooLarge",
    "Principal",
    "PrincipalDep",
    "ReadinessCheck",
    "ServiceSettings",
    "SettingsDep",
    "SettingsError",
    "SingleHopRoute",
    "SqsRecord",
    "Throttled",
    "TrellisError",
    "Unauthenticated",
    "Unprocessable",
    "add_openapi_patch",
    "aws_errors",
    "bind_request_id",
    "clients_for",
    "configure_logging",
    "configure_tracing",
    "create_app",
    "default_readiness_checks",
    "error_responses",
    "get_clients",
    "get_logger",
    "get_optional_principal",
    "get_principal",
    "get_settings",
    "lambda_handler",
    "load_settings",
    "on_restore",
    "translate_aws_error",
]


def loaded_modules(code: str) -> set[str]:
    """The modules loaded after running ``code`` in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(TRELLIS_PROJECT="acme", TRELLIS_ENV="test", TRELLIS_SERVICE="api")
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def imported(modules: set[str], package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in modules)


def test_import_runtime_loads_no_local_cli_moto_or_otel_sdk() -> None:
    modules = loaded_modules("import trellis.runtime")

    for package in FORBIDDEN_IN_LAMBDA:
        assert not imported(modules, package), package


def test_plain_import_runtime_does_not_load_fastapi_or_boto3() -> None:
    modules = loaded_modules("import trellis.runtime")

    for package in ("fastapi", "boto3", "botocore", "pydantic", "mangum"):
        assert not imported(modules, package), package


def test_a_lambda_module_loads_boto3_only_when_a_client_is_built() -> None:
    modules = loaded_modules(
        "from trellis.runtime import ServiceSettings, create_app, lambda_handler, load_settings\n"
        "handler = lambda_handler(create_app(load_settings(ServiceSettings)))"
    )

    assert imported(modules, "fastapi")
    # (FastAPI itself loads the OpenTelemetry *API*; the SDK and exporters stay out.)
    heavy = (
        "boto3",
        "botocore",
        "mangum",
        "opentelemetry.exporter",
        "opentelemetry.instrumentation",
    )
    for package in (*FORBIDDEN_IN_LAMBDA, *heavy):
        assert not imported(modules, package), package


DRIVERS = ("psycopg", "psycopg_pool", "psycopg_binary", "sqlalchemy", "alembic", "valkey")


def test_a_service_without_a_database_or_cache_loads_no_driver() -> None:
    modules = loaded_modules(
        "from trellis.runtime import ServiceSettings, create_app, lambda_handler, load_settings\n"
        "handler = lambda_handler(create_app(load_settings(ServiceSettings)))"
    )

    for package in DRIVERS:
        assert not imported(modules, package), package


def test_importing_the_database_and_cache_packages_loads_no_driver_nor_the_rds_client() -> None:
    modules = loaded_modules(
        "import trellis.runtime.database, trellis.runtime.cache\n"
        "from trellis.runtime.database import connection, pool, engine, ping, retry_transaction\n"
        "from trellis.runtime.cache import client, get_or_set, invalidate"
    )

    # The names resolve to their modules, but psycopg/valkey load only when a pool or a
    # client is first built, and boto3 (the RDS token signer) only for an IAM URL.
    for package in (*DRIVERS, "boto3", "botocore"):
        assert not imported(modules, package), package


def test_the_first_database_use_loads_the_driver_and_not_boto3_for_a_local_url() -> None:
    modules = loaded_modules(
        "from trellis.runtime.database._pool import connect_kwargs\n"
        "from trellis.runtime.database._url import parse_url\n"
        "import psycopg_pool\n"
        "connect_kwargs(parse_url('postgresql://api:pw@127.0.0.1:1/audit'))()"
    )

    assert imported(modules, "psycopg")
    assert not imported(modules, "boto3")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
    return names


def test_runtime_source_imports_nothing_of_trellis_but_the_runtime_nor_moto() -> None:
    # A Lambda package carries trellis/runtime/ alone (subpackages included): every other
    # part of trellis (the manifest, the kind registry, local, infra, the CLI) stays out.
    paths = sorted(RUNTIME_DIR.rglob("*.py"))
    assert any(p.parent != RUNTIME_DIR for p in paths)  # the subpackages are checked too
    for path in paths:
        for name in _imports(path):
            root = name.split(".")[0]
            assert root != "moto", f"{path.relative_to(RUNTIME_DIR)} imports {name}"
            if root == "trellis":
                assert name.startswith("trellis.runtime"), (
                    f"{path.relative_to(RUNTIME_DIR)} imports {name}"
                )


def test_the_lazy_table_and_the_type_checkers_imports_name_the_same_exports() -> None:
    source = (RUNTIME_DIR / "__init__.py").read_text()
    tree = ast.parse(source)
    checked = next(
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    )
    seen = {
        alias.name: node.module.rsplit(".", 1)[-1]
        for node in checked.body
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("trellis")
        for alias in node.names
        if alias.asname == alias.name
    }
    assert seen == trellis.runtime._MODULE_OF


def test_the_public_api_is_exactly_the_curated_export_list() -> None:
    assert sorted(trellis.runtime.__all__) == EXPORTS
    for name in EXPORTS:
        assert getattr(trellis.runtime, name) is not None, name


def test_private_modules_are_underscored() -> None:
    public = {
        p.relative_to(RUNTIME_DIR).as_posix()
        for p in RUNTIME_DIR.rglob("*.py")
        if not p.name.startswith("_")
    }

    # The database admin function's handler: its module path is the Lambda's handler setting.
    assert public == {"database/admin.py"}
