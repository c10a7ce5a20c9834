"""Bucket lifecycle rules: S3's rules checked in the manifest, and what reaches the module.

The rules are S3's (API reference, Transition and NoncurrentVersionTransition; user
guide, "Constraints and considerations for transitions"): Standard-IA and One Zone-IA
at 30 days at the earliest, transitions only down the waterfall, 30 days in an IA class
and 90 in a Glacier class before the next transition, expiration after the last one.
"""

from __future__ import annotations

import textwrap

import pytest

from trellis.kinds import BUCKET
from trellis.manifest import ManifestError, load_manifest_text

PROJECT = """
[project]
name = "acme"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[buckets.logs]
"""


def load(bucket: str) -> object:
    return load_manifest_text(PROJECT + textwrap.dedent(bucket))


@pytest.mark.parametrize(
    "bucket",
    [
        # The guide's policy: Glacier at 90 days, expire at 365.
        'lifecycle = [{ id = "archive", transitions = [{ days = 90, storage_class = "GLACIER" }], expiration_days = 365 }]',
        'lifecycle = [{ id = "ia", prefix = "logs/", transitions = [{ days = 30, storage_class = "STANDARD_IA" }, { days = 60, storage_class = "GLACIER" }, { days = 150, storage_class = "DEEP_ARCHIVE" }] }]',
        'lifecycle = [{ id = "now", transitions = [{ days = 0, storage_class = "GLACIER_IR" }] }]',
        'lifecycle = [{ id = "tiering", transitions = [{ days = 0, storage_class = "INTELLIGENT_TIERING" }, { days = 30, storage_class = "ONEZONE_IA" }] }]',
        'lifecycle = [{ id = "tmp", prefix = "tmp/", expiration_days = 1 }]',
        'lifecycle = [{ id = "versions", noncurrent_transitions = [{ days = 30, storage_class = "STANDARD_IA" }], noncurrent_expiration_days = 60 }]',
        'noncurrent_expiration_days = 400\nlifecycle = [{ id = "v", noncurrent_expiration_days = 365 }]',
    ],
)
def test_rules_s3_accepts_load(bucket: str) -> None:
    load(bucket)


