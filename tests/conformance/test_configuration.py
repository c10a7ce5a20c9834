"""Secrets Manager and SSM Parameter Store as AWS documents them.

The operations are the ones a service's settings (secrets, parameters), the
health checks and provisioning call.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.conformance._aws import Aws, doc, name, rejects, succeeds

pytestmark = [pytest.mark.integration, pytest.mark.conformance]

SM = "https://docs.aws.amazon.com/secretsmanager/latest/apireference/"
SSM = "https://docs.aws.amazon.com/systems-manager/latest/APIReference/"
SSM_GUIDE = "https://docs.aws.amazon.com/systems-manager/latest/userguide/"


@pytest.fixture(scope="module")
def sm(aws: Aws) -> Any:
    return aws.client("secretsmanager")


@pytest.fixture(scope="module")
def ssm(aws: Aws) -> Any:
    return aws.client("ssm")


# --- Secrets Manager -----------------------------------------------------------------------------


@doc(
    SM + "API_GetSecretValue.html",
    says="ResourceNotFoundException: Secrets Manager can't find the resource that you asked for.",
)
def test_a_missing_secret(sm: Any) -> None:
    rejects(
        sm,
        "ResourceNotFoundException",
        lambda: sm.get_secret_value(SecretId=name("missing")),
        status=400,
    )
    rejects(
        sm,
        "ResourceNotFoundException",
        lambda: sm.describe_secret(SecretId=name("missing")),
        status=400,
    )


@doc(
    SM + "API_CreateSecret.html",
    says="ResourceExistsException: a resource with the ID you requested already exists.",
)
def test_creating_an_existing_secret(sm: Any) -> None:
    secret = name("conf")
    sm.create_secret(Name=secret, SecretString="v")
    rejects(
        sm,
        "ResourceExistsException",
        lambda: sm.create_secret(Name=secret, SecretString="w"),
        status=400,
    )


@doc(
    SM + "API_GetSecretValue.html",
    says="VersionStage: the staging label of the version; AWSCURRENT by default. A label no version "
    "carries is a ResourceNotFoundException.",
)
def test_versions_and_stages(sm: Any) -> None:
    secret = name("conf")
    first = sm.create_secret(Name=secret, SecretString="one")["VersionId"]
    second = sm.put_secret_value(SecretId=secret, SecretString="two")["VersionId"]
    assert sm.get_secret_value(SecretId=secret)["SecretString"] == "two"
    previous = sm.get_secret_value(SecretId=secret, VersionStage="AWSPREVIOUS")
    assert (previous["VersionId"], previous["SecretString"]) == (first, "one")
    stages = sm.describe_secret(SecretId=secret)["VersionIdsToStages"]
    assert stages == {first: ["AWSPREVIOUS"], second: ["AWSCURRENT"]}
    rejects(
        sm,
        "ResourceNotFoundException",
        lambda: sm.get_secret_value(SecretId=secret, VersionStage="NOPE"),
        status=400,
    )


@doc(
    SM + "API_GetSecretValue.html",
    says="SecretId: the ARN or name of the secret. The ARN ends with a hyphen and six random characters.",
)
def test_a_secret_by_name_and_by_arn(sm: Any) -> None:
    secret = name("conf")
    arn = sm.create_secret(Name=secret, SecretString="v")["ARN"]
    assert arn.rsplit(":", 1)[-1].startswith(secret + "-")
    assert len(arn.rsplit("-", 1)[-1]) == 6
    assert sm.get_secret_value(SecretId=arn)["Name"] == secret


@doc(
    SM + "API_DeleteSecret.html",
    says="RecoveryWindowInDays: 7 to 30 days (InvalidParameterException). A secret scheduled for "
    "deletion can't be read (InvalidRequestException: you tried to perform the operation on a secret "
    "that's currently marked deleted) until it is restored.",
)
def test_a_secret_marked_deleted(sm: Any) -> None:
    secret = name("conf")
    sm.create_secret(Name=secret, SecretString="v")
    rejects(
        sm,
        "InvalidParameterException",
        lambda: sm.delete_secret(SecretId=secret, RecoveryWindowInDays=6),
        status=400,
    )
    deleted = succeeds(lambda: sm.delete_secret(SecretId=secret, RecoveryWindowInDays=7))
    assert deleted["DeletionDate"]
    rejects(sm, "InvalidRequestException", lambda: sm.get_secret_value(SecretId=secret), status=400)
    sm.restore_secret(SecretId=secret)
    assert sm.get_secret_value(SecretId=secret)["SecretString"] == "v"


@doc(
    SM + "API_DeleteSecret.html",
    says="You can't use both ForceDeleteWithoutRecovery and RecoveryWindowInDays in one call (InvalidParameterException).",
)
def test_force_delete_and_a_recovery_window_exclude_each_other(sm: Any) -> None:
    secret = name("conf")
    sm.create_secret(Name=secret, SecretString="v")
    rejects(
        sm,
        "InvalidParameterException",
        lambda: sm.delete_secret(
            SecretId=secret, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True
        ),
        status=400,
    )


# --- Parameter Store -----------------------------------------------------------------------------


@doc(SSM + "API_GetParameter.html", says="ParameterNotFound: the parameter couldn't be found.")
def test_a_missing_parameter(ssm: Any) -> None:
    rejects(
        ssm, "ParameterNotFound", lambda: ssm.get_parameter(Name=f"/{name('missing')}"), status=400
    )


@doc(
    SSM + "API_PutParameter.html",
    says="ParameterAlreadyExists: the parameter already exists; Overwrite must be true to change it. "
    "Each change makes a new version.",
)
def test_overwriting_a_parameter(ssm: Any) -> None:
    parameter = f"/{name('conf')}/flag"
    assert ssm.put_parameter(Name=parameter, Value="a", Type="String")["Version"] == 1
    rejects(
        ssm,
        "ParameterAlreadyExists",
        lambda: ssm.put_parameter(Name=parameter, Value="b", Type="String"),
        status=400,
    )
    assert (
        ssm.put_parameter(Name=parameter, Value="b", Type="String", Overwrite=True)["Version"] == 2
    )
    assert ssm.get_parameter(Name=f"{parameter}:1")["Parameter"]["Value"] == "a"
    assert ssm.get_parameter(Name=parameter)["Parameter"]["Value"] == "b"


@doc(
    SSM + "API_GetParameters.html",
    says="Names: up to 10 names. InvalidParameters: a list of parameters that aren't formatted correctly "
    "or don't run during an execution (names that were not found).",
)
def test_get_parameters(ssm: Any) -> None:
    parameter = f"/{name('conf')}/a"
    ssm.put_parameter(Name=parameter, Value="v", Type="String")
    missing = f"/{name('missing')}"
    found = ssm.get_parameters(Names=[parameter, missing])
    assert [p["Name"] for p in found["Parameters"]] == [parameter]
    assert found["InvalidParameters"] == [missing]
    rejects(
        ssm,
        "ValidationException",
        lambda: ssm.get_parameters(Names=[f"/p{i}" for i in range(11)]),
        status=400,
    )


@doc(
    SSM_GUIDE + "parameter-store-advanced-parameters.html",
    says="Standard parameters: maximum value size 4 KB; advanced parameters: 8 KB.",
)
def test_a_standard_parameter_holds_at_most_4_kb(ssm: Any) -> None:
    parameter = f"/{name('conf')}/big"
    succeeds(lambda: ssm.put_parameter(Name=parameter, Value="v" * 4096, Type="String"))
    rejects(
        ssm,
        "ValidationException",
        lambda: ssm.put_parameter(Name=parameter + "2", Value="v" * 4097, Type="String"),
        status=400,
    )
    succeeds(
        lambda: ssm.put_parameter(
            Name=parameter + "3", Value="v" * 8192, Type="String", Tier="Advanced"
        )
    )


@doc(
    SSM + "API_GetParameter.html",
    says="WithDecryption: return decrypted values for secure string parameters; ignored for String and "
    "StringList. Without it, a SecureString's value is its ciphertext.",
)
def test_a_secure_string_is_decrypted_only_on_request(ssm: Any) -> None:
    parameter = f"/{name('conf')}/secret"
    ssm.put_parameter(Name=parameter, Value="s3cret", Type="SecureString")
    assert ssm.get_parameter(Name=parameter)["Parameter"]["Value"] != "s3cret"
    decrypted = ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]
    assert (decrypted["Type"], decrypted["Value"]) == ("SecureString", "s3cret")


@pytest.mark.parametrize(
    "parameter",
    [
        pytest.param("/has space", id="a-space"),
        pytest.param("awsprefixed", id="aws-prefix"),
        pytest.param("/a/" + "n" * 2048, id="too-long"),
    ],
)
@doc(
    SSM_GUIDE + "sysman-paramstore-su-create.html",
    says="Parameter names can consist of a-z, A-Z, 0-9, and the symbols . - _ and /; they can't be "
    "prefixed with aws or ssm (case-insensitive); the fully qualified name can be up to 1,011 characters.",
)
def test_invalid_parameter_names_are_refused(ssm: Any, parameter: str) -> None:
    rejects(
        ssm,
        "ValidationException",
        lambda: ssm.put_parameter(Name=parameter, Value="v", Type="String"),
        status=400,
    )
