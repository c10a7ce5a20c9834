from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from trellis.runtime import bind_request_id, configure_logging, get_logger
from trellis.runtime._logging import _StdoutHandler, current_request_id


@pytest.fixture(autouse=True)
def json_logging() -> Iterator[None]:
    configure_logging("billing", "INFO")
    yield
    configure_logging("billing", "INFO")


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_each_event_is_one_json_line_with_the_standard_keys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    get_logger("billing.invoices").info("invoice.sent", invoice_id="inv-1")

    (line,) = lines(capsys)
    assert line["event"] == "invoice.sent"
    assert line["level"] == "info"
    assert line["service"] == "billing"
    assert line["logger"] == "billing.invoices"
    assert line["invoice_id"] == "inv-1"
    stamp = datetime.fromisoformat(line["timestamp"])
    assert stamp.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=1)


def test_bound_request_id_appears_on_every_line_inside_the_block(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = get_logger("billing")
    capsys.readouterr()

    with bind_request_id("req-42"):
        assert current_request_id() == "req-42"
        log.info("first")
        log.warning("second")
    log.info("after")

    first, second, after = lines(capsys)
    assert first["request_id"] == second["request_id"] == "req-42"
    assert "request_id" not in after
    assert current_request_id() is None


def test_stdlib_records_are_rendered_as_the_same_json(capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    with bind_request_id("req-7"):
        logging.getLogger("botocore.credentials").warning("found %s credentials", "env")

    (line,) = lines(capsys)
    assert line["event"] == "found env credentials"
    assert line["level"] == "warning"
    assert line["logger"] == "botocore.credentials"
    assert line["service"] == "billing"
    assert line["request_id"] == "req-7"


def test_configuring_twice_does_not_duplicate_output(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("billing", "INFO")
    configure_logging("billing", "info")
    capsys.readouterr()

    get_logger("billing").info("once")

    assert len(lines(capsys)) == 1
    assert sum(isinstance(h, _StdoutHandler) for h in logging.getLogger().handlers) == 1


def test_reconfiguring_changes_service_and_level(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("ledger", "WARNING")
    capsys.readouterr()
    log = get_logger("ledger")

    log.info("hidden")
    log.warning("shown")

    (line,) = lines(capsys)
    assert (line["event"], line["service"]) == ("shown", "ledger")


def test_exceptions_are_logged_on_one_line_with_the_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    try:
        raise ValueError("bad invoice")
    except ValueError:
        get_logger("billing").exception("invoice.failed")

    (line,) = lines(capsys)
    assert line["level"] == "error"
    assert "Traceback" in line["exception"]
    assert "ValueError: bad invoice" in line["exception"]


def test_uvicorn_loggers_are_routed_through_the_json_handler() -> None:
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        assert logger.handlers == []
        assert logger.propagate is True
    # The app's own access line replaces uvicorn's.
    assert not logging.getLogger("uvicorn.access").isEnabledFor(logging.INFO)


def test_bind_request_id_without_a_block_binds_for_the_rest_of_the_context(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def invocation() -> None:
        bind_request_id("req-plain")
        get_logger("billing").info("inside")

    capsys.readouterr()
    contextvars.copy_context().run(invocation)
    get_logger("billing").info("outside")

    inside, outside = lines(capsys)
    assert inside["request_id"] == "req-plain"
    assert "request_id" not in outside


def test_a_new_level_applies_to_loggers_already_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    # Our events skip stdlib logging, and structlog caches a logger on first use: the level
    # must be read at each call, not frozen into the logger.
    log = get_logger("billing.cached")
    log.info("before")
    configure_logging("billing", "ERROR")
    capsys.readouterr()
    log.warning("dropped")
    log.error("kept")
    configure_logging("billing", "DEBUG")
    log.debug("now shown")

    assert [line["event"] for line in lines(capsys)] == ["kept", "now shown"]


def test_an_unnamed_logger_is_named_after_the_calling_module(
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    get_logger().info("named")

    (line,) = lines(capsys)
    assert line["logger"] == __name__
