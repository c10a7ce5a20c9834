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

    # Type checkers see the names here (``X as X`` re-exports them); at run time each is
    # imported on first use from the module ``_MODULE_OF`` names (a test keeps them equal).
    from trellis.runtime._app import ClientsDep as ClientsDep
    from trellis.runtime._app import SettingsDep as SettingsDep
    from trellis.runtime._app import create_app as create_app
    from trellis.runtime._app import get_clients as get_clients
    from trellis.runtime._app import get_settings as get_settings
    from trellis.runtime._auth import OptionalPrincipalDep as OptionalPrincipalDep
    from trellis.runtime._auth import Principal as Principal
    from trellis.runtime._auth import PrincipalDep as PrincipalDep
    from trellis.runtime._auth import Unauthenticated as Unauthenticated
    from trellis.runtime._auth import get_optional_principal as get_optional_principal
    from trellis.runtime._auth import get_principal as get_principal
    from trellis.runtime._clients import AwsClients as AwsClients
    from trellis.runtime._clients import clients_for as clients_for
    from trellis.runtime._errors import AccessDenied as AccessDenied
    from trellis.runtime._errors import BadRequest as BadRequest
    from trellis.runtime._errors import Conflict as Conflict
    from trellis.runtime._errors import DependencyError as DependencyError
    from trellis.runtime._errors import DependencyUnavailable as DependencyUnavailable
    from trellis.runtime._errors import InternalError as InternalError
    from trellis.runtime._errors import MethodNotAllowed as MethodNotAllowed
    from trellis.runtime._errors import NotFound as NotFound
    from trellis.runtime._errors import PayloadTooLarge as PayloadTooLarge
    from trellis.runtime._errors import Throttled as Throttled
    from trellis.runtime._errors import TrellisError as TrellisError
    from trellis.runtime._errors import Unprocessable as Unprocessable
    from trellis.runtime._errors import aws_errors as aws_errors
    from trellis.runtime._errors import translate_aws_error as translate_aws_error
    from trellis.runtime._http_errors import add_openapi_patch as add_openapi_patch
    from trellis.runtime._http_errors import error_responses as error_responses
    from trellis.runtime._lambda import SqsRecord as SqsRecord
    from trellis.runtime._lambda import lambda_handler as lambda_handler
    from trellis.runtime._logging import bind_request_id as bind_request_id
    from trellis.runtime._logging import configure_logging as configure_logging
    from trellis.runtime._logging import get_logger as get_logger
    from trellis.runtime._readiness import ReadinessCheck as ReadinessCheck
    from trellis.runtime._readiness import default_readiness_checks as default_readiness_checks
    from trellis.runtime._routing import APIRouter as APIRouter
    from trellis.runtime._routing import SingleHopRoute as SingleHopRoute
    from trellis.runtime._settings import ServiceSettings as ServiceSettings
    from trellis.runtime._settings import SettingsError as SettingsError
    from trellis.runtime._settings import load_settings as load_settings
    from trellis.runtime._snapstart import on_restore as on_restore
    from trellis.runtime._tracing import configure_tracing as configure_tracing

#: Every public name → the private module that defines it: the one list of the public API.
_MODULE_OF: dict[str, str] = {
    **dict.fromkeys(
        ["ClientsDep", "SettingsDep", "create_app", "get_clients", "get_settings"], "_app"
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
            "MethodNotAllowed",
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
    **dict.fromkeys(["add_openapi_patch", "error_responses"], "_http_errors"),
    **dict.fromkeys(["SqsRecord", "lambda_handler"], "_lambda"),
    **dict.fromkeys(["bind_request_id", "configure_logging", "get_logger"], "_logging"),
    **dict.fromkeys(["ReadinessCheck", "default_readiness_checks"], "_readiness"),
    **dict.fromkeys(["APIRouter", "SingleHopRoute"], "_routing"),
    **dict.fromkeys(["ServiceSettings", "SettingsError", "load_settings"], "_settings"),
    **dict.fromkeys(["on_restore"], "_snapstart"),
    **dict.fromkeys(["configure_tracing"], "_tracing"),
}

__all__ = sorted(_MODULE_OF)


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
