"""Each environment's deploy role reaches only that environment: proved by evaluating the policies.

The policies evaluated are the rendered ones: `bootstrap/manifest.tf` is parsed and
resolved for an account, and must equal what `trellis iam deploy` prints (one code
path). The evaluator is `trellis.iam_eval` (identity ∩ boundary, explicit denies win,
a resource policy grant suffices unless denied). Requests come from the provider-call
table (`trellis.infra._provider_calls`): every call Terraform makes for every resource
type the stack renders, resolved for one environment, with the tags every resource
carries (`default_tags`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import EVERYTHING, ROOT, customer_key_manifest, write_tree
from tests.infra.hclconfig import Config, as_list
from trellis.iam import ACTIONS
from trellis.iam_eval import Request, action_matches, allowed, trusts
from trellis.infra import render
from trellis.infra._deploy import (
    DATA_ACTIONS,
    ENV_TAG,
    OBJECT_ACTIONS,
    Account,
    deploy_documents,
    plan_environment,
)
from trellis.infra._provider_calls import PROVIDER_CALLS, ProviderCall
from trellis.kinds import BUS, DATABASE
from trellis.manifest import Manifest, load_manifest

ACCOUNT = Account(account_id="111122223333", partition="aws", region="us-east-1")
#: The stacks evaluated: the example, every kind and runtime, and every kind with a customer key.
MANIFESTS = {"example": ROOT / "trellis.toml", "everything": EVERYTHING, "customer-key": None}

#: Calls IAM cannot scope to a resource or an environment (no resource type, no condition
#: key naming one): any deploy role may make them in the whole account. None reads or
#: writes data; each is listed with what it exposes.
UNSCOPABLE = {
    "logs:DescribeLogGroups": "log group names and settings",
    "sns:ListTopics": "topic ARNs",
    "ssm:DescribeParameters": "parameter names and metadata, never values",
    "sns:GetSubscriptionAttributes": "a subscription's settings",
    "sns:SetSubscriptionAttributes": "a subscription's delivery settings",
    "sns:Unsubscribe": "can end another environment's topic subscription (no message access)",
    "iam:CreateServiceLinkedRole": "the account's one App Runner / ECS / RDS / ElastiCache service-linked role",
    "rds:DescribeDBEngineVersions": "the engine versions RDS offers (no account data)",
    "route53:AssociateVPCWithHostedZone": "the private hosted zone of an interface endpoint (AWS owns it)",
    "ec2:DescribeSubnets": "subnets' ids, ranges and tags",
    "kms:ListAliases": "alias names and the key ids they point to (no key material, no policy)",
    "ec2:DescribeNetworkInterfaces": "network interfaces' addresses and attachments",
    "ec2:DeleteNetworkInterface": (
        "a detached network interface (an attached one cannot be deleted; Lambda's carry no tag)"
    ),
}
#: Resources whose names AWS picks and that no tag of ours reaches when created: any deploy
#: role may create them. RDS creates its master secrets with the caller's permissions
#: (manage_master_user_password); their values stay denied (DenyDataAccess, and the
#: boundary's DenyOtherDatabasesMasterSecrets).
UNSCOPABLE_RESOURCES = {
    "arn:aws:secretsmanager:us-east-1:111122223333:secret:rds!": (
        "secretsmanager:CreateSecret",
        "secretsmanager:TagResource",
    ),
}
#: Module resources the renderer never turns on (count = 0 for every manifest).
NOT_RENDERED = {
    "aws_secretsmanager_secret_version": "secret values are set out of band (set_initial_value stays false)",
}


@pytest.fixture(scope="module", params=sorted(MANIFESTS))
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    path = MANIFESTS[request.param]
    manifest = customer_key_manifest() if path is None else load_manifest(path)
    tree = write_tree(tmp_path_factory.mktemp(request.param), render(manifest))
    return Stack(manifest, tree)


class Stack:
    def __init__(self, manifest: Manifest, tree: Path) -> None:
        self.manifest = manifest
        self.tree = tree
        self.project = manifest.project.name
        self.envs = list(manifest.project.environments)
        self.docs = {env: deploy_documents(manifest, env, ACCOUNT) for env in self.envs}
        self.types = rendered_types(tree)

    def deploy(self, env: str) -> list[dict[str, Any]]:
        """The deploy role's managed policies."""
        return list(self.docs[env]["deploy_role"]["policies"])

    def boundary(self, env: str) -> dict[str, Any]:
        return dict(self.docs[env]["boundary"]["policy"])

    def plan(self) -> dict[str, Any]:
        return dict(self.docs[self.envs[0]]["plan_role"]["policy"])

    def state_bucket(self) -> dict[str, Any]:
        return dict(self.docs[self.envs[0]]["state_bucket"]["policy"])

    def calls(self) -> list[ProviderCall]:
        return [
            c
            for c in PROVIDER_CALLS
            if c.type in self.types and (c.only_with is None or c.only_with in self.types)
        ]

    def requests(self, env: str) -> Iterator[tuple[ProviderCall, Request]]:
        """Every call Terraform makes in ``env``, as the request IAM evaluates."""
        for call in self.calls():
            yield call, as_request(call, self.manifest, env)

    def state_object(self, env: str) -> str:
        return f"arn:aws:s3:::{ACCOUNT.state_bucket(self.manifest)}/{self.project}/{env}/terraform.tfstate"


