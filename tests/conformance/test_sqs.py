"""SQS as AWS documents it: limits, validation, batches, FIFO, errors, the query protocol.

The operations are the ones the Trellis runtime, its consumers, ``trellis
queue`` and provisioning call (send and receive, in batches or one by one,
delete, visibility, queue attributes, move tasks), and what a user's code
sends through them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

import pytest
from tests.conformance._aws import MIB, Aws, doc, eventually, name, rejects, succeeds

pytestmark = [pytest.mark.integration, pytest.mark.conformance]

API = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/"
GUIDE = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
QUOTAS = GUIDE + "quotas-messages.html"
ATTRIBUTES = GUIDE + "sqs-message-metadata.html"
FIFO_LOGIC = GUIDE + "FIFO-queues-understanding-logic.html"
DEDUP = GUIDE + "using-messagededuplicationid-property.html"
QUERY = GUIDE + "sqs-making-api-requests-xml.html"


@pytest.fixture(scope="module")
def sqs(aws: Aws) -> Any:
    return aws.client("sqs")


@pytest.fixture
def queue(sqs: Any) -> Callable[..., str]:
    """``queue(**attributes)``: the URL of a new queue (``fifo=True`` for a FIFO queue)."""

    def make(*, fifo: bool = False, **attributes: str) -> str:
        if fifo:
            attributes["FifoQueue"] = "true"
        queue_name = name("conf") + (".fifo" if fifo else "")
        return str(sqs.create_queue(QueueName=queue_name, Attributes=attributes)["QueueUrl"])

    return make


def string_attrs(**values: str) -> dict[str, dict[str, str]]:
    return {k: {"DataType": "String", "StringValue": v} for k, v in values.items()}


def receive_all(sqs: Any, url: str, **kwargs: Any) -> list[dict[str, Any]]:
    kwargs.setdefault("MaxNumberOfMessages", 10)
    return list(sqs.receive_message(QueueUrl=url, **kwargs).get("Messages", []))


# --- Message size ------------------------------------------------------------------------------


@doc(QUOTAS, says="Message size: the maximum is 1,048,576 bytes (1 MiB).")
def test_a_body_of_exactly_1_mib_is_accepted(sqs: Any, queue: Callable[..., str]) -> None:
    succeeds(lambda: sqs.send_message(QueueUrl=queue(), MessageBody="a" * MIB))


@doc(QUOTAS, says="Message size: the maximum is 1,048,576 bytes (1 MiB).")
def test_a_body_one_byte_over_1_mib_is_refused(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue()
    rejects(
        sqs,
        "InvalidParameterValue",
        lambda: sqs.send_message(QueueUrl=url, MessageBody="a" * (MIB + 1)),
    )


@doc(
    API + "API_SendMessage.html",
    says="All parts of the message attribute, including Name, Type, and Value, are part of the "
    "message size restriction (1 MiB).",
)
def test_body_and_attributes_together_over_1_mib_are_refused(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue()
    # 1 MiB - 7 of body, plus "k" + "String" + "x" = 8 bytes of attribute: one byte over.
    rejects(
        sqs,
        "InvalidParameterValue",
        lambda: sqs.send_message(
            QueueUrl=url, MessageBody="a" * (MIB - 7), MessageAttributes=string_attrs(k="x")
        ),
    )


@doc(
    API + "API_SendMessage.html",
    says="All parts of the message attribute, including Name, Type, and Value, are part of the "
    "message size restriction (1 MiB).",
)
def test_body_and_attributes_of_exactly_1_mib_are_accepted(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue()
    succeeds(
        lambda: sqs.send_message(
            QueueUrl=url, MessageBody="a" * (MIB - 8), MessageAttributes=string_attrs(k="x")
        )
    )


@doc(
    API + "API_SetQueueAttributes.html",
    says="MaximumMessageSize: the limit of how many bytes a message can contain before Amazon SQS rejects it.",
)
def test_a_queues_own_maximum_message_size_counts_attributes(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue(MaximumMessageSize="1024")
    succeeds(lambda: sqs.send_message(QueueUrl=url, MessageBody="a" * 1024))
    rejects(
        sqs, "InvalidParameterValue", lambda: sqs.send_message(QueueUrl=url, MessageBody="a" * 1025)
    )
    rejects(
        sqs,
        "InvalidParameterValue",
        lambda: sqs.send_message(
            QueueUrl=url, MessageBody="a" * 1000, MessageAttributes=string_attrs(name="v" * 20)
        ),
    )


@doc(API + "API_SendMessage.html", says="MessageBody: the minimum size is one character.")
def test_an_empty_body_is_refused(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue()
    rejects(sqs, "MissingParameter", lambda: sqs.send_message(QueueUrl=url, MessageBody=""))


# --- Message attributes ------------------------------------------------------------------------

ATTRIBUTE_NAME_RULES = (
    "The name can contain alphanumeric characters and the underscore (_), hyphen (-), and period (.). "
    "The name is case-sensitive and must be unique among all attribute names for the message. The name "
    "must not start with AWS-reserved prefixes such as AWS. or Amazon. (or any casing variants). The name "
    "must not start or end with a period (.), and it should not have periods in succession (..). The name "
    "can be up to 256 characters long."
)


@pytest.mark.parametrize(
    "attribute",
    [
        pytest.param("a b", id="a-space"),
        pytest.param("AWS.trace", id="AWS-prefix"),
        pytest.param("amazon.x", id="amazon-prefix-any-case"),
        pytest.param(".leading", id="leading-period"),
        pytest.param("trailing.", id="trailing-period"),
        pytest.param("two..periods", id="periods-in-succession"),
        pytest.param("n" * 257, id="257-characters"),
    ],
)
@doc(ATTRIBUTES, says=ATTRIBUTE_NAME_RULES)
def test_invalid_attribute_names_are_refused(
    sqs: Any, queue: Callable[..., str], attribute: str
) -> None:
    url = queue()
    rejects(
        sqs,
        "InvalidParameterValue",
        lambda: sqs.send_message(
            QueueUrl=url, MessageBody="x", MessageAttributes=string_attrs(**{attribute: "v"})
        ),
    )


@doc(ATTRIBUTES, says=ATTRIBUTE_NAME_RULES)
def test_valid_attribute_names_are_accepted(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue()
    names = {"job-type": "a", "trace_id": "b", "a.b.c": "c", "N" * 256: "d"}
    succeeds(
        lambda: sqs.send_message(
            QueueUrl=url, MessageBody="x", MessageAttributes=string_attrs(**names)
        )
    )
    (message,) = receive_all(sqs, url, MessageAttributeNames=["All"])
    assert {k: v["StringValue"] for k, v in message["MessageAttributes"].items()} == names


@doc(QUOTAS, says="Message attributes: a message can contain up to 10 metadata attributes.")
def test_eleven_attributes_are_refused(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue()
    attributes = string_attrs(**{f"a{i}": "v" for i in range(11)})
    rejects(
        sqs,
        "InvalidParameterValue",
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes),
    )


@doc(
    API + "API_MessageAttributeValue.html",
    says="Name, type, value and the message body must not be empty or null.",
)
def test_an_empty_attribute_value_is_refused(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue()
    rejects(
        sqs,
        "InvalidParameterValue",
        lambda: sqs.send_message(
            QueueUrl=url, MessageBody="x", MessageAttributes=string_attrs(empty="")
        ),
    )


@doc(
    API + "API_MessageAttributeValue.html",
    says="Amazon SQS supports the following logical data types: String, Number, and Binary. You can also "
    "append custom labels.",
)
def test_an_unknown_data_type_is_refused_and_custom_labels_are_kept(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue()
    rejects(
        sqs,
        "InvalidParameterValue",
        lambda: sqs.send_message(
            QueueUrl=url,
            MessageBody="x",
            MessageAttributes={"a": {"DataType": "Text", "StringValue": "v"}},
        ),
    )
    custom = {
        "n": {"DataType": "Number.int", "StringValue": "12"},
        "s": {"DataType": "String.id", "StringValue": "v"},
    }
    succeeds(lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=custom))
    (message,) = receive_all(sqs, url, MessageAttributeNames=["All"])
    assert {k: v["DataType"] for k, v in message["MessageAttributes"].items()} == {
        "n": "Number.int",
        "s": "String.id",
    }


@doc(
    GUIDE + "sqs-message-metadata.html",
    says="Amazon SQS computes an MD5 message digest of the message body and of the message attributes "
    "and returns them to verify the message arrived intact.",
)
def test_the_md5_of_the_body_is_returned_on_send_and_receive(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue()
    body = "héllo wörld"
    sent = sqs.send_message(QueueUrl=url, MessageBody=body)
    expected = hashlib.md5(body.encode()).hexdigest()
    assert sent["MD5OfMessageBody"] == expected
    (message,) = receive_all(sqs, url)
    assert message["MD5OfBody"] == expected
    assert message["Body"] == body


# --- Request parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "says"),
    [
        pytest.param(
            {"MaxNumberOfMessages": 11}, "MaxNumberOfMessages: valid values 1 to 10.", id="max-11"
        ),
        pytest.param(
            {"MaxNumberOfMessages": 0}, "MaxNumberOfMessages: valid values 1 to 10.", id="max-0"
        ),
        pytest.param({"WaitTimeSeconds": 21}, "WaitTimeSeconds: at most 20 seconds.", id="wait-21"),
        pytest.param(
            {"VisibilityTimeout": 43201},
            "VisibilityTimeout: 0 to 43,200 seconds.",
            id="visibility-43201",
        ),
        pytest.param(
            {"VisibilityTimeout": -1},
            "VisibilityTimeout: 0 to 43,200 seconds.",
            id="visibility-negative",
        ),
    ],
)
@doc(
    API + "API_ReceiveMessage.html",
    says="Receive parameters are bounded: see each case's parameter.",
)
def test_receive_parameters_out_of_range_are_refused(
    sqs: Any, queue: Callable[..., str], parameters: dict[str, int], says: str
) -> None:
    url = queue()
    rejects(sqs, "InvalidParameterValue", lambda: sqs.receive_message(QueueUrl=url, **parameters))


@doc(API + "API_SendMessage.html", says="DelaySeconds: valid values 0 to 900.")
def test_a_delay_over_15_minutes_is_refused(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue()
    rejects(
        sqs,
        "InvalidParameterValue",
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901),
    )


# --- Batches ---------------------------------------------------------------------------------

BATCH_ID = (
    "Id: an identifier for a message in this batch; up to 80 characters: alphanumeric characters, "
    "hyphens (-), and underscores (_). The Ids of a batch request need to be unique within a request."
)


@pytest.mark.parametrize(
    ("entry_id", "says"),
    [
        pytest.param("a b", BATCH_ID, id="a-space"),
        pytest.param("a" * 81, BATCH_ID, id="81-characters"),
    ],
)
@doc(API + "API_SendMessageBatchRequestEntry.html", says=BATCH_ID)
def test_invalid_batch_entry_ids_are_refused(
    sqs: Any, queue: Callable[..., str], entry_id: str, says: str
) -> None:
    url = queue()
    entries = [{"Id": entry_id, "MessageBody": "x"}]
    rejects(
        sqs, "InvalidBatchEntryId", lambda: sqs.send_message_batch(QueueUrl=url, Entries=entries)
    )


@doc(API + "API_SendMessageBatchRequestEntry.html", says=BATCH_ID)
def test_an_80_character_batch_entry_id_is_accepted(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue()
    entry_id = "A-_9" * 20
    response = succeeds(
        lambda: sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": entry_id, "MessageBody": "x"}])
    )
    assert [e["Id"] for e in response["Successful"]] == [entry_id]


@pytest.mark.parametrize(
    ("operation", "entry"),
    [
        pytest.param("send_message_batch", {"MessageBody": "x"}, id="SendMessageBatch"),
        pytest.param("delete_message_batch", {"ReceiptHandle": "h"}, id="DeleteMessageBatch"),
        pytest.param(
            "change_message_visibility_batch",
            {"ReceiptHandle": "h", "VisibilityTimeout": 1},
            id="ChangeMessageVisibilityBatch",
        ),
    ],
)
@doc(
    API + "API_SendMessageBatch.html",
    says="Errors: BatchEntryIdsNotDistinct (two or more batch entries have the same Id), "
    "EmptyBatchRequest (no entries), TooManyEntriesInBatchRequest (more than 10).",
)
def test_batch_shape_errors(
    sqs: Any, queue: Callable[..., str], operation: str, entry: dict[str, Any]
) -> None:
    url = queue()
    call = getattr(sqs, operation)
    rejects(sqs, "EmptyBatchRequest", lambda: call(QueueUrl=url, Entries=[]))
    eleven = [{"Id": str(i), **entry} for i in range(11)]
    rejects(sqs, "TooManyEntriesInBatchRequest", lambda: call(QueueUrl=url, Entries=eleven))
    twice = [{"Id": "same", **entry}, {"Id": "same", **entry}]
    rejects(sqs, "BatchEntryIdsNotDistinct", lambda: call(QueueUrl=url, Entries=twice))


@doc(
    API + "API_SendMessageBatch.html",
    says="The maximum allowed individual message size and the maximum total payload size (the sum of "
    "the individual lengths of all of the batched messages) are both 1 MiB.",
)
def test_a_batch_over_1_mib_in_total_is_refused(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue()
    entries = [{"Id": str(i), "MessageBody": "x" * 300_000} for i in range(4)]
    rejects(
        sqs, "BatchRequestTooLong", lambda: sqs.send_message_batch(QueueUrl=url, Entries=entries)
    )


@doc(
    API + "API_SendMessageBatch.html",
    says="The maximum total payload size (the sum of the individual lengths of all of the batched "
    "messages) is 1 MiB; attributes are part of a message's size.",
)
def test_a_batch_total_counts_attributes(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue()
    # Bodies alone: 4 x 262,100 = 1,048,400 bytes, under 1 MiB; each attribute adds 1 + 6 + 100.
    entries = [
        {"Id": str(i), "MessageBody": "x" * 262_100, "MessageAttributes": string_attrs(k="v" * 100)}
        for i in range(4)
    ]
    rejects(
        sqs, "BatchRequestTooLong", lambda: sqs.send_message_batch(QueueUrl=url, Entries=entries)
    )


@doc(
    API + "API_SendMessageBatch.html",
    says="The result of sending each message is reported individually in the response. Because the "
    "batch request can result in a combination of successful and unsuccessful actions, you should "
    "check for batch errors even when the call returns an HTTP status code of 200.",
)
def test_one_oversize_entry_fails_alone(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue(MaximumMessageSize="1024")
    entries = [{"Id": "ok", "MessageBody": "x"}, {"Id": "big", "MessageBody": "x" * 1025}]
    response = succeeds(lambda: sqs.send_message_batch(QueueUrl=url, Entries=entries))
    assert [e["Id"] for e in response.get("Successful", [])] == ["ok"]
    (failed,) = response["Failed"]
    assert failed["Id"] == "big"
    assert failed["Code"] == "InvalidParameterValue"
    assert failed["SenderFault"] is True
    assert [m["Body"] for m in receive_all(sqs, url)] == ["x"]


@doc(
    API + "API_DeleteMessageBatch.html",
    says="The result of the action on each message is reported individually in the response.",
)
def test_delete_batch_reports_a_bad_handle_per_entry(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    (message,) = receive_all(sqs, url)
    entries = [
        {"Id": "good", "ReceiptHandle": message["ReceiptHandle"]},
        {"Id": "bad", "ReceiptHandle": "garbage"},
    ]
    response = succeeds(lambda: sqs.delete_message_batch(QueueUrl=url, Entries=entries))
    assert [e["Id"] for e in response["Successful"]] == ["good"]
    (failed,) = response["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == (
        "bad",
        "ReceiptHandleIsInvalid",
        True,
    )


@doc(
    API + "API_ChangeMessageVisibilityBatch.html",
    says="The result of the action on each message is reported individually in the response.",
)
def test_visibility_batch_reports_a_bad_handle_per_entry(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    (message,) = receive_all(sqs, url)
    entries = [
        {"Id": "good", "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 60},
        {"Id": "bad", "ReceiptHandle": "garbage", "VisibilityTimeout": 60},
    ]
    response = succeeds(lambda: sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries))
    assert [e["Id"] for e in response["Successful"]] == ["good"]
    (failed,) = response["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == (
        "bad",
        "ReceiptHandleIsInvalid",
        True,
    )


# --- Receipt handles and visibility ---------------------------------------------------------------


@doc(
    API + "API_DeleteMessage.html",
    says="ReceiptHandleIsInvalid: the specified receipt handle isn't valid.",
)
def test_deleting_with_a_malformed_handle_is_refused(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue()
    rejects(
        sqs,
        "ReceiptHandleIsInvalid",
        lambda: sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage"),
    )


@doc(
    API + "API_DeleteMessage.html",
    says="It is possible you will receive a message even after you delete it; deleting with the "
    "receipt handle of a message already deleted succeeds.",
)
def test_deleting_a_deleted_message_succeeds(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    (message,) = receive_all(sqs, url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    succeeds(lambda: sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"]))


@doc(
    API + "API_ChangeMessageVisibility.html",
    says="ReceiptHandleIsInvalid: the specified receipt handle isn't valid.",
)
def test_changing_visibility_with_a_malformed_handle_is_refused(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue()
    rejects(
        sqs,
        "ReceiptHandleIsInvalid",
        lambda: sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle="garbage", VisibilityTimeout=5
        ),
    )


@doc(
    API + "API_ChangeMessageVisibility.html",
    says="Changes the visibility timeout of a message in a queue; a deleted message is neither in the "
    "queue nor in flight (InvalidParameterValue: the message does not exist or is not available "
    "for visibility timeout change).",
)
def test_changing_visibility_of_a_deleted_message_is_invalid(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    (message,) = receive_all(sqs, url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    rejects(
        sqs,
        "InvalidParameterValue",
        lambda: sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=5
        ),
    )


@doc(
    API + "API_ChangeMessageVisibility.html",
    says="The maximum visibility timeout for a message is 12 hours from the time it is first received; "
    "a change beyond it is refused.",
)
def test_visibility_cannot_pass_12_hours_from_the_first_receive(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    (message,) = receive_all(sqs, url, VisibilityTimeout=600)
    handle = message["ReceiptHandle"]
    rejects(
        sqs,
        "InvalidParameterValue",
        lambda: sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43201
        ),
    )
    time.sleep(1.1)
    rejects(
        sqs,
        "InvalidParameterValue",
        lambda: sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43200
        ),
    )
    succeeds(
        lambda: sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43000
        )
    )


@doc(
    GUIDE + "sqs-visibility-timeout.html",
    says="During the visibility timeout other consumers can't receive the message; when it expires the "
    "message becomes visible again. Setting the visibility timeout to 0 makes it visible immediately.",
)
def test_a_received_message_is_hidden_until_its_visibility_ends(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    (message,) = receive_all(sqs, url, VisibilityTimeout=1)
    assert receive_all(sqs, url) == []
    again = eventually(
        lambda: receive_all(sqs, url, AttributeNames=["ApproximateReceiveCount"]), timeout_s=5
    )
    assert again[0]["MessageId"] == message["MessageId"]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=again[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    assert [m["MessageId"] for m in receive_all(sqs, url)] == [message["MessageId"]]


@doc(
    GUIDE + "sqs-dead-letter-queues.html",
    says="When the ReceiveCount for a message exceeds the maxReceiveCount for a queue, Amazon SQS moves "
    "the message to a dead-letter queue.",
)
def test_a_message_moves_to_the_dlq_after_max_receive_count(
    sqs: Any, queue: Callable[..., str]
) -> None:
    dlq = queue()
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    url = queue(RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}))
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    assert len(receive_all(sqs, url, VisibilityTimeout=0)) == 1
    assert receive_all(sqs, url) == []
    assert [m["Body"] for m in eventually(lambda: receive_all(sqs, dlq))] == ["poison"]


@doc(
    API + "API_SendMessage.html",
    says="DelaySeconds: the length of time for which to delay a specific message. Messages with a "
    "positive DelaySeconds value become available for processing after the delay period is finished.",
)
def test_a_delayed_message_is_not_received_before_its_delay(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue()
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    assert receive_all(sqs, url) == []
    assert [m["Body"] for m in eventually(lambda: receive_all(sqs, url), timeout_s=5)] == ["later"]


@doc(
    API + "API_ReceiveMessage.html",
    says="WaitTimeSeconds: the duration for which the call waits for a message to arrive in the queue "
    "before returning. If a message is available, the call returns sooner than WaitTimeSeconds.",
)
def test_a_long_poll_returns_as_soon_as_a_message_arrives(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue()
    sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=1)
    started = time.monotonic()
    messages = receive_all(sqs, url, WaitTimeSeconds=10)
    assert [m["Body"] for m in messages] == ["x"]
    assert time.monotonic() - started < 6


# --- Queues ------------------------------------------------------------------------------------


@doc(
    API + "API_CreateQueue.html",
    says="If you provide the name of an existing queue along with the exact names and values of all "
    "the queue's attributes, CreateQueue returns the queue URL for the existing queue. If the queue "
    "name, attribute names, or attribute values don't match an existing queue, CreateQueue returns an "
    "error (QueueNameExists), which names the attribute that differs.",
)
def test_creating_an_existing_queue(sqs: Any) -> None:
    queue_name = name("conf")
    url = sqs.create_queue(QueueName=queue_name, Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    again = succeeds(
        lambda: sqs.create_queue(QueueName=queue_name, Attributes={"VisibilityTimeout": "60"})
    )
    assert again["QueueUrl"] == url
    response = rejects(
        sqs,
        "QueueNameExists",
        lambda: sqs.create_queue(QueueName=queue_name, Attributes={"VisibilityTimeout": "61"}),
    )
    assert "VisibilityTimeout" in response["Error"]["Message"]


@pytest.mark.parametrize(
    "queue_name",
    [
        pytest.param("a b", id="a-space"),
        pytest.param("q" * 81, id="81-characters"),
        pytest.param("a.b", id="a-period"),
    ],
)
@doc(
    API + "API_CreateQueue.html",
    says="QueueName: a queue name can have up to 80 characters. Valid values: alphanumeric characters, "
    "hyphens (-), and underscores (_). A FIFO queue name must end with the .fifo suffix.",
)
def test_invalid_queue_names_are_refused(sqs: Any, queue_name: str) -> None:
    rejects(sqs, "InvalidParameterValue", lambda: sqs.create_queue(QueueName=queue_name))


@doc(API + "API_CreateQueue.html", says="A FIFO queue name must end with the .fifo suffix.")
def test_a_fifo_queue_needs_the_fifo_suffix(sqs: Any) -> None:
    rejects(
        sqs,
        "InvalidParameterValue",
        lambda: sqs.create_queue(QueueName=name("conf"), Attributes={"FifoQueue": "true"}),
    )


QUEUE_ATTRIBUTE_RANGES = (
    "DelaySeconds 0 to 900; MaximumMessageSize 1,024 to 1,048,576; MessageRetentionPeriod 60 to "
    "1,209,600; ReceiveMessageWaitTimeSeconds 0 to 20; VisibilityTimeout 0 to 43,200. Errors: "
    "InvalidAttributeName (an unknown attribute), InvalidAttributeValue (a value out of range)."
)


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        pytest.param("VisibilityTimeout", "43201", id="VisibilityTimeout-43201"),
        pytest.param("VisibilityTimeout", "soon", id="VisibilityTimeout-not-a-number"),
        pytest.param("DelaySeconds", "901", id="DelaySeconds-901"),
        pytest.param("MaximumMessageSize", "1023", id="MaximumMessageSize-1023"),
        pytest.param("MaximumMessageSize", str(MIB + 1), id="MaximumMessageSize-over-1-MiB"),
        pytest.param("MessageRetentionPeriod", "59", id="MessageRetentionPeriod-59"),
        pytest.param("ReceiveMessageWaitTimeSeconds", "21", id="ReceiveMessageWaitTimeSeconds-21"),
    ],
)
@doc(API + "API_CreateQueue.html", says=QUEUE_ATTRIBUTE_RANGES)
def test_queue_attributes_out_of_range_are_refused(
    sqs: Any, queue: Callable[..., str], attribute: str, value: str
) -> None:
    rejects(
        sqs,
        "InvalidAttributeValue",
        lambda: sqs.create_queue(QueueName=name("conf"), Attributes={attribute: value}),
    )
    url = queue()
    rejects(
        sqs,
        "InvalidAttributeValue",
        lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes={attribute: value}),
    )


@doc(API + "API_CreateQueue.html", says=QUEUE_ATTRIBUTE_RANGES)
def test_unknown_queue_attributes_are_refused(sqs: Any, queue: Callable[..., str]) -> None:
    rejects(
        sqs,
        "InvalidAttributeName",
        lambda: sqs.create_queue(QueueName=name("conf"), Attributes={"Colour": "blue"}),
    )
    url = queue()
    rejects(
        sqs,
        "InvalidAttributeName",
        lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes={"Colour": "blue"}),
    )
    rejects(
        sqs,
        "InvalidAttributeName",
        lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Colour"]),
    )


@doc(
    API + "API_GetQueueAttributes.html",
    says="All returns all values; the approximate counts are ApproximateNumberOfMessages, "
    "ApproximateNumberOfMessagesNotVisible and ApproximateNumberOfMessagesDelayed.",
)
def test_queue_attributes_count_visible_in_flight_and_delayed(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue()
    sqs.send_message(QueueUrl=url, MessageBody="visible")
    sqs.send_message(QueueUrl=url, MessageBody="in flight")
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=60)
    receive_all(sqs, url, MaxNumberOfMessages=1)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    counts = {k: attributes[k] for k in attributes if k.startswith("ApproximateNumberOfMessages")}
    assert counts == {
        "ApproximateNumberOfMessages": "1",
        "ApproximateNumberOfMessagesNotVisible": "1",
        "ApproximateNumberOfMessagesDelayed": "1",
    }
    assert attributes["QueueArn"].endswith(":" + url.rsplit("/", 1)[-1])


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda sqs, url: sqs.send_message(QueueUrl=url, MessageBody="x"), id="SendMessage"
        ),
        pytest.param(lambda sqs, url: sqs.receive_message(QueueUrl=url), id="ReceiveMessage"),
        pytest.param(
            lambda sqs, url: sqs.get_queue_attributes(QueueUrl=url), id="GetQueueAttributes"
        ),
        pytest.param(
            lambda sqs, url: sqs.get_queue_url(QueueName=url.rsplit("/", 1)[-1]), id="GetQueueUrl"
        ),
    ],
)
@doc(API + "API_GetQueueUrl.html", says="QueueDoesNotExist: the specified queue doesn't exist.")
def test_a_missing_queue_is_reported(sqs: Any, aws: Aws, call: Callable[[Any, str], Any]) -> None:
    url = sqs.create_queue(QueueName=name("conf"))["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)
    rejects(sqs, "QueueDoesNotExist", lambda: call(sqs, url))


@doc(
    API + "API_PurgeQueue.html",
    says="PurgeQueueInProgress: the queue previously received a PurgeQueue request within the last 60 seconds.",
)
def test_a_second_purge_within_60_seconds_is_refused(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    succeeds(lambda: sqs.purge_queue(QueueUrl=url))
    rejects(sqs, "PurgeQueueInProgress", lambda: sqs.purge_queue(QueueUrl=url))
    assert receive_all(sqs, url) == []


# --- Message move tasks (redrive from a DLQ) -----------------------------------------------------


@doc(
    API + "API_StartMessageMoveTask.html",
    says="Starts an asynchronous task to move messages from a specified source queue to a specified "
    "destination queue. This action is currently limited to supporting message redrive from queues "
    "that are configured as dead-letter queues.",
)
def test_a_move_task_redrives_a_dlq(sqs: Any, queue: Callable[..., str]) -> None:
    dlq = queue()
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    main = queue(RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}))
    main_arn = sqs.get_queue_attributes(QueueUrl=main, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sqs.send_message_batch(
        QueueUrl=dlq, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)]
    )
    started = succeeds(
        lambda: sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=main_arn)
    )
    assert started["TaskHandle"]

    def moved() -> list[dict[str, Any]]:
        results = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=1)["Results"]
        return [r for r in results if r["Status"] == "COMPLETED"]

    (task,) = eventually(moved)
    assert task["ApproximateNumberOfMessagesMoved"] == 3
    bodies = sorted(m["Body"] for m in eventually(lambda: receive_all(sqs, main)))
    assert bodies == ["m0", "m1", "m2"]


@doc(
    API + "API_StartMessageMoveTask.html",
    says="SourceArn: the ARN of the queue that contains the messages to be moved to another queue. "
    "Currently, only ARNs of dead-letter queues (DLQs) whose sources are other Amazon SQS queues are accepted.",
)
def test_a_move_task_from_a_queue_that_is_no_dlq_is_refused(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue()
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rejects(sqs, "InvalidParameterValue", lambda: sqs.start_message_move_task(SourceArn=arn))
    gone = arn + "-gone"
    rejects(sqs, "ResourceNotFoundException", lambda: sqs.start_message_move_task(SourceArn=gone))


# --- FIFO ----------------------------------------------------------------------------------------


@doc(
    API + "API_SendMessage.html",
    says="MessageGroupId is required for FIFO queues. MessageDeduplicationId: if a queue doesn't have "
    "ContentBasedDeduplication enabled and the action doesn't provide one, the action fails. "
    "DelaySeconds: FIFO queues don't support per-message delays.",
)
def test_fifo_send_requirements(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue(fifo=True)
    rejects(
        sqs,
        "MissingParameter",
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d"),
    )
    rejects(
        sqs,
        "InvalidParameterValue",
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g"),
    )
    rejects(
        sqs,
        "InvalidParameterValue",
        lambda: sqs.send_message(
            QueueUrl=url,
            MessageBody="x",
            MessageGroupId="g",
            MessageDeduplicationId="d",
            DelaySeconds=5,
        ),
    )


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        pytest.param("MessageGroupId", "g" * 129, id="group-129-characters"),
        pytest.param("MessageDeduplicationId", "d" * 129, id="dedup-129-characters"),
        pytest.param("MessageGroupId", "a b", id="group-with-a-space"),
    ],
)
@doc(
    API + "API_SendMessage.html",
    says="The length of MessageGroupId and MessageDeduplicationId is 128 characters. Valid values: "
    "alphanumeric characters and punctuation (!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~).",
)
def test_fifo_ids_are_validated(
    sqs: Any, queue: Callable[..., str], parameter: str, value: str
) -> None:
    url = queue(fifo=True)
    ids = {"MessageGroupId": "g", "MessageDeduplicationId": "d", parameter: value}
    rejects(
        sqs, "InvalidParameterValue", lambda: sqs.send_message(QueueUrl=url, MessageBody="x", **ids)
    )


@doc(
    DEDUP,
    says="If a message with a particular message deduplication ID is sent successfully, any messages "
    "sent with the same message deduplication ID are accepted successfully but aren't delivered during "
    "the 5-minute deduplication interval.",
)
def test_a_deduplicated_message_is_not_delivered_again(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue(fifo=True)
    first = sqs.send_message(
        QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1"
    )
    second = succeeds(
        lambda: sqs.send_message(
            QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1"
        )
    )
    assert second["MessageId"] == first["MessageId"]
    assert [m["Body"] for m in receive_all(sqs, url)] == ["x"]


@doc(
    DEDUP,
    says="Any messages sent with the same message deduplication ID are accepted successfully but aren't "
    "delivered during the 5-minute deduplication interval — also once the first one was received "
    "and deleted.",
)
def test_deduplication_outlives_the_deletion_of_the_message(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue(fifo=True)
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1")
    (message,) = receive_all(sqs, url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    succeeds(
        lambda: sqs.send_message(
            QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1"
        )
    )
    assert receive_all(sqs, url) == []


@doc(
    API + "API_CreateQueue.html",
    says="ContentBasedDeduplication: Amazon SQS uses a SHA-256 hash to generate the "
    "MessageDeduplicationId using the body of the message (but not the attributes of the message).",
)
def test_content_based_deduplication_ignores_attributes(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue(fifo=True, ContentBasedDeduplication="true")
    sqs.send_message(
        QueueUrl=url, MessageBody="same", MessageGroupId="g", MessageAttributes=string_attrs(n="1")
    )
    sqs.send_message(
        QueueUrl=url, MessageBody="same", MessageGroupId="g", MessageAttributes=string_attrs(n="2")
    )
    sqs.send_message(QueueUrl=url, MessageBody="other", MessageGroupId="g")
    assert [m["Body"] for m in receive_all(sqs, url)] == ["same", "other"]


@doc(
    FIFO_LOGIC,
    says="When you receive messages from a FIFO queue with multiple message group IDs, Amazon SQS first "
    "attempts to return as many messages with the same message group ID as possible. Messages within "
    "a group are returned in the order they were sent.",
)
def test_a_fifo_receive_returns_messages_grouped_in_order(
    sqs: Any, queue: Callable[..., str]
) -> None:
    url = queue(fifo=True, ContentBasedDeduplication="true")
    for i, group in enumerate("ababab"):
        sqs.send_message(QueueUrl=url, MessageBody=f"{group}{i}", MessageGroupId=group)
    bodies = [m["Body"] for m in receive_all(sqs, url)]
    assert bodies
    groups = [b[0] for b in bodies]
    # Each group's messages come together, and in the order they were sent.
    assert groups == sorted(groups, key=groups.index), bodies
    for group in "ab":
        mine = [b for b in bodies if b[0] == group]
        assert mine == sorted(mine, key=lambda b: int(b[1:])), bodies


@doc(
    FIFO_LOGIC,
    says="While a message from a message group is in flight, no other messages of that group are "
    "returned until it is deleted or becomes visible; messages of other groups still are.",
)
def test_a_group_with_a_message_in_flight_is_held_back(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue(fifo=True, ContentBasedDeduplication="true")
    for body, group in [("a0", "a"), ("a1", "a"), ("b0", "b"), ("a2", "a"), ("b1", "b")]:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    (first,) = receive_all(sqs, url, MaxNumberOfMessages=1)
    assert first["Body"] == "a0"
    assert [m["Body"] for m in receive_all(sqs, url)] == ["b0", "b1"]
    assert receive_all(sqs, url) == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    assert [m["Body"] for m in receive_all(sqs, url)] == ["a1", "a2"]


@doc(
    API + "API_SendMessage.html",
    says="SequenceNumber: this parameter applies only to FIFO queues; the large, non-consecutive number "
    "that Amazon SQS assigns to each message. The sequence number for a message group increases over time.",
)
def test_fifo_sends_return_increasing_sequence_numbers(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue(fifo=True, ContentBasedDeduplication="true")
    numbers = [
        int(
            sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g")[
                "SequenceNumber"
            ]
        )
        for i in range(3)
    ]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    (message,) = receive_all(sqs, url, MaxNumberOfMessages=1, MessageSystemAttributeNames=["All"])
    attributes = message["Attributes"]
    assert attributes["MessageGroupId"] == "g"
    assert int(attributes["SequenceNumber"]) == numbers[0]
    assert "MessageDeduplicationId" in attributes


# --- The query protocol ----------------------------------------------------------------------------


def _xml(text: str) -> ElementTree.Element:
    root = ElementTree.fromstring(text)
    for element in root.iter():
        element.tag = element.tag.rsplit("}", 1)[-1]
    return root


@doc(
    QUERY,
    says="Amazon SQS supports the query protocol: a POST with the parameters form-encoded in the body, "
    "answered with an XML document.",
)
def test_the_query_protocol_over_post(aws: Aws, queue: Callable[..., str]) -> None:
    url = queue()
    response = aws.raw(
        "POST",
        "sqs",
        url,
        body="Action=SendMessage&MessageBody=posted&Version=2012-11-05",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert _xml(response.text).find(".//MessageId") is not None


@pytest.mark.parametrize("sign", ["header", "query"])
@doc(
    QUERY,
    says="Making a GET request: the action and its parameters go in the query string of the queue URL; "
    "the request is signed with Signature Version 4, in the Authorization header or in the query string.",
)
def test_the_query_protocol_over_get(
    aws: Aws, sqs: Any, queue: Callable[..., str], sign: str
) -> None:
    url = queue()
    response = aws.raw(
        "GET", "sqs", f"{url}?Action=SendMessage&MessageBody=got&Version=2012-11-05", sign=sign
    )
    assert response.status_code == 200, response.text
    assert _xml(response.text).find(".//MessageId") is not None
    assert [m["Body"] for m in receive_all(sqs, url)] == ["got"]
    listed = aws.raw(
        "GET", "sqs", f"{aws.endpoint}/?Action=ListQueues&Version=2012-11-05", sign=sign
    )
    assert listed.status_code == 200, listed.text
    assert url in [e.text for e in _xml(listed.text).iter("QueueUrl")]


@doc(
    GUIDE + "sqs-api-responses.html",
    says="Query API error responses are XML: ErrorResponse/Error with Type, Code and Message, and a RequestId.",
)
def test_query_protocol_errors_are_xml(aws: Aws, sqs: Any) -> None:
    url = sqs.create_queue(QueueName=name("conf"))["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)
    response = aws.raw(
        "GET", "sqs", f"{url}?Action=GetQueueAttributes&AttributeName.1=All&Version=2012-11-05"
    )
    assert response.status_code == 400, response.text
    error = _xml(response.text).find(".//Error")
    assert error is not None, response.text
    assert error.findtext("Code") == "AWS.SimpleQueueService.NonExistentQueue"
    assert error.findtext("Type") == "Sender"


@doc(
    API + "API_ReceiveMessage.html",
    says="MessageAttributeNames: the name of the message attribute, or All / .* for every one; a "
    "prefix followed by .* (for example bar.*) returns every attribute starting with the prefix.",
)
def test_receive_returns_the_attributes_asked_for(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue()
    attributes = string_attrs(**{"job.type": "a", "job.id": "b", "trace": "c"})
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)

    def names(*asked: str) -> list[str]:
        (message,) = receive_all(sqs, url, MessageAttributeNames=list(asked), VisibilityTimeout=0)
        return sorted(message.get("MessageAttributes", {}))

    assert names() == []
    assert names("trace") == ["trace"]
    assert names("job.*") == ["job.id", "job.type"]
    assert names("All") == ["job.id", "job.type", "trace"]


@doc(
    API + "API_ReceiveMessage.html",
    says="MessageSystemAttributeNames: SentTimestamp and ApproximateFirstReceiveTimestamp (epoch "
    "milliseconds), ApproximateReceiveCount, SenderId.",
)
def test_receive_returns_system_attributes(sqs: Any, queue: Callable[..., str]) -> None:
    url = queue()
    before = int(time.time() * 1000)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    (message,) = receive_all(sqs, url, MessageSystemAttributeNames=["All"])
    attributes = message["Attributes"]
    assert before - 5000 <= int(attributes["SentTimestamp"]) <= int(time.time() * 1000) + 5000
    assert int(attributes["ApproximateFirstReceiveTimestamp"]) >= int(attributes["SentTimestamp"])
    assert attributes["ApproximateReceiveCount"] == "1"
    assert attributes["SenderId"]


# --- A body is data ------------------------------------------------------------------------------


@doc(
    API + "API_SendMessage.html",
    says="MessageBody: The message to send. ... A message can include only XML, JSON, and "
    "unformatted text.",
)
def test_a_body_that_reads_as_a_query_string_is_only_a_body(
    sqs: Any, queue: Callable[..., str]
) -> None:
    # The emulator once read a JSON request's body as a query string: this one purged the queue.
    url = queue()
    sqs.send_message(QueueUrl=url, MessageBody="first")
    body = "x&Action=PurgeQueue&QueueUrl=elsewhere&y="
    assert sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"]
    bodies: list[str] = []
    for _ in range(5):
        bodies += [m["Body"] for m in receive_all(sqs, url, VisibilityTimeout=30)]
        if len(bodies) >= 2:
            break
    assert sorted(bodies) == sorted(["first", body])
