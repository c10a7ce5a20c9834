"""Names, env vars and IAM statements derived from the manifest."""

from __future__ import annotations

import json

import pytest

from trellis import naming
from trellis.iam import Arns, actions_for, service_policy, service_statements
from trellis.infra.addresses import AwsAddresses
from trellis.manifest import load_manifest_text
from trellis.wiring import service_environment

MANIFEST = load_manifest_text(
    """
[project]
name = "acme"
region = "eu-west-1"
github_repository = "acme/backend"
environments = ["dev", "prod"]

[services.api]
runtime = "lambda"
route = "/api"
auth = "none"
timeout_s = 10
uses = { users = "read", uploads = "write", jobs = "send", events = "publish", db-password = "read", feature-flags = "read" }

[services.worker]
runtime = "ecs-express"
uses = { jobs = ["consume", "send"], uploads = "readwrite" }

[queues.jobs]
visibility_timeout_s = 60

[tables.users]
hash_key = "user_id"

[buckets.uploads]

[topics.events]

[secrets.db-password]

[parameters.feature-flags]
value = "{}"
"""
)
ARNS = Arns(region="eu-west-1", account_id="111122223333")


def test_physical_names_follow_project_env_name() -> None:
    assert naming.physical_name("acme", "prod", "users") == "acme-prod-users"
    assert naming.queue_name("acme", "dev", "jobs", dlq=True) == "acme-dev-jobs-dlq"
    assert naming.queue_name("acme", "dev", "jobs", fifo=True, dlq=True) == "acme-dev-jobs-dlq.fifo"
    assert naming.secret_name("acme", "dev", "db") == "acme/dev/db"
    assert naming.parameter_name("acme", "dev", "flags") == "/acme/dev/flags"


@pytest.mark.parametrize(
    ("kind", "name", "var"),
    [
        ("queue", "jobs", "JOBS_QUEUE_URL"),
        ("table", "job-records", "JOB_RECORDS_TABLE_NAME"),
        ("bucket", "uploads", "UPLOADS_BUCKET_NAME"),
        ("topic", "events", "EVENTS_TOPIC_ARN"),
        ("secret", "db-password", "DB_PASSWORD_SECRET_ARN"),
        ("parameter", "feature_flags", "FEATURE_FLAGS_PARAMETER_NAME"),
    ],
)
def test_env_var_names(kind: naming.ResourceKind, name: str, var: str) -> None:
    assert naming.env_var_name(kind, name) == var
    assert naming.settings_field_name(kind, name) == var.lower()


def test_queue_access_levels_map_to_exact_actions() -> None:
    assert set(actions_for("queue", "send")) == {"sqs:SendMessage", "sqs:GetQueueAttributes"}
    assert set(actions_for("queue", "consume")) == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
    }


def test_readwrite_is_read_plus_write_without_duplicates() -> None:
    rw = actions_for("table", "readwrite")
    assert set(rw) == set(actions_for("table", "read")) | set(actions_for("table", "write"))
    assert len(rw) == len(set(rw))


def test_no_action_grants_an_unbounded_scan_or_wildcard() -> None:
    for levels in (actions_for("table", "readwrite"), actions_for("bucket", "readwrite")):
        assert "dynamodb:Scan" not in levels
        assert all("*" not in action for action in levels)