def fill(template: str, manifest: Manifest, env: str) -> str:
    project = manifest.project.name
    return (
        template.replace("{p}", ACCOUNT.partition)
        .replace("{r}", ACCOUNT.region)
        .replace("{a}", ACCOUNT.account_id)
        .replace("{n}", f"{project}-{env}")
        .replace("{project}", project)
        .replace("{env}", env)
    )


def as_request(call: ProviderCall, manifest: Manifest, env: str) -> Request:
    context: dict[str, Any] = {k: fill(v, manifest, env) for k, v in call.context}
    # Every resource carries its environment's tag (default_tags), on create and after.
    context.setdefault(f"aws:ResourceTag/{ENV_TAG}", env)
    context.setdefault(f"aws:RequestTag/{ENV_TAG}", env)
    context.setdefault("aws:TagKeys", ["managed-by", ENV_TAG, "trellis-project"])
    return Request(call.action, fill(call.resource, manifest, env), context)


def rendered_types(tree: Path) -> set[str]:
    """Resource and data source types the rendered root and the modules it calls declare, and
    each resource's ``type.name`` (a provider-call row's ``only_with`` may name one block)."""
    root = Config.load(tree / "terraform")
    types = {f"data.{t}" for t, _ in root.data}
    types |= {t for t, _ in root.resources} | {f"{t}.{n}" for t, n in root.resources}
    for name in root.modules:
        module = Config.load(root.module_dir(name))
        types |= {t for t, _ in module.resources}
        types |= {f"{t}.{n}" for t, n in module.resources}
        types |= {f"data.{t}" for t, _ in module.data}
    return types - set(NOT_RENDERED)


# --- the rendered policies are the ones evaluated ---------------------------------------------------


def _resolve(value: str, manifest: Manifest) -> str:
    out = (
        value.replace("${local.partition}", ACCOUNT.partition)
        .replace("${local.region}", ACCOUNT.region)
        .replace("${local.account_id}", ACCOUNT.account_id)
        .replace("${local.state_name}", ACCOUNT.state_bucket(manifest))
    )
    assert "${" not in out, f"unresolved interpolation in {value!r}"
    return out


def hcl_document(body: Mapping[str, Any], manifest: Manifest) -> dict[str, Any]:
    """An aws_iam_policy_document block as the policy JSON it renders to."""
    out = []
    for st in as_list(body.get("statement")):
        js: dict[str, Any] = {"Sid": st["sid"], "Effect": st.get("effect", "Allow")}
        if "principals" in st:
            principals = as_list(st["principals"])
            assert principals == [{"type": "*", "identifiers": ["*"]}]
            js["Principal"] = "*"
        for hcl, key in (("actions", "Action"), ("not_actions", "NotAction")):
            if hcl in st:
                js[key] = sorted(st[hcl])
        for hcl, key in (("resources", "Resource"), ("not_resources", "NotResource")):
            if hcl in st:
                js[key] = [_resolve(r, manifest) for r in st[hcl]]
        conditions: dict[str, dict[str, list[str]]] = {}
        for c in as_list(st.get("condition")):
            conditions.setdefault(c["test"], {})[c["variable"]] = [
                _resolve(v, manifest) for v in c["values"]
            ]
        if conditions:
            js["Condition"] = conditions
        out.append(js)
    return {"Version": "2012-10-17", "Statement": out}


