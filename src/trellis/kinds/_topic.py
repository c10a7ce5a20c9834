"""Topics: SNS, delivering to queues (``[topics.<name>]``, ``terraform/modules/sns-topic``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Final

from pydantic import Field

from trellis import naming
from trellis.kinds._kind import CliOption, Kind, Snippet, Spec, Use
from trellis.kinds._policy import Arns, DeployStatement, EnvScope
from trellis.kinds._terraform import ENV, TF_ARNS, Tpl, module_ref
from trellis.runtime._kinds import RUNTIME_KINDS

if TYPE_CHECKING:
    from trellis.manifest import Manifest


class Topic(Spec):
    fifo: bool = False
    subscriptions: list[str] = Field(default_factory=list)
    raw_delivery: bool = True


class TopicKind(Kind[Topic]):
    name = "topic"
    section = "topics"
    model = Topic
    runtime = RUNTIME_KINDS["topic"]
    levels = {"publish": ("sns:Publish", "sns:GetTopicAttributes")}
    max_length = 256
    arn_template = "arn:{p}:sns:{r}:{a}:{name}"
    terraform_module = "sns-topic"
    module_output = "arn"
    local_provisioner = "trellis.local.provisioners.topic"
    verbs = {"publish": "publishes to"}
    key_argument = "kms_key_id"
    key_service = "sns"
    # SNS encrypts each published message with a data key it asks KMS for as the publisher.
    key_actions = {"publish": ("kms:GenerateDataKey", "kms:Decrypt")}
    cli_options = (
        CliOption("--fifo", "fifo", {"action": "store_true", "default": None}),
        CliOption(
            "--subscribe",
            "subscriptions",
            {"action": "append", "metavar": "QUEUE", "help": "deliver to this queue"},
        ),
    )

    def physical_name(self, project: str, env: str, name: str, spec: Topic) -> str:
        # A FIFO topic's name ends in ".fifo", as a FIFO queue's does.
        return naming.physical_name(project, env, name) + (naming.FIFO_SUFFIX if spec.fifo else "")

    def aws_address(self, physical: str, arns: Arns) -> str:
        return arns.of("topic", physical)

    def terraform_arguments(
        self, manifest: Manifest, name: str, spec: Topic
    ) -> Iterator[tuple[str, object]]:
        # The module appends ".fifo" itself.
        yield "name", Tpl(naming.physical_name(manifest.project.name, ENV, name))
        yield "fifo", spec.fifo
        if spec.subscriptions:
            yield (
                "queue_subscriptions",
                {
                    q: {
                        "queue_arn": module_ref("queue", q, "arn"),
                        "raw_delivery": spec.raw_delivery,
                    }
                    for q in spec.subscriptions
                },
            )

    def queue_publishers(
        self, manifest: Manifest, queue: str, specs: Mapping[str, Topic]
    ) -> Iterator[dict[str, object]]:
        for topic, spec in specs.items():
            if queue in spec.subscriptions:
                physical = self.physical_name(manifest.project.name, ENV, topic, spec)
                yield {
                    "service": "sns.amazonaws.com",
                    "source_arn": Tpl(TF_ARNS.of("topic", physical)),
                }

    def deploy_statements(self, scope: EnvScope) -> Iterator[DeployStatement]:
        yield DeployStatement(
            "ManageTopics",
            (
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:GetTopicAttributes",
                "sns:ListTagsForResource",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:TagResource",
                "sns:UntagResource",
            ),
            self.owned_arns(scope),
        )
        # Subscription calls have no resource type in IAM: "*" is the only grant there is
        # (they manage deliveries; no message is read through them).
        yield DeployStatement(
            "ManageSubscriptions",
            ("sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"),
            ("*",),
        )

    def _values(self, use: Use[Topic]) -> dict[str, str]:
        return {
            "topic": use.resource,
            "ident": use.ident,
            "field": naming.settings_field_name("topic", use.resource),
            "group_id": "group_id: str," if use.spec.fifo else "",
            "group_id_arg": "MessageGroupId=group_id," if use.spec.fifo else "",
            "group_id_probe": 'group_id="probe",' if use.spec.fifo else "",
        }

    def accessor(self, use: Use[Topic]) -> Snippet | None:
        return Snippet("kinds/topic/publish.py.tmpl", self._values(use))

    def probe(self, use: Use[Topic], level: str) -> Snippet:
        if level != "publish":
            return super().probe(use, level)
        return Snippet(
            "kinds/topic/probe_publish.py.tmpl",
            self._values(use),
            imports=(("{module}", "resources"),),
        )


#: The registry entry (``trellis.kinds.TOPIC``).
TOPIC: Final = TopicKind()
