"""The private network (``[network]``, ``terraform/modules/network``) databases and caches live in.

Not a resource kind (services do not ``use`` it): it exists when the manifest has a
database or a cache, or asks for it. What is in it follows from the manifest:

- a security group per service that uses a database or cache (and one for the
  databases' admin function), the only sources a database (5432) or cache (6379)
  admits;
- a VPC endpoint per AWS service those services call, found through the kinds
  they use and Secrets Manager for a routed container's origin secret (no NAT
  gateway by default: the endpoints are the way out);
- the EC2 actions an environment's deploy role needs for all of it, scoped by the
  ``trellis-environment`` tag (VPC resources have ids, not names, in their ARNs).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from trellis.kinds._policy import DeployStatement, EnvScope
from trellis.kinds._terraform import Expr

if TYPE_CHECKING:
    from trellis.manifest import Manifest

#: The tag every rendered resource carries (provider ``default_tags``): the environment.
ENV_TAG: Final = "trellis-environment"
#: The security group key of the databases' admin function in the network module.
DB_ADMIN_GROUP: Final = "db-admin"

#: Kind → the VPC endpoint its AWS service needs: ``(service, type)``.
ENDPOINTS: Final[dict[str, tuple[str, str]]] = {
    "table": ("dynamodb", "Gateway"),
    "bucket": ("s3", "Gateway"),
    "queue": ("sqs", "Interface"),
    "topic": ("sns", "Interface"),
    "secret": ("secretsmanager", "Interface"),
    "parameter": ("ssm", "Interface"),
    "bus": ("events", "Interface"),
}


def network_groups(manifest: Manifest) -> list[str]:
    """Keys of the network module's per-service security groups (services, then the admin)."""
    groups = list(manifest.network_services())
    # Imported here: the registry imports the kinds that import this module.
    from trellis.kinds._registry import DATABASE

    if manifest.specs(DATABASE):
        groups.append(DB_ADMIN_GROUP)
    return groups


def client_security_groups(manifest: Manifest, resource: str) -> dict[str, Expr]:
    """The security groups a database or cache admits: its users' (and the admin's, for a database)."""
    from trellis.kinds._registry import DATABASE

    users = [s for s, spec in manifest.services.items() if resource in spec.uses]
    if resource in manifest.specs(DATABASE):
        users.append(DB_ADMIN_GROUP)
    return {u: Expr(f'module.network.security_group_ids["{u}"]') for u in users}


def endpoints(manifest: Manifest) -> dict[str, str]:
    """AWS service → endpoint type (``Gateway`` / ``Interface``) the network's services need."""
    from trellis.kinds._registry import DATABASE

    needed: dict[str, str] = {}
    for service in manifest.network_services():
        for resource in manifest.services[service].uses:
            kind = manifest.kind_of(resource)
            if kind in ENDPOINTS:
                svc, type_ = ENDPOINTS[kind]
                needed[svc] = type_
        spec = manifest.services[service]
        if spec.runtime != "lambda" and spec.route:
            # A routed container reads the gateway's origin secret: with VPC egress, through
            # the VPC (App Runner pulls the image and ships the logs outside it).
            needed["secretsmanager"] = "Interface"
    if manifest.specs(DATABASE):
        # The admin function reads the RDS-managed master secrets.
        needed["secretsmanager"] = "Interface"
    return dict(sorted(needed.items()))


def network_arguments(manifest: Manifest) -> Iterator[tuple[str, object]]:
    """The ``module "network"`` block's arguments after ``source``."""
    from trellis.kinds._terraform import ENV, Tpl

    net = manifest.network
    yield "name", Tpl(f"{manifest.project.name}-{ENV}")
    yield "cidr", net.cidr
    yield "az_count", net.azs
    yield "nat_gateway", net.nat_gateway
    yield "security_groups", network_groups(manifest)
    express = {
        s: manifest.services[s].port
        for s in manifest.network_services()
        if manifest.services[s].runtime == "ecs-express"
    }
    if express:
        # Express Mode's load balancer faces the internet only from public subnets.
        yield "public_subnets", True
        yield "ingress_ports", express
    yield "endpoints", endpoints(manifest)


def _ec2(kind: str) -> str:
    return f"arn:{{p}}:ec2:{{r}}:{{a}}:{kind}/*"


#: VPC resources the network module creates (and the ENIs of interface endpoints).
_NETWORK_RESOURCES: Final = (
    "vpc",
    "subnet",
    "route-table",
    "security-group",
    "security-group-rule",
    "vpc-endpoint",
    "internet-gateway",
    "natgateway",
    "elastic-ip",
)