def test_the_rendered_bootstrap_policies_are_what_iam_deploy_prints(stack: Stack) -> None:
    cfg = Config.load(stack.tree / "bootstrap")
    docs = {name: body for (t, name), body in cfg.data.items() if t == "aws_iam_policy_document"}
    for env in stack.envs:
        parts = stack.deploy(env)
        assert [
            hcl_document(docs[f"deploy_{env}_{i}"], stack.manifest)
            for i in range(1, len(parts) + 1)
        ] == parts
        assert f"deploy_{env}_{len(parts) + 1}" not in docs
        assert hcl_document(docs[f"boundary_{env}"], stack.manifest) == stack.boundary(env)
    assert hcl_document(docs["plan"], stack.manifest) == stack.plan()
    assert hcl_document(docs["state_bucket"], stack.manifest) == stack.state_bucket()
    # main.tf attaches exactly these documents.
    main = (stack.tree / "bootstrap" / "main.tf").read_text()
    assert "policy_arn = aws_iam_policy.deploy[each.key].arn" in main
    assert "policy      = local.boundary_policies[each.key]" in main
    assert "policy = local.plan_policy" in main
    assert "extra_policy_json                  = local.state_bucket_policy" in main


def test_the_policies_fit_iams_size_limits(stack: Stack) -> None:
    # IAM counts policy characters without white space: 6,144 for a managed policy, ten
    # of them attached to a role; 10,240 for a role's inline policies together.
    def size(doc: Mapping[str, Any]) -> int:
        return len(re.sub(r"\s", "", json.dumps(doc, separators=(",", ":"))))

    for env in stack.envs:
        parts = stack.deploy(env)
        assert 1 <= len(parts) <= 10, env
        assert all(size(doc) <= 6_144 for doc in parts), env
        assert size(stack.boundary(env)) <= 6_144, env
    assert size(stack.plan()) <= 10_240


# --- a deploy role reaches only its own environment ---------------------------------------------


def _holds_data(arn: str) -> bool:
    """Resources whose items, messages, objects or values a data-plane action reaches."""
    return (
        arn.startswith(
            tuple(
                f"arn:aws:{svc}:"
                for svc in ("sqs", "dynamodb", "s3", "sns", "secretsmanager", "ssm", "elasticache")
            )
        )
        or ":function:" in arn
    )


def _denied_outside(
    stack: Stack,
    env: str,
    policies: list[dict[str, Any]],
    boundary: Any = None,
    resource_policy: Any = None,
) -> list[str]:
    """Requests of other environments (and their data) that ``policies`` would allow.

    ``resource_policy`` stands for what another environment's resource policy might
    say (a bucket, queue or topic policy naming this role): only explicit denies can
    stop such a grant of data access.
    """
    leaks = []
    for other in stack.envs:
        if other == env:
            continue
        data_resources: dict[str, Request] = {}
        for call, request in stack.requests(other):
            if call.action in UNSCOPABLE or any(
                request.resource.startswith(prefix) and call.action in actions
                for prefix, actions in UNSCOPABLE_RESOURCES.items()
            ):
                continue
            if allowed(request, policies, boundary):
                leaks.append(f"{call.type} {call.action} {request.resource} ({other})")
            if _holds_data(request.resource):
                data_resources.setdefault(request.resource, request)
        # Each resource once: many calls share one (its create, read, tag, delete).
        for resource, request in data_resources.items():
            for action in DATA_ACTIONS + OBJECT_ACTIONS:
                data = Request(action, resource, request.context)
                if allowed(data, policies, boundary, resource_policy):
                    leaks.append(f"{action} {resource} ({other})")
    return leaks


def test_a_deploy_role_allows_no_call_on_another_environment(stack: Stack) -> None:
    open_policy = {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]
    }
    for env in stack.envs:
        assert _denied_outside(stack, env, stack.deploy(env), None, open_policy) == []


