"""Where alarms go: each environment's ``[alarms]`` routing as the ``local.alarm_actions`` every
alarm of the stack notifies, and ``terraform/alarms.tf`` (the email subscriptions).

Every module renders its own alarms (``alarm_actions`` and thresholds are module variables);
this file only says who hears them. An environment without routing gets no actions: its
alarms change state in CloudWatch and notify nobody.
"""

from __future__ import annotations

from typing import Any, Final

from trellis.infra._hcl import Block, Expr, Tpl
from trellis.kinds._terraform import ENV
from trellis.manifest import Manifest

#: The address of the email subscriptions (the provider-call table names it).
EMAIL_SUBSCRIPTION: Final = ("aws_sns_topic_subscription", "alarm_email")


def alarm_topic_name(project: str, env: str) -> str:
    """The environment's alarm topic, created by bootstrap/ (encrypted with its alarms key)."""
    return f"{project}-{env}-alarms"


def _topic_arn(manifest: Manifest, env: str) -> Tpl:
    name = alarm_topic_name(manifest.project.name, env)
    return Tpl(f"arn:${{local.partition}}:sns:${{local.region}}:${{local.account_id}}:{name}")


def alarm_routes(manifest: Manifest) -> dict[str, list[Any]]:
    """The actions of each environment that routes its alarms: its own topic (when it has
    email subscribers) and the existing topic it names; environments without routing are absent."""
    routes: dict[str, list[Any]] = {}
    for env in manifest.project.environments:
        route = manifest.alarm_route(env)
        actions: list[Any] = [_topic_arn(manifest, env)] if route.emails else []
        if route.topic_arn is not None:
            actions.append(route.topic_arn)
        if actions:
            routes[env] = actions
    return routes


def alarm_emails(manifest: Manifest) -> dict[str, list[str]]:
    """The email subscribers of each environment that has some."""
    return {
        env: list(manifest.alarm_route(env).emails)
        for env in manifest.project.environments
        if manifest.alarm_route(env).emails
    }


def alarm_locals(manifest: Manifest) -> list[tuple[str, Any]]:
    """``locals`` entries of ``main.tf``: the routing table and ``alarm_actions``.

    Without any routing ``alarm_actions`` is the literal ``[]``: no alarm of any
    environment has an action.
    """
    routes = alarm_routes(manifest)
    if not routes:
        return [("alarm_actions", [])]
    out: list[tuple[str, Any]] = [("alarm_routes", routes)]
    if alarm_emails(manifest):
        out.append(("alarm_emails", alarm_emails(manifest)))
    out.append(("alarm_actions", Expr("lookup(local.alarm_routes, var.environment, [])")))
    return out


def alarm_blocks(manifest: Manifest) -> list[Block]:
    """``terraform/alarms.tf``: one email subscription per address of the environment deployed."""
    if not alarm_emails(manifest):
        return []
    rtype, label = EMAIL_SUBSCRIPTION
    return [
        Block(
            "resource",
            [rtype, label],
            comment="[alarms.environments.<env>] emails: SNS mails each address a confirmation link;\n"
            "alarms reach it once followed (Terraform can neither confirm nor remove a pending one).",
        )
        .attr("for_each", Expr("toset(lookup(local.alarm_emails, var.environment, []))"))
        .attr(
            "topic_arn",
            Tpl(
                "arn:${local.partition}:sns:${local.region}:${local.account_id}:"
                + alarm_topic_name(manifest.project.name, ENV)
            ),
        )
        .attr("protocol", "email")
        .attr("endpoint", Expr("each.value"))
    ]
