"""Parameters: SSM Parameter Store (``[parameters.<name>]``, ``terraform/modules/ssm-parameter``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from trellis import naming
from trellis.kinds._kind import CliOption, Kind, Snippet, Spec, Use
from trellis.kinds._policy import DeployStatement, EnvScope
from trellis.kinds._terraform import ENV, Tpl
from trellis.runtime._kinds import RUNTIME_KINDS

if TYPE_CHECKING:
    from trellis.manifest import Manifest

#: What terraform/modules/ssm-parameter writes into a secure parameter until it is set.
UNSET_PARAMETER_VALUE: Final = "trellis:unset"


class Parameter(Spec):
    #: The value of a plain parameter. A secure one has none here: it would be in the
    #: rendered Terraform and its state; ``trellis parameter set`` writes it instead.
    value: str | None = None
    secure: bool = False
    description: str = ""
    #: Value given to a secure parameter by ``trellis dev`` only; never rendered to Terraform.
    local_value: str | None = None


class ParameterKind(Kind[Parameter]):
    name = "parameter"
    section = "parameters"
    model = Parameter
    runtime = RUNTIME_KINDS["parameter"]
    levels = {"read": ("ssm:GetParameter", "ssm:GetParameters")}
    max_length = 1011
    # The name starts with "/": no slash between "parameter" and it.
    arn_template = "arn:{p}:ssm:{r}:{a}:parameter{name}"
    terraform_module = "ssm-parameter"
    module_output = "name"
    local_provisioner = "trellis.local.provisioners.parameter"
    verbs = {"read": "reads"}
    key_argument = "kms_key_id"
    key_service = "ssm"
    key_actions = {"read": ("kms:Decrypt",)}
    cli_options = (
        CliOption(
            "--value", "value", {"help": "a plain parameter's value (a secure one takes none)"}
        ),
        CliOption(
            "--secure",
            "secure",
            {
                "action": "store_true",
                "default": None,
                "help": "SecureString: its value is set with `trellis parameter set`",
            },
        ),
        CliOption("--description", "description", {}),
        CliOption(
            "--local-value",
            "local_value",
            {"help": "a secure parameter's value in `trellis dev` and tests (never deployed)"},
        ),
    )

    def physical_name(self, project: str, env: str, name: str, spec: Parameter) -> str:
        return naming.parameter_name(project, env, name)

    def takes_key(self, spec: Parameter) -> bool:
        # Only a SecureString is encrypted; a plain parameter is not.
        return spec.secure

    def owned_arns(self, scope: EnvScope) -> tuple[str, ...]:
        return (f"arn:{{p}}:ssm:{{r}}:{{a}}:parameter/{scope.path}/*",)

    def terraform_arguments(
        self, manifest: Manifest, name: str, spec: Parameter
    ) -> Iterator[tuple[str, object]]:
        yield "name", Tpl(self.physical_name(manifest.project.name, ENV, name, spec))
        if spec.value is not None:
            yield "value", spec.value
        yield "secure", spec.secure
        if spec.description:
            yield "description", spec.description

    def deploy_statements(self, scope: EnvScope) -> Iterator[DeployStatement]:
        yield DeployStatement(
            "ManageParameters",
            (
                "ssm:AddTagsToResource",
                "ssm:DeleteParameter",
                "ssm:GetParameter",
                "ssm:ListTagsForResource",
                "ssm:PutParameter",
                "ssm:RemoveTagsFromResource",
            ),
            self.owned_arns(scope),
        )
        # DescribeParameters has no resource type: it can only be granted on "*" (metadata only).
        yield DeployStatement("DescribeParameters", ("ssm:DescribeParameters",), ("*",))

    def _values(self, use: Use[Parameter]) -> dict[str, str]:
        spec = use.spec
        # A secure parameter's local value is its local_value, or a random one.
        value = spec.local_value if spec.secure else spec.value
        return {
            "parameter": use.resource,
            "ident": use.ident,
            "field": naming.settings_field_name("parameter", use.resource),
            "unset": repr(UNSET_PARAMETER_VALUE),
            "expected": f" == {value!r}" if value is not None else "",
        }

    def accessor(self, use: Use[Parameter]) -> Snippet | None:
        if not use.spec.secure:
            return Snippet("kinds/parameter/value.py.tmpl", self._values(use))
        # Terraform creates a secure parameter with a placeholder; `trellis parameter set`
        # gives it its value. Until then the service answers 503, never the placeholder.
        return Snippet(
            "kinds/parameter/secure_value.py.tmpl",
            self._values(use),
            imports=(("trellis.runtime", "DependencyUnavailable"),),
        )

    def probe(self, use: Use[Parameter], level: str) -> Snippet:
        if level != "read":
            return super().probe(use, level)
        return Snippet(
            "kinds/parameter/probe_read.py.tmpl",
            self._values(use),
            imports=(("{module}", "resources"),),
        )


#: The registry entry (``trellis.kinds.PARAMETER``).
PARAMETER: Final = ParameterKind()
