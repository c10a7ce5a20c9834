"""Structured logging: one JSON object per line on stdout.

Our own events (:func:`get_logger`) are rendered by structlog and written
straight to stdout; third-party records (uvicorn, botocore, mangum) go through
one handler on the standard library's root logger that renders them as the same
JSON. Both write under one lock, a whole line at a time. On Lambda every line
becomes one CloudWatch event that Logs Insights can query by field.

Our events skip the standard library's ``logging`` (a ``LogRecord``, the root
handler's formatter running the processors a second time): that was about
0.13 ms of every request's access line, as much as the rest of the request's
platform code. ``caplog`` therefore sees third-party records only; read our
events from stdout (``capsys``).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import MutableMapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

import structlog

__all__ = [
    "RequestIdBinding",
    "bind_request_id",
    "configure_logging",
    "current_request_id",
    "get_logger",
    "request_id_var",
]

#: The id of the request (or Lambda invocation) being handled, if any.
request_id_var: ContextVar[str | None] = ContextVar("trellis_request_id", default=None)

_service: str | None = None
_configured: tuple[str, str] | None = None
_lock = threading.Lock()
#: Events below this level are dropped (:func:`configure_logging` sets it).
_level = logging.INFO
#: One line at a time on stdout, whichever path wrote it.
_write_lock = threading.RLock()
#: structlog's method names → levels (``exception`` logs at error).
_METHOD_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "msg": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "exception": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
}


def _add_service(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    if _service is not None:
        event_dict.setdefault("service", _service)
    return event_dict


def _below_level(_logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> Any:
    if _METHOD_LEVELS.get(method, logging.INFO) < _level:
        raise structlog.DropEvent
    return event_dict


#: structlog's ``add_log_level`` names: the aliases log at the level they stand for.
_LEVEL_NAMES = {"warn": "warning", "exception": "error", "msg": "info", "fatal": "critical"}


def _json_fallback(value: Any) -> Any:
    # What structlog's JSONRenderer does with what json cannot encode.
    own = getattr(value, "__structlog__", None)
    return own() if callable(own) else repr(value)


_encode = json.JSONEncoder(default=_json_fallback).encode


def _render_line(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> str:
    """Level, logger, timestamp and service added, the leading keys first, as one JSON line.

    One processor instead of structlog's five (``add_log_level``, the logger's name,
    ``TimeStamper``, the service, ``JSONRenderer``) and a key-ordering pass: the same line
    for a third of the cost, on every request's access line.
    """
    event_dict["level"] = _LEVEL_NAMES.get(method, method)
    event_dict["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    if _service is not None:
        event_dict.setdefault("service", _service)
    name = getattr(logger, "name", None)
    if name is not None:
        event_dict.setdefault("logger", name)
    return _encode(_leading_keys_first(logger, method, event_dict))


class _StdoutLogger:
    """structlog's output for our events: one rendered line to the current ``sys.stdout``."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name

    def msg(self, line: str) -> None:
        with _write_lock:
            stream = sys.stdout
            stream.write(line + "\n")
            stream.flush()

    debug = info = warning = warn = error = exception = critical = fatal = log = msg


def _logger_factory(*args: Any) -> _StdoutLogger:
    return _StdoutLogger(str(args[0]) if args else None)