def test_a_deploy_role_touches_no_other_environments_state(stack: Stack) -> None:
    bucket = stack.state_bucket()
    for env in stack.envs:
        for other in stack.envs:
            for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
                request = Request(action, stack.state_object(other))
                assert allowed(request, stack.deploy(env)) == (env == other), (env, other, action)
        # Nor the bucket's settings (its policy, its versioning, ...), nor anything outside a prefix.
        for action in ("s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketVersioning"):
            bucket_arn = f"arn:aws:s3:::{ACCOUNT.state_bucket(stack.manifest)}"
            assert not allowed(Request(action, bucket_arn), stack.deploy(env))
    # The bucket's own policy: a prefix is written only by its environment's deploy role,
    # whatever another principal's identity policy says.
    anyone = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    for env in stack.envs:
        deployer = f"arn:aws:iam::{ACCOUNT.account_id}:role/{stack.project}-deploy-{env}"
        planner = f"arn:aws:iam::{ACCOUNT.account_id}:role/{stack.project}-plan"
        for principal, may_write, may_read in (
            (deployer, True, True),
            (planner, False, env == plan_environment(stack.manifest)),
            (f"arn:aws:iam::{ACCOUNT.account_id}:role/someone-else", False, False),
        ):
            ctx = {"aws:PrincipalArn": principal}
            put = Request("s3:PutObject", stack.state_object(env), ctx)
            get = Request("s3:GetObject", stack.state_object(env), ctx)
            assert allowed(put, [anyone], resource_policy=bucket) == may_write, (env, principal)
            assert allowed(get, [anyone], resource_policy=bucket) == may_read, (env, principal)


def test_a_role_a_deploy_role_creates_can_never_reach_another_environment(stack: Stack) -> None:
    # The worst role a deploy role can create: any inline policy (here `*` on `*`), under
    # its environment's boundary, even with a resource policy naming it on the target.
    anything = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    open_policy = {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]
    }
    for env in stack.envs:
        boundary = stack.boundary(env)
        assert _denied_outside(stack, env, [anything], boundary, open_policy) == []
        for other in stack.envs:
            if other != env:
                state = Request("s3:GetObject", stack.state_object(other))
                assert not allowed(state, [anything], boundary, resource_policy=anything)
        for any_env in stack.envs:
            state = Request("s3:PutObject", stack.state_object(any_env))
            assert not allowed(state, [anything], boundary)


def test_a_created_role_may_do_what_its_kinds_levels_grant_in_its_own_environment(
    stack: Stack,
) -> None:
    """The reverse: the boundary leaves every data-plane action of the manifest's kinds."""
    anything = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    env = stack.envs[-1]
    n = f"{stack.project}-{env}"
    a = ACCOUNT.account_id
    sample = {
        "queue": f"arn:aws:sqs:us-east-1:{a}:{n}-jobs",
        "table": f"arn:aws:dynamodb:us-east-1:{a}:table/{n}-users/index/by_created",
        "bucket": f"arn:aws:s3:::{n}-uploads/uploads/x.png",
        "topic": f"arn:aws:sns:us-east-1:{a}:{n}-events",
        "secret": f"arn:aws:secretsmanager:us-east-1:{a}:secret:{stack.project}/{env}/token-AbCdEf",
        "parameter": f"arn:aws:ssm:us-east-1:{a}:parameter/{stack.project}/{env}/flags",
        "database": f"arn:aws:rds-db:us-east-1:{a}:dbuser:cluster-ABCDEFGHIJKL/api",
        "cache": f"arn:aws:elasticache:us-east-1:{a}:serverlesscache:{n}-sessions",
    }
    kinds = {kind for kind, _n, _s in stack.manifest.resources() if kind in sample}
    assert kinds
    for kind in kinds:
        for action in {x for level in ACTIONS[kind].values() for x in level}:
            resource = sample[kind]
            if action == "s3:ListBucket":
                resource = resource.split("/", 1)[0]
            assert allowed(Request(action, resource), [anything], stack.boundary(env)), (
                kind,
                action,
            )


def test_a_deploy_role_cannot_grant_itself_data_access_with_a_resource_policy(
    stack: Stack,
) -> None:
    # It writes queue, topic and bucket policies: suppose it wrote one that lets it in.
    open_policy = {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]
    }
    for env in stack.envs:
        policies = stack.deploy(env)
        resources = {request.resource: request for _call, request in stack.requests(env)}
        for resource, request in resources.items():
            for action in DATA_ACTIONS + OBJECT_ACTIONS:
                data = Request(action, resource, request.context)
                assert not allowed(data, policies, resource_policy=open_policy), (env, action)
        # Every action an access level grants a service is among the denied ones.
        granted = {a for levels in ACTIONS.values() for level in levels.values() for a in level}
        readonly = {
            "dynamodb:DescribeTable",
            "events:DescribeEventBus",
            "s3:ListBucket",
            "sqs:GetQueueAttributes",
            "sns:GetTopicAttributes",
            "secretsmanager:DescribeSecret",
            "ssm:GetParameter",
            "ssm:GetParameters",
        }
        assert granted - readonly <= set(DATA_ACTIONS + OBJECT_ACTIONS)


