"""Secrets: Secrets Manager (``[secrets.<name>]``, ``terraform/modules/secret``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from trellis import naming
from trellis.kinds._kind import CliOption, Kind, Snippet, Spec, Use
from trellis.kinds._policy import Arns, DeployStatement, EnvScope
from trellis.kinds._terraform import ENV, Tpl
from trellis.runtime._kinds import RUNTIME_KINDS

if TYPE_CHECKING:
    from trellis.manifest import Manifest


class Secret(Spec):
    description: str = ""
    #: Value given to the secret by ``trellis dev`` only; never rendered to Terraform.
    local_value: str | None = None


class SecretKind(Kind[Secret]):
    name = "secret"
    section = "secrets"
    model = Secret
    runtime = RUNTIME_KINDS["secret"]
    levels = {"read": ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")}
    max_length = 512
    # Secrets Manager appends "-" and six random characters to the name.
    arn_template = "arn:{p}:secretsmanager:{r}:{a}:secret:{name}-??????"
    terraform_module = "secret"
    module_output = "arn"
    local_provisioner = "trellis.local.provisioners.secret"
    verbs = {"read": "reads"}
    key_argument = "kms_key_arn"
    key_service = "secretsmanager"
    key_actions = {"read": ("kms:Decrypt",)}
    cli_options = (
        CliOption("--description", "description", {}),
        CliOption(
            "--local-value",
            "local_value",
            {"help": "the value `trellis dev` and tests give it (never deployed)"},
        ),
    )

    def physical_name(self, project: str, env: str, name: str, spec: Secret) -> str:
        return naming.secret_name(project, env, name)

    def aws_address(self, physical: str, arns: Arns) -> str:
        return arns.of("secret", physical)

    def owned_arns(self, scope: EnvScope) -> tuple[str, ...]:
        # A path prefix: the random suffix is inside the wildcard.
        return (f"arn:{{p}}:secretsmanager:{{r}}:{{a}}:secret:{scope.path}/*",)

    def terraform_arguments(
        self, manifest: Manifest, name: str, spec: Secret
    ) -> Iterator[tuple[str, object]]:
        yield "name", Tpl(self.physical_name(manifest.project.name, ENV, name, spec))
        if spec.description:
            yield "description", spec.description

    def deploy_statements(self, scope: EnvScope) -> Iterator[DeployStatement]:
        yield DeployStatement(
            "ManageSecrets",
            (
                "secretsmanager:CreateSecret",
                "secretsmanager:DeleteSecret",
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetResourcePolicy",
                "secretsmanager:PutSecretValue",
                "secretsmanager:TagResource",
                "secretsmanager:UntagResource",
                "secretsmanager:UpdateSecret",
            ),
            self.owned_arns(scope),
        )

    def _values(self, use: Use[Secret]) -> dict[str, str]:
        local = use.spec.local_value
        return {
            "secret": use.resource,
            "ident": use.ident,
            "field": naming.settings_field_name("secret", use.resource),
            "expected": f" == {local!r}" if local is not None else "",
        }

    def accessor(self, use: Use[Secret]) -> Snippet | None:
        return Snippet("kinds/secret/value.py.tmpl", self._values(use))

    def probe(self, use: Use[Secret], level: str) -> Snippet:
        if level != "read":
            return super().probe(use, level)
        return Snippet(
            "kinds/secret/probe_read.py.tmpl",
            self._values(use),
            imports=(("{module}", "resources"),),
        )


#: The registry entry (``trellis.kinds.SECRET``).
SECRET: Final = SecretKind()