class _StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stdout`` is at the time of the call.

    Resolving the stream late keeps output visible when stdout is swapped
    after configuration (pytest's capture, Lambda's runtime), the way the
    standard library's last-resort handler does for stderr.
    """

    def createLock(self) -> None:
        # The same lock as our own events: a third-party line never splits one of ours.
        self.lock = _write_lock

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        _add_service,
    ]


_LEADING_KEYS = ("timestamp", "level", "event", "service", "logger", "request_id")


def _leading_keys_first(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    # Humans scan the first few keys of a line; machines do not care.
    ordered = {key: event_dict[key] for key in _LEADING_KEYS if key in event_dict}
    ordered.update(event_dict)
    return ordered


def _is_console_handler(handler: logging.Handler) -> bool:
    if isinstance(handler, _StdoutHandler):
        return True
    # The Lambda runtime installs its own text handler on the root logger;
    # left in place, every record would be printed twice, once not as JSON.
    if type(handler).__name__.startswith("LambdaLoggerHandler"):
        return True
    return isinstance(handler, logging.StreamHandler) and handler.stream in {
        sys.stdout,
        sys.stderr,
        sys.__stdout__,
        sys.__stderr__,
    }


def _event_processors() -> list[Any]:
    """Our own events, from the call to the JSON line."""
    return [
        _below_level,
        structlog.contextvars.merge_contextvars,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        _render_line,
    ]


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send structlog and stdlib logging to stdout as JSON lines; safe to call repeatedly.

    Each line carries ``timestamp`` (UTC ISO-8601), ``level``, ``event``,
    ``service``, ``logger`` and whatever is bound in the context (such as
    ``request_id`` during a request). Calling it again with the same
    arguments does nothing; with new ones it updates the service and level.
    """
    global _configured, _service, _level
    level_name = level.upper()
    with _lock:
        if _configured == (service, level_name):
            return
        _service = service
        numeric_level = logging.getLevelName(level_name)
        if not isinstance(numeric_level, int):
            numeric_level = logging.INFO
        _level = numeric_level

        if _configured is None:
            structlog.configure(
                processors=_event_processors(),
                logger_factory=_logger_factory,
                # Every method proxies; `_below_level` reads the level at each call, so a
                # later configure_logging changes it for loggers already made too.
                wrapper_class=structlog.make_filtering_bound_logger(logging.NOTSET),
                cache_logger_on_first_use=True,
            )

        handler = _StdoutHandler()
        handler.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                foreign_pre_chain=_shared_processors(),
                processors=[
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    _leading_keys_first,
                    structlog.processors.JSONRenderer(),
                ],
            )
        )
        root = logging.getLogger()
        for existing in list(root.handlers):
            if _is_console_handler(existing):
                root.removeHandler(existing)
        root.addHandler(handler)
        root.setLevel(numeric_level)

        # uvicorn installs its own text handlers; send its records through ours.
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
        # The request middleware writes one access line per request already.
        logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
        logging.getLogger("mangum.http").setLevel(logging.WARNING)
        # "Found credentials in environment variables" on every cold start is noise.
        logging.getLogger("botocore.credentials").setLevel(logging.WARNING)
        _configured = (service, level_name)


def get_logger(name: str | None = None) -> structlog.typing.FilteringBoundLogger:
    """A structlog logger: ``get_logger(__name__).info("user.created", user_id=...)``.

    Without a name it is named after the calling module.
    """
    if name is None:
        name = str(sys._getframe(1).f_globals.get("__name__", "root"))
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(name)
    return logger


def current_request_id() -> str | None:
    """The id bound by :func:`bind_request_id` in this context, if any."""
    return request_id_var.get()


class RequestIdBinding:
    """The binding made by :func:`bind_request_id`; leaving its ``with`` block undoes it."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self._token = request_id_var.set(request_id)
        self._log_tokens = structlog.contextvars.bind_contextvars(request_id=request_id)

    def __enter__(self) -> str:
        return self.request_id

    def __exit__(self, *_exc: object) -> None:
        self.reset()

    def reset(self) -> None:
        """Restore whatever request id was bound before."""
        structlog.contextvars.reset_contextvars(**self._log_tokens)
        request_id_var.reset(self._token)


def bind_request_id(request_id: str) -> RequestIdBinding:
    """Bind ``request_id`` to every log line and to :data:`request_id_var` in this context.

    It takes effect at once, for the rest of the current context (a request's
    task, a Lambda invocation); used as a context manager it is undone at the
    end of the block::

        with bind_request_id(event_id):
            log.info("processing")  # {"request_id": "...", ...}
    """
    return RequestIdBinding(request_id)