def test_statements_are_scoped_to_each_resource_arn() -> None:
    by_sid = {s.sid: s for s in service_statements(MANIFEST, "api", "prod", ARNS)}
    assert by_sid["UsersTable"].resources == (
        "arn:aws:dynamodb:eu-west-1:111122223333:table/acme-prod-users",
        "arn:aws:dynamodb:eu-west-1:111122223333:table/acme-prod-users/index/*",
    )
    assert "dynamodb:PutItem" not in by_sid["UsersTable"].actions
    # write-only on a bucket: object actions on bucket/*, no ListBucket statement at all
    assert by_sid["UploadsBucketObjects"].resources == ("arn:aws:s3:::acme-prod-uploads/*",)
    assert "UploadsBucketList" not in by_sid
    assert by_sid["JobsQueue"].resources == ("arn:aws:sqs:eu-west-1:111122223333:acme-prod-jobs",)
    assert by_sid["EventsTopic"].actions == ("sns:Publish", "sns:GetTopicAttributes")
    assert by_sid["DbPasswordSecret"].resources == (
        "arn:aws:secretsmanager:eu-west-1:111122223333:secret:acme/prod/db-password-??????",
    )
    assert by_sid["FeatureFlagsParameter"].resources == (
        "arn:aws:ssm:eu-west-1:111122223333:parameter/acme/prod/feature-flags",
    )


def test_two_levels_on_one_queue_merge_into_one_statement() -> None:
    (jobs,) = [
        s for s in service_statements(MANIFEST, "worker", "dev", ARNS) if s.sid == "JobsQueue"
    ]
    assert set(jobs.actions) == set(actions_for("queue", "consume")) | {"sqs:SendMessage"}
    assert len(jobs.actions) == len(set(jobs.actions))


def test_policy_document_is_valid_json_with_allow_statements() -> None:
    policy = json.loads(json.dumps(service_policy(MANIFEST, "worker", "dev", ARNS)))
    assert policy["Version"] == "2012-10-17"
    assert {s["Effect"] for s in policy["Statement"]} == {"Allow"}
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids))


def test_lambda_env_never_sets_the_reserved_aws_region() -> None:
    env = service_environment(
        MANIFEST, "api", "prod", AwsAddresses(MANIFEST, "prod", "111122223333")
    )
    assert "AWS_REGION" not in env
    assert env["USERS_TABLE_NAME"] == "acme-prod-users"
    assert (
        env["JOBS_QUEUE_URL"] == "https://sqs.eu-west-1.amazonaws.com/111122223333/acme-prod-jobs"
    )
    assert env["EVENTS_TOPIC_ARN"] == "arn:aws:sns:eu-west-1:111122223333:acme-prod-events"
    assert env["FEATURE_FLAGS_PARAMETER_NAME"] == "/acme/prod/feature-flags"
    assert env["TRELLIS_ROUTE"] == "/api"
    assert env["TRELLIS_ENV"] == "prod"


def test_container_env_carries_region_and_port_and_only_what_it_uses() -> None:
    env = service_environment(MANIFEST, "worker", "dev", AwsAddresses(MANIFEST, "dev"))
    assert env["AWS_REGION"] == "eu-west-1"
    assert env["PORT"] == "8080"
    assert "USERS_TABLE_NAME" not in env
    assert "TRELLIS_ROUTE" not in env


def test_a_consumer_may_send_to_its_queues_dlq_and_nothing_else_there() -> None:
    by_sid = {s.sid: s for s in service_statements(MANIFEST, "worker", "dev", ARNS)}
    assert by_sid["JobsQueueDeadLetter"].actions == ("sqs:SendMessage",)
    assert by_sid["JobsQueueDeadLetter"].resources == (
        "arn:aws:sqs:eu-west-1:111122223333:acme-dev-jobs-dlq",
    )
    api = {s.sid for s in service_statements(MANIFEST, "api", "dev", ARNS)}
    assert "JobsQueueDeadLetter" not in api  # a sender gets nothing on the DLQ


def test_a_write_only_bucket_is_named_so_readiness_skips_it() -> None:
    from trellis.infra.addresses import AwsAddresses as _Aws

    api = service_environment(MANIFEST, "api", "dev", _Aws(MANIFEST, "dev", "111122223333"))
    worker = service_environment(MANIFEST, "worker", "dev", _Aws(MANIFEST, "dev", "111122223333"))
    assert api["TRELLIS_WRITE_ONLY_BUCKETS"] == "uploads"  # api: uploads = "write"
    assert "TRELLIS_WRITE_ONLY_BUCKETS" not in worker  # worker: uploads = "readwrite"
