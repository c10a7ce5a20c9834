"""`trellis iam verify`'s verdicts: what the emulator cannot check is reported, never failed."""

from __future__ import annotations

from trellis.local.verify import ActionResult, VerifyReport, granted_actions, not_checked_locally
from trellis.manifest import load_manifest_text

MANIFEST = """
[project]
name = "acme"
region = "eu-west-1"
github_repository = "acme/backend"
environments = ["dev"]
{encryption}

[services.api]
runtime = "lambda"
route = "/api"
auth = "none"
uses = {{ jobs = "send" }}

[queues.jobs]
"""


def test_kms_grants_are_not_checked_locally_and_everything_else_is() -> None:
    assert not_checked_locally("kms:GenerateDataKey") != ""
    assert not_checked_locally("sqs:SendMessage") == ""


def test_a_customer_key_adds_kms_grants_that_verify_cannot_prove() -> None:
    plain = granted_actions(load_manifest_text(MANIFEST.format(encryption="")), "dev")
    customer = granted_actions(
        load_manifest_text(MANIFEST.format(encryption='encryption = "customer"')), "dev"
    )
    added = [g for g in customer["api"] if g not in plain["api"]]
    assert sorted(action for action, _resource, _sid in added) == [
        "kms:Decrypt",
        "kms:GenerateDataKey",
    ]
    assert {sid for _a, _r, sid in added} == {"JobsQueueKey"}


def test_an_unchecked_grant_does_not_fail_verification_but_an_unused_one_does() -> None:
    needed = ActionResult("api", "sqs:SendMessage", "jobs", "JobsQueue", needed_by="t::a")
    unchecked = ActionResult(
        "api", "kms:GenerateDataKey", "jobs (key)", "JobsQueueKey", unchecked="no KMS locally"
    )
    unused = ActionResult("api", "sqs:GetQueueAttributes", "jobs", "JobsQueue")
    assert unchecked.status == "not checked locally"
    assert VerifyReport([needed, unchecked], baseline_ok=True).ok
    assert not VerifyReport([needed, unchecked, unused], baseline_ok=True).ok
    assert "NOT CHECKED LOCALLY: no KMS locally" in VerifyReport([unchecked], True).table()