def network_deploy_statements(scope: EnvScope) -> Iterator[DeployStatement]:
    """What an environment's deploy role needs to manage its network, by tag."""
    own = (("StringEquals", f"aws:ResourceTag/{ENV_TAG}", (scope.env,)),)
    tagged = (("StringEquals", f"aws:RequestTag/{ENV_TAG}", (scope.env,)),)
    # A create is authorised on the new resource (its request tags say the environment)
    # and on the existing ones it goes in (the VPC, its subnets, groups, route tables).
    yield DeployStatement(
        "CreateNetworkResources",
        (
            "ec2:AllocateAddress",
            "ec2:CreateInternetGateway",
            "ec2:CreateNatGateway",
            "ec2:CreateRouteTable",
            "ec2:CreateSecurityGroup",
            "ec2:CreateSubnet",
            "ec2:CreateVpc",
            "ec2:CreateVpcEndpoint",
        ),
        tuple(_ec2(k) for k in _NETWORK_RESOURCES),
        tagged,
    )
    yield DeployStatement(
        "ManageOwnNetwork",
        (
            "ec2:AssociateRouteTable",
            "ec2:AttachInternetGateway",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:CreateNatGateway",
            "ec2:CreateRoute",
            "ec2:CreateRouteTable",
            "ec2:CreateSecurityGroup",
            "ec2:CreateSubnet",
            "ec2:CreateVpcEndpoint",
            "ec2:DeleteInternetGateway",
            "ec2:DeleteNatGateway",
            "ec2:DeleteRoute",
            "ec2:DeleteRouteTable",
            "ec2:DeleteSecurityGroup",
            "ec2:DeleteSubnet",
            "ec2:DeleteVpc",
            "ec2:DeleteVpcEndpoints",
            "ec2:DetachInternetGateway",
            "ec2:DisassociateAddress",
            "ec2:DisassociateRouteTable",
            "ec2:ModifySecurityGroupRules",
            "ec2:ModifySubnetAttribute",
            "ec2:ModifyVpcAttribute",
            "ec2:ModifyVpcEndpoint",
            "ec2:ReleaseAddress",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:ReplaceRoute",
            "ec2:ReplaceRouteTableAssociation",
            "ec2:RevokeSecurityGroupIngress",
        ),
        tuple(_ec2(k) for k in _NETWORK_RESOURCES),
        own,
    )
    # Tags on create (ec2:CreateAction says which create) and later tag changes of its own.
    yield DeployStatement(
        "TagNetworkOnCreate",
        ("ec2:CreateTags",),
        tuple(_ec2(k) for k in _NETWORK_RESOURCES),
        (
            ("StringEquals", f"aws:RequestTag/{ENV_TAG}", (scope.env,)),
            (
                "StringEquals",
                "ec2:CreateAction",
                (
                    "AllocateAddress",
                    "AuthorizeSecurityGroupEgress",
                    "AuthorizeSecurityGroupIngress",
                    "CreateInternetGateway",
                    "CreateNatGateway",
                    "CreateRouteTable",
                    "CreateSecurityGroup",
                    "CreateSubnet",
                    "CreateVpc",
                    "CreateVpcEndpoint",
                ),
            ),
        ),
    )
    yield DeployStatement(
        "TagOwnNetwork",
        ("ec2:CreateTags", "ec2:DeleteTags"),
        tuple(_ec2(k) for k in _NETWORK_RESOURCES),
        own,
    )
    # EC2's Describe calls (but DescribeVpcAttribute) have no resource type: network metadata only.
    yield DeployStatement(
        "DescribeNetwork",
        (
            "ec2:DescribeAddresses",
            "ec2:DescribeAddressesAttribute",
            "ec2:DescribeAvailabilityZones",
            "ec2:DescribeInternetGateways",
            "ec2:DescribeNatGateways",
            "ec2:DescribeNetworkAcls",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribePrefixLists",
            "ec2:DescribeRouteTables",
            "ec2:DescribeSecurityGroupRules",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets",
            "ec2:DescribeVpcEndpoints",
            "ec2:DescribeVpcs",
        ),
        ("*",),
    )
    # The one describe call with a resource type: the environment's own VPC, by tag.
    yield DeployStatement("DescribeOwnVpc", ("ec2:DescribeVpcAttribute",), (_ec2("vpc"),), own)
    # Deleting a subnet or security group first deletes the network interfaces Lambda left
    # in it (detached ones: an attached interface cannot be deleted). They carry no tag.
    yield DeployStatement(
        "DeleteLingeringLambdaInterfaces",
        ("ec2:DeleteNetworkInterface",),
        ("arn:{p}:ec2:{r}:{a}:network-interface/*",),
    )
    # Private DNS of interface endpoints: EC2 associates the VPC with a hosted zone AWS owns.
    yield DeployStatement(
        "EndpointPrivateDns",
        ("route53:AssociateVPCWithHostedZone",),
        ("arn:{p}:route53:::hostedzone/*",),
    )


def other_environments_network_deny(others: tuple[str, ...]) -> DeployStatement:
    """Deny every EC2 action on resources tagged as another environment's."""
    return DeployStatement(
        "DenyOtherEnvironmentsNetwork",
        ("ec2:*",),
        ("*",),
        (("StringEquals", f"aws:ResourceTag/{ENV_TAG}", others),),
        effect="Deny",
    )