@pytest.mark.parametrize(
    ("bucket", "key", "fragment"),
    [
        (
            'lifecycle = [{ id = "ia", transitions = [{ days = 10, storage_class = "STANDARD_IA" }] }]',
            "buckets.logs.lifecycle.0.transitions",
            "STANDARD_IA after 30 days at the earliest (got 10)",
        ),
        (
            'lifecycle = [{ id = "oz", transitions = [{ days = 29, storage_class = "ONEZONE_IA" }] }]',
            "buckets.logs.lifecycle.0.transitions",
            "ONEZONE_IA after 30 days",
        ),
        (
            'lifecycle = [{ id = "gap", transitions = [{ days = 30, storage_class = "STANDARD_IA" }, { days = 45, storage_class = "GLACIER" }] }]',
            "buckets.logs.lifecycle.0.transitions",
            "the GLACIER transition (day 45) comes at least 30 days after the STANDARD_IA one (day 30)",
        ),
        (
            'lifecycle = [{ id = "gap", transitions = [{ days = 0, storage_class = "GLACIER" }, { days = 60, storage_class = "DEEP_ARCHIVE" }] }]',
            "buckets.logs.lifecycle.0.transitions",
            "at least 90 days after the GLACIER one",
        ),
        (
            'lifecycle = [{ id = "up", transitions = [{ days = 30, storage_class = "GLACIER" }, { days = 200, storage_class = "STANDARD_IA" }] }]',
            "buckets.logs.lifecycle.0.transitions",
            "STANDARD_IA after GLACIER goes up S3's waterfall",
        ),
        (
            'lifecycle = [{ id = "twice", transitions = [{ days = 30, storage_class = "GLACIER" }, { days = 200, storage_class = "GLACIER" }] }]',
            "buckets.logs.lifecycle.0.transitions",
            "each storage class appears once",
        ),
        (
            'lifecycle = [{ id = "early", transitions = [{ days = 90, storage_class = "GLACIER" }], expiration_days = 90 }]',
            "buckets.logs.lifecycle.0.transitions",
            "objects expire on day 90, not after their last transition (day 90)",
        ),
        (
            'lifecycle = [{ id = "nc", noncurrent_transitions = [{ days = 5, storage_class = "STANDARD_IA" }] }]',
            "buckets.logs.lifecycle.0.noncurrent_transitions",
            "STANDARD_IA after 30 days",
        ),
        (
            'lifecycle = [{ id = "nothing", prefix = "x/" }]',
            "buckets.logs.lifecycle.0",
            "a rule needs an action",
        ),
        (
            'lifecycle = [{ id = "a", expiration_days = 5 }, { id = "a", expiration_days = 6 }]',
            "buckets.logs.lifecycle.1.id",
            "two rules are called 'a'",
        ),
        (
            'lifecycle = [{ id = "transitions", expiration_days = 5 }]',
            "buckets.logs.lifecycle.0.id",
            "a rule Trellis adds itself",
        ),
        (
            'versioning = false\nlifecycle = [{ id = "v", noncurrent_expiration_days = 30 }]',
            "buckets.logs.lifecycle.0",
            "need versioning = true",
        ),
        (
            'lifecycle = [{ id = "v", noncurrent_expiration_days = 120 }]',
            "buckets.logs.lifecycle.0.noncurrent_expiration_days",
            "day 120 comes after the bucket deletes noncurrent versions (noncurrent_expiration_days = 90)",
        ),
        (
            'lifecycle = [{ id = "v", noncurrent_transitions = [{ days = 90, storage_class = "GLACIER" }] }]',
            "buckets.logs.lifecycle.0.noncurrent_transitions",
            "day 90 comes after the bucket deletes noncurrent versions",
        ),
        (
            'lifecycle = [{ id = "bad id!", expiration_days = 5 }]',
            "buckets.logs.lifecycle.0.id",
            "does not match",
        ),
        (
            'lifecycle = [{ id = "c", transitions = [{ days = 30, storage_class = "REDUCED_REDUNDANCY" }] }]',
            "buckets.logs.lifecycle.0.transitions.0.storage_class",
            "is not one of",
        ),
        (
            'lifecycle = [{ id = "z", expiration_days = 0 }]',
            "buckets.logs.lifecycle.0.expiration_days",
            "greater than or equal to 1",
        ),
    ],
)
def test_rules_s3_refuses_are_one_line_naming_the_key(bucket: str, key: str, fragment: str) -> None:
    with pytest.raises(ManifestError) as exc:
        load(bucket)
    assert exc.value.key == key, str(exc.value)
    assert fragment in str(exc.value)
    assert "\n" not in str(exc.value)


def test_the_module_gets_the_rules_and_the_bucket_wide_noncurrent_expiry() -> None:
    manifest = load(
        'noncurrent_expiration_days = 400\nlifecycle = [{ id = "archive", prefix = "logs/", '
        'transitions = [{ days = 90, storage_class = "GLACIER" }], expiration_days = 365 }]'
    )
    spec = manifest.specs(BUCKET)["logs"]  # type: ignore[attr-defined]
    args = dict(BUCKET.terraform_arguments(manifest, "logs", spec))  # type: ignore[arg-type]
    assert args["noncurrent_version_expiration_days"] == 400
    assert args["lifecycle_rules"] == [
        {
            "id": "archive",
            "prefix": "logs/",
            "transitions": [{"days": 90, "storage_class": "GLACIER"}],
            "expiration_days": 365,
            "noncurrent_transitions": [],
            "noncurrent_expiration_days": None,
        }
    ]
    plain = load("")
    plain_args = dict(BUCKET.terraform_arguments(plain, "logs", plain.specs(BUCKET)["logs"]))  # type: ignore[attr-defined,arg-type]
    assert "lifecycle_rules" not in plain_args
    assert "noncurrent_version_expiration_days" not in plain_args
