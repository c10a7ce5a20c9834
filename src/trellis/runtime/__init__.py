"""What every Trellis service imports at run time.

Settings, AWS clients, the error taxonomy, logging, tracing, the FastAPI app
factory and the Lambda handler. This package ships in every Lambda package,
so its import time is cold-start time: names are resolved lazily (PEP 562),
and ``import trellis.runtime`` alone loads none of FastAPI, pydantic or
boto3. Importing ``create_app`` loads FastAPI; boto3 is loaded only when the
first AWS client is built.
"""

from __future__ import annotations

import importlib

# Not `from typing import TYPE_CHECKING`: `typing` alone costs more than the
# rest of this module, and type checkers treat this constant the same way.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from trellis.runtime._app import (
        ClientsDep,
        ReadinessCheck,
        SettingsDep,
        create_app,
        default_readiness_checks,
        get_clients,
        get_settings,
    )
    from trellis.runtime._auth import (
        OptionalPrincipalDep,
        Principal,
        PrincipalDep,
        Unauthenticated,
        get_optional_principal,
        get_principal,
    )
    from trellis.runtime._clients import AwsClients, clients_for
    from trellis.runtime._errors import (
        AccessDenied,
        BadRequest,
        Conflict,
        DependencyError,
        DependencyUnavailable,
        InternalError,
        NotFound,
        PayloadTooLarge,
        Throttled,
        TrellisError,
        Unprocessable,
        aws_errors,
        translate_aws_error,
    )
    from trellis.runtime._lambda import SqsRecord, lambda_handler
    from trellis.runtime._logging import bind_request_id, configure_logging, get_logger
    from trellis.runtime._settings import ServiceSettings, SettingsError, load_settings
    from trellis.runtime._tracing import configure_tracing

__all__ = [
    "AccessDenied",
    "AwsClients",
    "BadRequest",
    "ClientsDep",
    "Conflict",
    "DependencyError",
    "DependencyUnavailable",
    "InternalError",
    "NotFound",
    "OptionalPrincipalDep",
    "PayloadTooLarge",
    "Principal",
    "PrincipalDep",
    "ReadinessCheck",
    "ServiceSettings",
    "SettingsDep",
    "SettingsError",
    "SqsRecord",
    "Throttled",
    "TrellisError",
    "Unauthenticated",
    "Unprocessable",
    "aws_errors",
    "bind_request_id",
    "clients_for",
    "configure_logging",
    "configure_tracing",
    "create_app",
    "default_readiness_checks",
    "get_clients",
    "get_logger",
    "get_optional_principal",
    "get_principal",
    "get_settings",
    "lambda_handler",
    "load_settings",
    "translate_aws_error",
]

_MODULE_OF: dict[str, str] = {
    **dict.fromkeys(
        [
            "ClientsDep",
            "ReadinessCheck",
            "SettingsDep",
            "create_app",
            "default_readiness_checks",
            "get_clients",
            "get_settings",
        ],
        "_app",
    ),
    **dict.fromkeys(
        [
            "OptionalPrincipalDep",
            "Principal",
            "PrincipalDep",
            "Unauthenticated",
            "get_optional_principal",
            "get_principal",
        ],
        "_auth",
    ),
    **dict.fromkeys(["AwsClients", "clients_for"], "_clients"),
    **dict.fromkeys(
        [
            "AccessDenied",
            "BadRequest",
            "Conflict",
            "DependencyError",
            "DependencyUnavailable",
            "InternalError",
            "NotFound",
            "PayloadTooLarge",
            "Throttled",
            "TrellisError",
            "Unprocessable",
            "aws_errors",
            "translate_aws_error",
        ],
        "_errors",
    ),
    **dict.fromkeys(["SqsRecord", "lambda_handler"], "_lambda"),
    **dict.fromkeys(["bind_request_id", "configure_logging", "get_logger"], "_logging"),
    **dict.fromkeys(["ServiceSettings", "SettingsError", "load_settings"], "_settings"),
    "configure_tracing": "_tracing",
}


def __getattr__(name: str) -> Any:
    module_name = _MODULE_OF.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module_name}"), name)
    # Cache it: the next lookup is an ordinary module attribute.
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