def test_a_function_may_be_opened_only_to_api_gateway_and_the_stacks_event_rules(
    stack: Stack,
) -> None:
    if not any(s.runtime == "lambda" for s in stack.manifest.services.values()):
        pytest.skip("no Lambda service in this stack")
    env = stack.envs[0]
    fn = f"arn:aws:lambda:us-east-1:{ACCOUNT.account_id}:function:{stack.project}-{env}-api"
    buses = bool(stack.manifest.specs(BUS))
    for principal, ok in (
        ("apigateway.amazonaws.com", True),
        # EventBridge only where a bus has rules (the event-bus module's lambda_permission).
        ("events.amazonaws.com", buses),
        ("123456789012", False),
        ("*", False),
        ("s3.amazonaws.com", False),
    ):
        request = Request("lambda:AddPermission", fn, {"lambda:Principal": principal})
        assert allowed(request, stack.deploy(env)) == ok, principal


def test_a_deploy_role_invokes_only_its_own_database_admin_function(stack: Stack) -> None:
    a = ACCOUNT.account_id
    for env in stack.envs:
        policies = stack.deploy(env)
        for other in stack.envs:
            admin = f"arn:aws:lambda:us-east-1:{a}:function:{stack.project}-{other}-db-admin"
            expected = bool(stack.manifest.specs(DATABASE)) and other == env
            assert allowed(Request("lambda:InvokeFunction", admin), policies) == expected
        # Its services' functions stay out of reach, whatever their resource policies say.
        api = f"arn:aws:lambda:us-east-1:{a}:function:{stack.project}-{env}-api"
        open_policy = {
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]
        }
        request = Request("lambda:InvokeFunction", api)
        assert not allowed(request, policies, resource_policy=open_policy)


def test_only_an_environments_own_roles_read_its_database_master_secrets(stack: Stack) -> None:
    if not stack.manifest.specs(DATABASE):
        pytest.skip("no database in this stack")
    anything = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    open_policy = {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]
    }
    a = ACCOUNT.account_id
    secret = f"arn:aws:secretsmanager:us-east-1:{a}:secret:rds!cluster-0f1e2d3c-AbCdEf"
    for env in stack.envs:
        boundary = stack.boundary(env)
        for other in stack.envs:
            for tag, arn in (
                ("aws:rds:primaryDBClusterArn", f"cluster:{stack.project}-{other}-ledger-db"),
                ("aws:rds:primaryDBInstanceArn", f"db:{stack.project}-{other}-audit"),
            ):
                ctx = {f"secretsmanager:ResourceTag/{tag}": f"arn:aws:rds:us-east-1:{a}:{arn}"}
                request = Request("secretsmanager:GetSecretValue", secret, ctx)
                assert allowed(request, [anything], boundary) == (other == env), (env, other)
                if other != env:
                    assert not allowed(request, [anything], boundary, open_policy)
        # An untagged rds!... secret (not a database's) is no one's.
        untagged = Request("secretsmanager:GetSecretValue", secret)
        assert not allowed(untagged, [anything], boundary, open_policy)
        # And the deploy role reads none of them.
        assert not allowed(untagged, stack.deploy(env), resource_policy=open_policy)


# --- and may do everything its own apply needs ------------------------------------------------------


def test_a_deploy_role_allows_every_call_terraform_makes_in_its_environment(stack: Stack) -> None:
    for env in stack.envs:
        missing = [
            f"{call.type} {call.phase}: {call.action} on {request.resource}"
            for call, request in stack.requests(env)
            if not allowed(request, stack.deploy(env))
        ]
        assert missing == []


