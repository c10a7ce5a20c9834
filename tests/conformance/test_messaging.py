"""SNS and EventBridge as AWS documents them: publishing limits, batches, FIFO topics, deliveries.

The operations are the ones the health checks, provisioning (topics and their
SQS subscriptions) and a service that publishes call.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.conformance._aws import Aws, doc, eventually, name, rejects, succeeds

pytestmark = [pytest.mark.integration, pytest.mark.conformance]

SNS = "https://docs.aws.amazon.com/sns/latest/api/"
SNS_GUIDE = "https://docs.aws.amazon.com/sns/latest/dg/"
EVENTS = "https://docs.aws.amazon.com/eventbridge/latest/APIReference/"
EVENTS_GUIDE = "https://docs.aws.amazon.com/eventbridge/latest/userguide/"


@pytest.fixture(scope="module")
def sns(aws: Aws) -> Any:
    return aws.client("sns")


@pytest.fixture(scope="module")
def events(aws: Aws) -> Any:
    return aws.client("events")


@pytest.fixture(scope="module")
def sqs(aws: Aws) -> Any:
    return aws.client("sqs")


@pytest.fixture(scope="module")
def topic(sns: Any) -> str:
    return str(sns.create_topic(Name=name("conf"))["TopicArn"])


def queue_for(sqs: Any) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name("conf"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def received(sqs: Any, url: str) -> list[dict[str, Any]]:
    return list(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []))


# --- SNS -----------------------------------------------------------------------------------------


@doc(
    SNS + "API_Publish.html",
    says="NotFound: indicates that the requested resource does not exist (the topic).",
)
def test_publishing_to_a_missing_topic(sns: Any, topic: str) -> None:
    rejects(
        sns,
        "NotFoundException",
        lambda: sns.publish(TopicArn=topic + "-gone", Message="m"),
        status=404,
    )
    rejects(
        sns,
        "NotFoundException",
        lambda: sns.get_topic_attributes(TopicArn=topic + "-gone"),
        status=404,
    )


@doc(
    SNS + "API_Publish.html",
    says="Message: the message you want to send; it must not be empty. The maximum size is 256 KB "
    "(262,144 bytes) (InvalidParameter).",
)
def test_message_size_limits(sns: Any, topic: str) -> None:
    succeeds(lambda: sns.publish(TopicArn=topic, Message="m" * 262_144))
    rejects(
        sns,
        "InvalidParameterException",
        lambda: sns.publish(TopicArn=topic, Message="m" * 262_145),
        status=400,
    )
    rejects(
        sns,
        "InvalidParameterException",
        lambda: sns.publish(TopicArn=topic, Message=""),
        status=400,
    )


@doc(
    SNS + "API_Publish.html",
    says="Subject: must be ASCII text that begins with a letter, number, or punctuation mark; must not "
    "include line breaks or control characters; and must be less than 100 characters long.",
)
def test_subject_limits(sns: Any, topic: str) -> None:
    succeeds(lambda: sns.publish(TopicArn=topic, Message="m", Subject="s" * 99))
    rejects(
        sns,
        "InvalidParameterException",
        lambda: sns.publish(TopicArn=topic, Message="m", Subject="s" * 101),
        status=400,
    )
    rejects(
        sns,
        "InvalidParameterException",
        lambda: sns.publish(TopicArn=topic, Message="m", Subject="two\nlines"),
        status=400,
    )


@doc(
    SNS + "API_PublishBatch.html",
    says="Errors: BatchEntryIdsNotDistinct, EmptyBatchRequest, InvalidBatchEntryId (Id: up to 80 "
    "alphanumeric characters, hyphens and underscores), TooManyEntriesInBatchRequest (more than 10).",
)
def test_publish_batch_shape_errors(sns: Any, topic: str) -> None:
    def publish(entries: list[dict[str, str]]) -> Any:
        return sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)

    rejects(sns, "EmptyBatchRequestException", lambda: publish([]), status=400)
    rejects(
        sns,
        "TooManyEntriesInBatchRequestException",
        lambda: publish([{"Id": str(i), "Message": "m"} for i in range(11)]),
        status=400,
    )
    rejects(
        sns,
        "BatchEntryIdsNotDistinctException",
        lambda: publish([{"Id": "a", "Message": "m"}] * 2),
        status=400,
    )
    rejects(
        sns,
        "InvalidBatchEntryIdException",
        lambda: publish([{"Id": "a b", "Message": "m"}]),
        status=400,
    )
    done = succeeds(lambda: publish([{"Id": "a-1", "Message": "m"}, {"Id": "b_2", "Message": "n"}]))
    assert sorted(e["Id"] for e in done["Successful"]) == ["a-1", "b_2"]


@doc(
    SNS + "API_PublishBatch.html",
    says="BatchRequestTooLong: the length of all the batch messages put together is more than the "
    "limit (256 KB in total).",
)
def test_a_publish_batch_over_256_kb_in_total(sns: Any, topic: str) -> None:
    entries = [{"Id": str(i), "Message": "m" * 100_000} for i in range(3)]
    rejects(
        sns,
        "BatchRequestTooLongException",
        lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries),
        status=400,
    )


@doc(
    SNS + "API_Publish.html",
    says="MessageGroupId: this parameter applies only to FIFO topics, and is required for them.",
)
def test_a_fifo_topic_needs_a_message_group(sns: Any) -> None:
    arn = sns.create_topic(
        Name=name("conf") + ".fifo",
        Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"},
    )["TopicArn"]
    rejects(
        sns, "InvalidParameterException", lambda: sns.publish(TopicArn=arn, Message="m"), status=400
    )
    assert succeeds(lambda: sns.publish(TopicArn=arn, Message="m", MessageGroupId="g"))[
        "SequenceNumber"
    ]


@doc(
    SNS_GUIDE + "sns-message-and-json-formats.html",
    says="A notification delivered to SQS is a JSON document with Type (Notification), MessageId, "
    "TopicArn, Subject (if given), Message, Timestamp, SignatureVersion, Signature, SigningCertURL, "
    "UnsubscribeURL and MessageAttributes (if given).",
)
def test_a_notification_delivered_to_sqs(sns: Any, sqs: Any, topic: str) -> None:
    url, arn = queue_for(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    published = sns.publish(
        TopicArn=topic,
        Message="hello",
        Subject="greeting",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
    )
    (message,) = eventually(lambda: received(sqs, url))
    envelope = json.loads(message["Body"])
    assert envelope["Type"] == "Notification"
    assert envelope["MessageId"] == published["MessageId"]
    assert (envelope["TopicArn"], envelope["Subject"], envelope["Message"]) == (
        topic,
        "greeting",
        "hello",
    )
    assert envelope["MessageAttributes"] == {"kind": {"Type": "String", "Value": "test"}}
    assert {
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
    } <= envelope.keys()


@doc(
    SNS_GUIDE + "sns-large-payload-raw-message-delivery.html",
    says="With raw message delivery enabled, the message is delivered as is, without the JSON envelope; "
    "message attributes become SQS message attributes.",
)
def test_raw_message_delivery(sns: Any, sqs: Any, topic: str) -> None:
    url, arn = queue_for(sqs)
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    sns.publish(
        TopicArn=topic,
        Message="raw body",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "t"}},
    )

    def got() -> list[dict[str, Any]]:
        return list(
            sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"]).get("Messages", [])
        )

    (message,) = eventually(got)
    assert message["Body"] == "raw body"
    assert message["MessageAttributes"]["kind"]["StringValue"] == "t"


# --- EventBridge -------------------------------------------------------------------------------------


@doc(
    EVENTS + "API_PutEvents.html",
    says="Entries: the entry that defines an event; minimum 1, maximum 10 items.",
)
def test_put_events_takes_at_most_10_entries(events: Any) -> None:
    entries = [{"Source": "conf", "DetailType": "t", "Detail": "{}"}] * 11
    rejects(events, "ValidationException", lambda: events.put_events(Entries=entries), status=400)


@doc(
    EVENTS + "API_PutEventsResultEntry.html",
    says="Each entry either has an EventId or an ErrorCode and ErrorMessage (for example MalformedDetail, "
    "or InvalidArgument for a missing Source or DetailType); FailedEntryCount counts the failed ones.",
)
def test_put_events_reports_bad_entries_one_by_one(events: Any) -> None:
    response = succeeds(
        lambda: events.put_events(
            Entries=[
                {"Source": "conf", "DetailType": "t", "Detail": "{}"},
                {"Source": "conf", "DetailType": "t", "Detail": "not json"},
                {"DetailType": "t", "Detail": "{}"},
            ]
        )
    )
    assert response["FailedEntryCount"] == 2
    ok, malformed, no_source = response["Entries"]
    assert ok["EventId"]
    assert malformed["ErrorCode"] == "MalformedDetail"
    assert no_source["ErrorCode"] == "InvalidArgument"


@doc(
    EVENTS + "API_PutRule.html",
    says="InvalidEventPatternException: the event pattern is not valid.",
)
def test_an_invalid_event_pattern_is_refused(events: Any) -> None:
    rejects(
        events,
        "InvalidEventPatternException",
        lambda: events.put_rule(Name=name("conf"), EventPattern="not json"),
        status=400,
    )


@doc(
    EVENTS + "API_PutRule.html",
    says="ScheduleExpression: the scheduling expression, for example cron(0 20 * * ? *) or rate(5 minutes); "
    "an invalid one is a ValidationException.",
)
def test_schedule_expressions(events: Any) -> None:
    succeeds(lambda: events.put_rule(Name=name("conf"), ScheduleExpression="rate(5 minutes)"))
    succeeds(lambda: events.put_rule(Name=name("conf"), ScheduleExpression="cron(0 20 * * ? *)"))
    rejects(
        events,
        "ValidationException",
        lambda: events.put_rule(Name=name("conf"), ScheduleExpression="every five minutes"),
        status=400,
    )


@doc(
    EVENTS + "API_PutTargets.html",
    says="ResourceNotFoundException: an entity that you specified does not exist (the rule).",
)
def test_targets_of_a_missing_rule(events: Any) -> None:
    target = {"Id": "1", "Arn": "arn:aws:sqs:us-east-1:123456789012:conf"}
    rejects(
        events,
        "ResourceNotFoundException",
        lambda: events.put_targets(Rule=name("missing"), Targets=[target]),
        status=400,
    )
    rejects(
        events,
        "ResourceNotFoundException",
        lambda: events.describe_rule(Name=name("missing")),
        status=400,
    )


@doc(
    EVENTS_GUIDE + "eb-events-structure.html",
    says="An event delivered to a target carries version, id, detail-type, source, account, time, "
    "region, resources and detail (the JSON object that was put).",
)
def test_a_matching_event_is_delivered_to_sqs(events: Any, sqs: Any) -> None:
    url, arn = queue_for(sqs)
    rule = name("conf")
    source = name("conf.source")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
    events.put_events(
        Entries=[
            {"Source": "elsewhere", "DetailType": "t", "Detail": json.dumps({"n": 0})},
            {"Source": source, "DetailType": "job.done", "Detail": json.dumps({"n": 1})},
        ]
    )
    (message,) = eventually(lambda: received(sqs, url))
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"], event["detail"]) == (
        source,
        "job.done",
        {"n": 1},
    )
    assert {"version", "id", "account", "time", "region", "resources"} <= event.keys()
