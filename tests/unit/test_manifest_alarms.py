"""``[alarms]``: per-environment routing, validated key by key; queues' oldest-message threshold."""

from __future__ import annotations

import pytest

from trellis.manifest import ManifestError, load_manifest_text

PROJECT = """
[project]
name = "acme"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev", "prod"]

[queues.jobs]
"""


def error(text: str) -> ManifestError:
    with pytest.raises(ManifestError) as exc:
        load_manifest_text(PROJECT + text)
    return exc.value


def test_routing_is_per_environment_and_absent_means_nobody() -> None:
    m = load_manifest_text(
        PROJECT
        + """
[alarms.environments.prod]
emails = ["oncall@example.com", "ops+alarms@acme.co.uk"]
topic_arn = "arn:aws:sns:us-east-1:123456789012:pager"
"""
    )
    assert m.alarm_route("prod").emails == ["oncall@example.com", "ops+alarms@acme.co.uk"]
    assert m.alarm_route("prod").topic_arn == "arn:aws:sns:us-east-1:123456789012:pager"
    assert m.alarm_route("dev").emails == []
    assert m.alarm_route("dev").topic_arn is None


def test_a_queue_alarms_on_the_guides_five_minutes_unless_told() -> None:
    assert load_manifest_text(PROJECT).queues["jobs"].oldest_message_alarm_s == 300
    m = load_manifest_text(PROJECT + "oldest_message_alarm_s = 900\n")
    assert m.queues["jobs"].oldest_message_alarm_s == 900


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        pytest.param(
            '[alarms.environments.prod]\nemails = ["oncall.example.com"]\n',
            "alarms.environments.prod.emails.0",
            "'oncall.example.com' is not an email address",
            id="email-without-at",
        ),
        pytest.param(
            '[alarms.environments.prod]\nemails = ["a@b.com", "on call@example.com"]\n',
            "alarms.environments.prod.emails.1",
            "is not an email address",
            id="email-with-space",
        ),
        pytest.param(
            '[alarms.environments.prod]\nemails = ["a@b.com", "a@b.com"]\n',
            "alarms.environments.prod.emails",
            "an address is listed twice",
            id="email-twice",
        ),
        pytest.param(
            '[alarms.environments.prod]\ntopic_arn = "arn:aws:sqs:us-east-1:123456789012:q"\n',
            "alarms.environments.prod.topic_arn",
            "is not an SNS topic ARN",
            id="queue-arn-as-topic",
        ),
        pytest.param(
            '[alarms.environments.prod]\ntopic_arn = "arn:aws:sns:us-east-1:1234:pager"\n',
            "alarms.environments.prod.topic_arn",
            "is not an SNS topic ARN",
            id="short-account-id",
        ),
        pytest.param(
            '[alarms.environments.prod]\ntopic_arn = "arn:aws:sns:eu-west-1:123456789012:pager"\n',
            "alarms.environments.prod.topic_arn",
            "alarms in us-east-1 can only notify topics in us-east-1",
            id="topic-in-another-region",
        ),
        pytest.param(
            '[alarms.environments.staging]\nemails = ["a@b.com"]\n',
            "alarms.environments.staging",
            "unknown environment 'staging'",
            id="unknown-environment",
        ),
        pytest.param(
            "[alarms.environments.prod]\nemails = []\n",
            "alarms.environments.prod",
            "give emails, topic_arn or both",
            id="empty-route",
        ),
        pytest.param(
            '[alarms.environments.prod]\nwebhook = "https://hooks.example.com/x"\n',
            "alarms.environments.prod.webhook",
            "unknown key",
            id="unknown-key",
        ),
        pytest.param(
            '[alarms]\nemails = ["a@b.com"]\n',
            "alarms.emails",
            "unknown key",
            id="emails-outside-an-environment",
        ),
        pytest.param(
            "oldest_message_alarm_s = 30\n",
            "queues.jobs.oldest_message_alarm_s",
            "greater than or equal to 60",
            id="oldest-message-below-a-minute",
        ),
    ],
)
def test_a_bad_alarm_setting_names_its_key(text: str, key: str, fragment: str) -> None:
    err = error(text)
    assert err.key == key
    assert fragment in err.message
    assert "\n" not in str(err)