@pytest.mark.parametrize("encryption", ["aws-managed", "customer"])
def test_every_action_a_deploy_role_is_granted_is_one_terraform_calls(encryption: str) -> None:
    everything = customer_key_manifest() if encryption == "customer" else load_manifest(EVERYTHING)
    used = {c.action for c in PROVIDER_CALLS}
    policy = deploy_documents(everything, everything.project.environments[0], ACCOUNT)
    granted = [
        a
        for doc in policy["deploy_role"]["policies"]
        for st in doc["Statement"]
        if st["Effect"] == "Allow"
        for a in as_list(st["Action"])
    ]
    unused = [a for a in granted if not any(action_matches(a, u) for u in used | NO_ROW)]
    assert unused == []


#: Granted without a row of the provider-call table: the Terraform state (the S3 backend,
#: not a resource) and one read the table could not confirm either way.
NO_ROW = {
    "s3:GetObject",  # the backend reads the state ...
    "s3:PutObject",  # ... writes it and its lock file ...
    "s3:DeleteObject",  # ... and deletes the lock file
    "ecs:ListTagsForResource",  # may follow DescribeExpressGatewayService (not confirmed)
    "lambda:InvokeFunction",  # the deploy workflow invokes the db-admin function (not Terraform)
}


# --- the plan role -----------------------------------------------------------------------------


def test_the_plan_role_reads_one_environments_state_and_writes_nothing(stack: Stack) -> None:
    from policy_sentry.querying.actions import get_action_data

    plan = stack.plan()
    for st in plan["Statement"]:
        assert st["Effect"] == "Allow"
        for action in as_list(st["Action"]):
            service, name = action.split(":")
            levels = {row["access_level"] for row in get_action_data(service, name)[service]}
            assert levels <= {"Read", "List"}, action
    planned = plan_environment(stack.manifest)
    for env in stack.envs:
        get = Request("s3:GetObject", stack.state_object(env))
        assert allowed(get, [plan]) == (env == planned), env
        put = Request("s3:PutObject", stack.state_object(env))
        assert not allowed(put, [plan])
        for call, request in stack.requests(env):
            assert not allowed(request, [plan]), (call.type, call.action)
            for action in DATA_ACTIONS:
                assert not allowed(Request(action, request.resource, request.context), [plan])


# --- who may assume which role ----------------------------------------------------------------------

OIDC = "token.actions.githubusercontent.com"
REPO_ID, OWNER_ID = "456789", "123456"


def _trust_documents(stack: Stack, subject_format: str) -> dict[str, dict[str, Any]]:
    """The trust policies of bootstrap/main.tf for one environment each (and the plan role)."""
    cfg = Config.load(stack.tree / "bootstrap")
    repo = stack.manifest.project.github_repository
    owner, name = repo.split("/")
    prefix = {
        "ids": f"repository_owner_id:{OWNER_ID}:repository_id:{REPO_ID}",
        "immutable": f"repo:{owner}-{OWNER_ID}/{name}-{REPO_ID}",
        "repository": f"repo:{repo}",
    }[subject_format]
    refs = {
        env: ["refs/heads/main"] if i == 0 else ["refs/tags/v*"] for i, env in enumerate(stack.envs)
    }
    assert cfg.locals["default_deploy_refs"] == refs
    out = {}
    for label, env in [("deploy_trust", e) for e in stack.envs] + [("plan_trust", None)]:
        body = cfg.data[("aws_iam_policy_document", label)]
        statements = []
        for st in as_list(body["statement"]):
            conditions: dict[str, dict[str, list[str]]] = {}
            blocks = list(as_list(st.get("condition")))
            for dynamic in as_list(st.get("dynamic")):
                (content,) = as_list(dynamic["condition"]["content"])
                assert dynamic["condition"]["for_each"] == (
                    "${var.github_repository_id == null ? [] : [var.github_repository_id]}"
                )
                blocks.append({**content, "values": [REPO_ID]})
            for c in blocks:
                env_refs = refs.get(env or "", [])
                whole = {
                    # The expressions main.tf uses for lists: resolved as Terraform would.
                    "${local.deploy_refs[each.key]}": env_refs,
                    '${[for ref in local.deploy_refs[each.key] : "${local.github_repository}'
                    '/${local.terraform_workflow}@${ref}"]}': [
                        f"{repo}/.github/workflows/terraform.yaml@{r}" for r in env_refs
                    ],
                }
                values = whole[c["values"]] if isinstance(c["values"], str) else c["values"]
                resolved = []
                for v in values:
                    v = (
                        v.replace("${local.subjects[each.key]}", f"{prefix}:environment:{env}")
                        .replace("${local.subject_prefix}", prefix)
                        .replace("${each.key}", env or "")
                    )
                    assert "${" not in v, v
                    resolved.append(v)
                variable = c["variable"].replace("${local.oidc_host}", OIDC)
                conditions.setdefault(c["test"], {})[variable] = resolved
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": st["actions"],
                    "Principal": "github",
                    "Condition": conditions,
                }
            )
        out[env or "plan"] = {"Statement": statements}
    return out


