"""Every manifest mistake → one line naming the key, and exit status 2 from the CLI."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from trellis.cli import main
from trellis.manifest import ManifestError, load_manifest, load_manifest_text

PROJECT = """
[project]
name = "acme"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev", "test", "prod"]
"""

VALID = (
    PROJECT
    + """
[services.api]
runtime = "lambda"
route = "/api"
auth = "none"
timeout_s = 15
uses = { users = "readwrite", jobs = "send", uploads = ["read", "write"] }

[services.worker]
runtime = "lambda"
route = "/worker"
auth = "none"
timeout_s = 30
uses = { jobs = "consume" }

[queues.jobs]
visibility_timeout_s = 180

[tables.users]
hash_key = "user_id"

[buckets.uploads]
notifications = [{ queue = "jobs", prefix = "incoming/" }]
"""
)


def manifest_error(text: str) -> ManifestError:
    with pytest.raises(ManifestError) as exc:
        load_manifest_text(textwrap.dedent(text))
    return exc.value


def test_valid_manifest_loads_with_defaults() -> None:
    m = load_manifest_text(VALID)
    assert m.consumers("jobs") == ["worker"]
    assert m.kind_of("uploads") == "bucket"
    assert m.services["api"].uses["users"] == ["readwrite"]
    assert m.services["api"].uses["uploads"] == ["read", "write"]
    assert m.queues["jobs"].max_receive_count == 3
    assert m.lambda_handler("api") == "api.handler.handler"
    assert m.service_path("worker") == "backend/worker"
    # AWS's own keys unless the project asks for its own.
    assert m.project.encryption == "aws-managed"


def test_the_example_stack_manifest_is_valid() -> None:
    m = load_manifest(Path(__file__).parents[2] / "trellis.toml")
    assert set(m.services) == {"api", "worker"}
    assert m.consumers("jobs") == ["worker"]


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        pytest.param(
            VALID.replace('users = "readwrite"', 'userz = "readwrite"'),
            "services.api.uses.userz",
            "unknown resource 'userz'",
            id="unknown-resource-in-uses",
        ),
        pytest.param(
            VALID.replace('jobs = "send"', 'jobs = "publish"'),
            "services.api.uses.jobs",
            "access level 'publish' is not valid for a queue; use one of: send, consume",
            id="bad-access-level",
        ),
        pytest.param(
            VALID.replace('users = "readwrite"', 'users = "consume"'),
            "services.api.uses.users",
            "not valid for a table",
            id="queue-level-on-table",
        ),
        pytest.param(
            VALID + "\n[queues.users]\n",
            "tables.users",
            "duplicate name: queues.users is already called 'users'",
            id="duplicate-name-across-kinds",
        ),
        pytest.param(
            VALID + '\n[tables.api]\nhash_key = "id"\n',
            "tables.api",
            "duplicate name: services.api",
            id="resource-named-like-a-service",
        ),
        pytest.param(
            VALID + "\n[tables." + "x" * 250 + ']\nhash_key = "id"\n',
            "tables." + "x" * 250,
            "over the AWS limit of 255",
            id="table-name-too-long",
        ),
        pytest.param(
            VALID + "\n[queues." + "q" * 67 + "]\n",
            "queues." + "q" * 67,
            "over the AWS limit of 80",
            id="queue-name-with-dlq-suffix-too-long",
        ),
        pytest.param(
            VALID + "\n[buckets." + "b" * 54 + "]\n",
            "buckets." + "b" * 54,
            "over the AWS limit of 63",
            id="bucket-name-too-long",
        ),
        pytest.param(
            VALID + "\n[buckets.my_files]\n",
            "buckets.my_files",
            "S3 bucket name",
            id="bucket-name-charset",
        ),
        pytest.param(
            VALID.replace("visibility_timeout_s = 180", "visibility_timeout_s = 60"),
            "queues.jobs.visibility_timeout_s",
            "below 6x the timeout of its consumer services.worker (30 s); use at least 180",
            id="visibility-below-6x-lambda-timeout",
        ),
        pytest.param(
            VALID.replace('route = "/worker"', 'route = "/api"'),
            "services.worker.route",
            "route /api is already used by services.api",
            id="route-used-twice",
        ),
        pytest.param(
            VALID.replace(
                'runtime = "lambda"\nroute = "/api"', 'runtime = "fargate"\nroute = "/api"'
            ),
            "services.api.runtime",
            "'fargate' is not one of",
            id="unknown-runtime",
        ),
        pytest.param(
            VALID.replace("timeout_s = 15", "timeout_s = 901"),
            "services.api.timeout_s",
            "less than or equal to 900",
            id="lambda-timeout-over-15-min",
        ),
        pytest.param(
            VALID.replace("[queues.jobs]", "[queues.jobs]\nvisiblity = 3"),
            "queues.jobs.visiblity",
            "unknown key",
            id="typo-in-key",
        ),
        pytest.param(
            VALID.replace('hash_key = "user_id"', ""),
            "tables.users.hash_key",
            "required key is missing",
            id="missing-required-key",
        ),
        pytest.param(
            VALID.replace('queue = "jobs"', 'queue = "nope"'),
            "buckets.uploads.notifications.0.queue",
            "unknown queue 'nope'",
            id="notification-to-unknown-queue",
        ),
        pytest.param(
            VALID.replace('name = "acme"', 'name = "Acme Corp"'),
            "project.name",
            "does not match",
            id="project-name-charset",
        ),
        pytest.param(
            VALID + '\n[services.extra]\nruntime = "lambda"\nuses = { jobs = "consume" }\n',
            "queues.jobs",
            "consumed by 2 services",
            id="two-consumers",
        ),
        pytest.param(
            VALID + '\n[schedules.nightly]\nexpression = "every night"\ntarget = "jobs"\n',
            "schedules.nightly.expression",
            "is not rate(value unit), cron(fields) or at(yyyy-mm-ddThh:mm:ss)",
            id="bad-schedule-expression",
        ),
        pytest.param(
            VALID + '\n[schedules.nightly]\nexpression = "rate(0 minutes)"\ntarget = "jobs"\n',
            "schedules.nightly.expression",
            "positive integer",
            id="schedule-rate-of-zero",
        ),
        pytest.param(
            VALID + '\n[schedules.nightly]\nexpression = "rate(5 minute)"\ntarget = "jobs"\n',
            "schedules.nightly.expression",
            "with 5 the unit is 'minutes'",
            id="schedule-rate-singular-unit",
        ),
        pytest.param(
            VALID + '\n[schedules.nightly]\nexpression = "cron(0 3 * * *)"\ntarget = "jobs"\n',
            "schedules.nightly.expression",
            "six fields",
            id="schedule-unix-cron",
        ),
        pytest.param(
            VALID
            + '\n[schedules.nightly]\nexpression = "cron(0 3 * * ? *)"\ntimezone = "Paris"\n'
            + 'target = "jobs"\n',
            "schedules.nightly.timezone",
            "'Paris' is not an IANA time zone name",
            id="schedule-bad-timezone",
        ),
        pytest.param(
            VALID.replace(
                '[services.worker]\nruntime = "lambda"',
                '[services.worker]\nruntime = "ecs-express"',
            )
            + '\n[schedules.nightly]\nexpression = "rate(1 day)"\ntarget = "worker"\n',
            "schedules.nightly.target",
            "aim the schedule at target = 'jobs', the queue it consumes",
            id="schedule-aimed-at-a-container",
        ),
        pytest.param(
            VALID + '\n[parameters.key]\nsecure = true\nvalue = "s3cret"\n',
            "parameters.key.value",
            "trellis parameter set key --env ENV",
            id="secure-parameter-with-a-value",
        ),
        pytest.param(
            VALID + '\n[parameters.flags]\ndescription = "x"\n',
            "parameters.flags.value",
            "required key is missing",
            id="plain-parameter-without-value",
        ),
        pytest.param(
            VALID + '\n[parameters.flags]\nvalue = "on"\nlocal_value = "off"\n',
            "parameters.flags.local_value",
            "only a secure parameter",
            id="local-value-on-a-plain-parameter",
        ),
        pytest.param(
            VALID.replace('"test", "prod"]', '"test", "prod"]\nencryption = "kms"'),
            "project.encryption",
            "'kms' is not one of 'aws-managed' or 'customer'",
            id="unknown-encryption",
        ),
        pytest.param(
            VALID.replace('"test", "prod"]', '"test", "deploy"]'),
            "project.environments",
            "'deploy' is reserved",
            id="environment-named-like-the-deploy-roles",
        ),
    ],
)
def test_each_mistake_names_its_key(text: str, key: str, fragment: str) -> None:
    error = manifest_error(text)
    assert error.key == key
    assert fragment in error.message
    assert "\n" not in str(error)


def test_invalid_toml_is_one_line_with_position() -> None:
    error = manifest_error(PROJECT + "[services.api\n")
    assert "not valid TOML" in str(error)
    assert "line" in str(error)
    assert "\n" not in str(error)


def test_missing_project_section_is_reported() -> None:
    assert manifest_error('[services.api]\nruntime = "lambda"\n').key == "project"


def test_cli_prints_one_line_and_exits_2_on_a_bad_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "trellis.toml"
    path.write_text(VALID.replace('jobs = "consume"', 'jobz = "consume"'))
    status = main(["--manifest", str(path), "validate"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1
    assert "services.worker.uses.jobz: unknown resource 'jobz'" in err
    assert "Traceback" not in err


def test_cli_reports_a_missing_manifest_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--manifest", str(tmp_path / "nope.toml"), "validate"])
    err = capsys.readouterr().err
    assert status == 2
    assert "no such file" in err
    assert err.count("\n") == 1


def test_cli_validate_summarises_a_good_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "trellis.toml"
    path.write_text(VALID)
    assert main(["--manifest", str(path), "validate"]) == 0
    assert "2 services, 1 queue, 1 table, 1 bucket" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("var", "fragment"),
    [
        ("AWS_REGION", "reserved"),
        ("JOBS_QUEUE_URL", "derives this variable"),
        ("TRELLIS_ENV", "derives this variable"),
        ("lower", "upper-case"),
    ],
)
def test_service_env_cannot_set_reserved_or_derived_variables(var: str, fragment: str) -> None:
    text = VALID.replace("timeout_s = 15\n", f'timeout_s = 15\nenv = {{ {var} = "x" }}\n')
    error = manifest_error(text)
    assert error.key == f"services.api.env.{var}"
    assert fragment in error.message


def test_service_env_is_handed_to_the_service() -> None:
    from trellis.infra.addresses import AwsAddresses
    from trellis.wiring import service_environment

    m = load_manifest_text(
        VALID.replace("timeout_s = 15\n", 'timeout_s = 15\nenv = { FEATURE_X = "on" }\n')
    )
    assert service_environment(m, "api", "dev", AwsAddresses(m, "dev"))["FEATURE_X"] == "on"


# --- auth -------------------------------------------------------------------------------

JWT = '\n[auth.jwt]\nissuer = "https://issuer.example.com"\naudience = ["acme-web"]\n'


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        pytest.param(
            VALID.replace('route = "/api"\nauth = "none"\n', 'route = "/api"\n'),
            "services.api.auth",
            'auth = "none" | "iam" | "api_key" | "jwt"',
            id="routed-service-without-auth",
        ),
        pytest.param(
            VALID.replace('auth = "none"', 'auth = "open"', 1),
            "services.api.auth",
            "'open' is not one of",
            id="unknown-auth",
        ),
        pytest.param(
            VALID.replace('auth = "none"', 'auth = "jwt"', 1),
            "services.api.jwt",
            "needs an issuer and audience",
            id="jwt-without-issuer",
        ),
        pytest.param(
            VALID.replace('auth = "none"', 'auth = "jwt"', 1)
            + '\n[services.api.jwt]\nissuer = "http://issuer.example.com"\naudience = "a"\n',
            "services.api.jwt.issuer",
            "does not match",
            id="jwt-issuer-not-https",
        ),
        pytest.param(
            VALID + JWT.replace('audience = ["acme-web"]', "audience = []"),
            "auth.jwt.audience",
            "at least 1 item",
            id="jwt-without-audience",
        ),
        pytest.param(
            VALID.replace('route = "/api"\nauth = "none"\n', 'auth = "none"\n'),
            "services.api.auth",
            "no route",
            id="auth-without-route",
        ),
        pytest.param(
            VALID.replace('auth = "none"', 'auth = "none"\nroute_auth = { "/health" = "iam" }', 1),
            "services.api.route_auth./health",
            "open on every service",
            id="health-cannot-be-closed",
        ),
        pytest.param(
            VALID.replace('auth = "none"', 'auth = "none"\nroute_auth = { "jobs" = "iam" }', 1),
            "services.api.route_auth.jobs",
            "a path prefix below the route",
            id="route-auth-prefix-without-slash",
        ),
        pytest.param(
            VALID.replace('auth = "none"', 'auth = "none"\nroute_auth = { "/a/b/c/d" = "iam" }', 1),
            "services.api.route_auth./a/b/c/d",
            "1-3 segments",
            id="route-auth-too-deep",
        ),
        pytest.param(
            VALID.replace('auth = "none"', 'auth = "none"\napi_key = { rate_limit = 5 }', 1),
            "services.api.api_key",
            'only used by auth = "api_key"',
            id="usage-plan-without-api-key-auth",
        ),
        pytest.param(
            VALID.replace('auth = "none"', 'auth = "api_key"\napi_key = { rate_limit = 0 }', 1),
            "services.api.api_key.rate_limit",
            "greater than 0",
            id="usage-plan-rate-zero",
        ),
    ],
)
def test_each_auth_mistake_names_its_key(text: str, key: str, fragment: str) -> None:
    with pytest.raises(ManifestError) as exc:
        load_manifest_text(text)
    assert exc.value.key == key
    assert fragment in str(exc.value)


def test_jwt_services_take_the_project_issuer_unless_they_have_their_own() -> None:
    text = (
        VALID.replace('auth = "none"', 'auth = "jwt"', 2)
        + JWT
        + '\n[services.worker.jwt]\nissuer = "https://other.example.com/t/"\naudience = "w"\n'
    )
    manifest = load_manifest_text(text)
    api, worker = manifest.jwt_config("api"), manifest.jwt_config("worker")
    assert api is not None and api.issuer == "https://issuer.example.com"
    assert worker is not None and (worker.issuer, worker.audience) == (
        "https://other.example.com/t/",
        ["w"],
    )


def test_route_auth_longest_prefix_wins_and_health_is_always_open() -> None:
    text = VALID.replace(
        'auth = "none"',
        'auth = "jwt"\nroute_auth = { "/jobs" = "api_key", "/jobs/process" = "iam" }',
        1,
    )
    manifest = load_manifest_text(text + JWT)
    assert manifest.auth_for("api", "/users/1") == "jwt"
    assert manifest.auth_for("api", "/jobs") == "api_key"
    assert manifest.auth_for("api", "/jobs/123") == "api_key"
    assert manifest.auth_for("api", "/jobs/process") == "iam"
    assert manifest.auth_for("api", "/jobs/processing") == "api_key"
    assert manifest.auth_for("api", "/ready") == "jwt"
    assert manifest.auth_for("api", "/health") == "none"
    assert manifest.auth_modes("api") == {"jwt", "api_key", "iam"}


def test_a_jwt_issuer_can_differ_per_environment() -> None:
    text = (
        VALID.replace('auth = "none"', 'auth = "jwt"', 1)
        + JWT
        + '[auth.jwt.environments.dev]\nissuer = "https://dev-issuer.example.com"\naudience = "dev-web"\n'
    )
    config = load_manifest_text(text).jwt_config("api")
    assert config is not None
    assert config.for_environment("dev").issuer == "https://dev-issuer.example.com"
    assert config.for_environment("dev").audience == ["dev-web"]
    assert config.for_environment("prod").issuer == "https://issuer.example.com"
    with pytest.raises(ManifestError) as exc:
        load_manifest_text(text.replace("environments.dev]", "environments.staging]"))
    assert exc.value.key == "auth.jwt.environments.staging"


def test_a_queue_consumer_has_a_default_maximum_concurrency() -> None:
    m = load_manifest_text(VALID)
    assert m.queues["jobs"].max_concurrency == 10
    text = VALID.replace(
        "visibility_timeout_s = 180", "visibility_timeout_s = 180\nmax_concurrency = 2"
    )
    assert load_manifest_text(text).queues["jobs"].max_concurrency == 2


@pytest.mark.parametrize("value", ["1", "1001", "0", '"ten"'])
def test_max_concurrency_outside_2_to_1000_is_one_line_naming_the_key(value: str) -> None:
    text = VALID.replace(
        "visibility_timeout_s = 180", f"visibility_timeout_s = 180\nmax_concurrency = {value}"
    )
    error = manifest_error(text)
    assert error.key == "queues.jobs.max_concurrency"
    assert "\n" not in str(error)


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        pytest.param(
            lambda tmp: _write_bytes(tmp / "trellis.toml", b"\xff\xfe[project]\n"),
            "not UTF-8",
            id="not-utf8",
        ),
        pytest.param(
            lambda tmp: (tmp / "trellis.toml").mkdir() or tmp / "trellis.toml",
            "is a directory",
            id="a-directory",
        ),
        pytest.param(
            lambda tmp: _write_bytes(tmp / "file", b"") / "trellis.toml",
            "cannot read",
            id="unreadable-path",
        ),
    ],
)
def test_a_manifest_that_cannot_be_read_is_one_line_naming_the_file_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: object, fragment: str
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(ManifestError) as exc:
        load_manifest(path)
    assert str(path) in str(exc.value) and fragment in str(exc.value)

    status = main(["--manifest", str(path), "validate"])

    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1
    assert fragment in err
    assert err.count(str(path)) == 1, err  # named once, not twice
    assert "Traceback" not in err


def test_an_apprunner_service_may_use_a_database_and_a_cache() -> None:
    m = load_manifest_text(
        PROJECT
        + '[services.web]\nruntime = "apprunner"\nroute = "/web"\nauth = "iam"\n'
        + 'uses = { audit = "connect", sessions = "readwrite" }\n'
        + "[databases.audit]\n[caches.sessions]\n"
    )
    assert m.network_services() == ["web"]


def test_an_ecs_express_service_that_uses_a_database_joins_the_network() -> None:
    m = load_manifest_text(
        PROJECT
        + '[services.web]\nruntime = "ecs-express"\nuses = { audit = "connect" }\n'
        + "[databases.audit]\n"
    )
    assert m.network_services() == ["web"]