def _token(stack: Stack, subject_format: str, **claims: str) -> dict[str, str]:
    repo = stack.manifest.project.github_repository
    owner, name = repo.split("/")
    prefix = {
        "ids": f"repository_owner_id:{OWNER_ID}:repository_id:{REPO_ID}",
        "immutable": f"repo:{owner}-{OWNER_ID}/{name}-{REPO_ID}",
        "repository": f"repo:{repo}",
    }[subject_format]
    env = claims.pop("environment", None)
    context = claims.pop("context", f"environment:{env}" if env else "pull_request")
    token = {
        f"{OIDC}:aud": "sts.amazonaws.com",
        f"{OIDC}:sub": f"{prefix}:{context}",
        f"{OIDC}:repository_id": claims.pop("repository_id", REPO_ID),
        f"{OIDC}:job_workflow_ref": claims.pop(
            "workflow", f"{repo}/.github/workflows/terraform.yaml@{claims.get('ref', '')}"
        ),
        f"{OIDC}:ref": claims.pop("ref"),
    }
    if env:
        token[f"{OIDC}:environment"] = env
    return token


@pytest.mark.parametrize("subject_format", ["ids", "immutable", "repository"])
def test_only_the_environments_own_job_and_refs_assume_its_deploy_role(
    stack: Stack, subject_format: str
) -> None:
    trust = _trust_documents(stack, subject_format)
    dev, last = stack.envs[0], stack.envs[-1]
    repo = stack.manifest.project.github_repository

    def may(role: str, **claims: str) -> bool:
        return trusts(
            trust[role], "sts:AssumeRoleWithWebIdentity", _token(stack, subject_format, **claims)
        )

    # The deploys the workflows make.
    assert may(dev, environment=dev, ref="refs/heads/main")
    assert may(last, environment=last, ref="refs/tags/v1.4.0")
    assert may("plan", ref="refs/pull/7/merge")
    # A pull request is never an apply role, even one that declares the environment.
    assert not may(dev, ref="refs/pull/7/merge")
    assert not may(dev, environment=dev, ref="refs/pull/7/merge")
    # A branch is not a release; a release is not dev; one environment is not another.
    assert not may(last, environment=last, ref="refs/heads/main")
    assert not may(last, environment=last, ref="refs/heads/v1-hotfix")
    assert not may(dev, environment=dev, ref="refs/heads/feature")
    assert not may(last, environment=dev, ref="refs/tags/v1.4.0")
    # Another workflow of the repository (or one of another repository) is not terraform.yaml.
    assert not may(
        dev,
        environment=dev,
        ref="refs/heads/main",
        workflow=f"{repo}/.github/workflows/ci.yaml@refs/heads/main",
    )
    assert not may(
        dev,
        environment=dev,
        ref="refs/heads/main",
        workflow="evil/repo/.github/workflows/terraform.yaml@refs/heads/main",
    )
    # Another repository that took the name (a different repository id).
    assert not may(dev, environment=dev, ref="refs/heads/main", repository_id="999")
    assert not may("plan", ref="refs/pull/7/merge", repository_id="999")
    # The plan role is for pull requests only.
    assert not may("plan", environment=dev, ref="refs/heads/main")


# --- trellis iam deploy ------------------------------------------------------------------------------


def test_iam_deploy_prints_the_evaluated_documents(capsys: pytest.CaptureFixture[str]) -> None:
    from trellis.cli import main

    manifest = load_manifest(ROOT / "trellis.toml")
    argv = ["--manifest", str(ROOT / "trellis.toml"), "iam", "deploy", "prod"]
    assert main([*argv, "--account", ACCOUNT.account_id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == deploy_documents(manifest, "prod", ACCOUNT)
    assert main([*argv, "--account", ACCOUNT.account_id]) == 0
    text = capsys.readouterr().out
    for title in ("acme-deploy-prod:", "acme-boundary-prod:", "acme-plan:", "acme-tfstate-"):
        assert title in text
    assert f"arn:aws:sqs:us-east-1:{ACCOUNT.account_id}:acme-prod-*" in text
    assert "Deny   DenyOtherEnvironments: *" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [(["stage"], "stage: not one of dev, test, prod"), (["dev", "--account", "12"], "12 digits")],
)
def test_iam_deploy_refuses_a_bad_environment_or_account(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    from trellis.cli import main

    assert main(["--manifest", str(ROOT / "trellis.toml"), "iam", "deploy", *args]) == 2
    assert message in capsys.readouterr().err


def test_the_boundary_fits_a_managed_policy_in_any_account(stack: Stack) -> None:
    """Sized with the longest partition, region and account id (the deploy parts are too)."""
    from trellis.infra._deploy import MANAGED_POLICY_LIMIT, _size, boundary_statements

    for env in stack.envs:
        assert _size(boundary_statements(stack.manifest, env), stack.manifest) <= (
            MANAGED_POLICY_LIMIT
        )


# --- the customer key (encryption = "customer") --------------------------------------------------


def _key(stack: Stack, env: str) -> Request:
    """A request context of one environment's key: its ARN has an id, its tag names it."""
    arn = f"arn:aws:kms:{ACCOUNT.region}:{ACCOUNT.account_id}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    return Request("kms:DescribeKey", arn, {f"aws:ResourceTag/{ENV_TAG}": env})


def _with(request: Request, action: str, **context: str) -> Request:
    return Request(action, request.resource, {**request.context, **context})


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    """The every-kind stack with a customer key (the only one of the three with a key)."""
    manifest = customer_key_manifest()
    return Stack(manifest, write_tree(tmp_path_factory.mktemp("keyed"), render(manifest)))


def test_a_deploy_role_manages_only_its_own_key_and_never_decrypts(keyed: Stack) -> None:
    stack = keyed
    open_policy = {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]
    }
    for env in stack.envs:
        policies = stack.deploy(env)
        for other in stack.envs:
            key = _key(stack, other)
            for action in ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CreateAlias"):
                assert allowed(_with(key, action), policies) == (env == other), (env, other, action)
            # Even a key policy that lets everyone in: never a direct use of any key.
            for action in (
                "kms:Decrypt",
                "kms:GenerateDataKey",
                "kms:Encrypt",
                "kms:ReEncryptFrom",
            ):
                assert not allowed(_with(key, action), policies, resource_policy=open_policy)
            # Through a service, only its own key and only what creating resources needs.
            via = {"kms:ViaService": f"dynamodb.{ACCOUNT.region}.amazonaws.com"}
            grant = _with(key, "kms:CreateGrant", **via)
            assert allowed(grant, policies) == (env == other), (env, other)
            assert not allowed(_with(key, "kms:Decrypt", **via), policies)
            alias = f"arn:aws:kms:{ACCOUNT.region}:{ACCOUNT.account_id}:alias/{stack.project}-{other}-key"
            assert allowed(Request("kms:DeleteAlias", alias), policies) == (env == other)
            assert not (
                env != other
                and allowed(
                    Request("kms:DeleteAlias", alias), policies, resource_policy=open_policy
                )
            )
        # Re-tagging a key into another environment is refused.
        retag = _with(_key(stack, env), "kms:TagResource", **{f"aws:RequestTag/{ENV_TAG}": "x"})
        assert not allowed(retag, policies)


def test_a_created_role_uses_its_own_environments_key_only(keyed: Stack) -> None:
    stack = keyed
    anything = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    open_policy = {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]
    }
    for env in stack.envs:
        boundary = stack.boundary(env)
        for other in stack.envs:
            for action in ("kms:Decrypt", "kms:GenerateDataKey"):
                request = _with(_key(stack, other), action)
                assert allowed(request, [anything], boundary) == (env == other), (env, other)
                if env != other:
                    assert not allowed(request, [anything], boundary, resource_policy=open_policy)
            # Nothing else of a key, its own included: no policy, no deletion, no grants.
            for action in ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CreateGrant"):
                assert not allowed(_with(_key(stack, other), action), [anything], boundary)
