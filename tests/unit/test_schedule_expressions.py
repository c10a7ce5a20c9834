"""Schedule expressions: exactly EventBridge Scheduler's grammar, and when each fires next.

The valid and invalid cases are AWS's documented examples (EventBridge Scheduler User
Guide, "Schedule types"; EventBridge, "cron and rate expressions") plus the edges of
each rule they state.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from trellis.schedule_expressions import (
    AtExpression,
    CronExpression,
    ExpressionError,
    RateExpression,
    parse,
    timezone_problem,
)

UTC_ZONE = ZoneInfo("UTC")


@pytest.mark.parametrize(
    "expression",
    [
        # AWS's documented cron examples.
        "cron(0 10 * * ? *)",
        "cron(15 12 * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)",
        "cron(0/15 * * * ? *)",
        "cron(0/10 * ? * MON-FRI *)",
        "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(0 9 ? * 2#1 *)",
        # Each wildcard the field table allows.
        "cron(0 0 L * ? *)",
        "cron(0 0 15W * ? *)",
        "cron(0 0 ? * 6L *)",
        "cron(0 0 ? * L *)",
        "cron(0,30 1-3 1/2 JAN-MAR ? 2030-2040)",
        "cron(0 12 ? jan,jul sun 2199)",
        "cron(* * * * ? *)",
        "cron(0 0 1 */3 ? 1970/5)",
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
        "at(2030-11-20T13:00:00)",
        "at(2028-02-29T23:59:59)",
    ],
)
def test_aws_accepts_these_and_so_does_the_parser(expression: str) -> None:
    parse(expression)


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("rate(0 minutes)", "positive integer"),
        ("rate(5 minute)", "'minutes'"),
        ("rate(1 minutes)", "'minute'"),
        ("rate(1 days)", "'day'"),
        ("rate(2 weeks)", "minute(s), hour(s) or day(s)"),
        ("rate(05 minutes)", "positive integer"),
        ("rate(-1 minutes)", "rate(value unit)"),
        ("rate(5  minutes)", "rate(value unit)"),
        ("rate(5 Minutes)", "rate(value unit)"),
        # AWS: "* in both the Day-of-month and Day-of-week fields" is invalid.
        ("cron(* * * * * *)", "exactly one of day-of-month and day-of-week"),
        # AWS: a value in both day fields is invalid.
        ("cron(0 18 1 * MON *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 18 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        # AWS: "3#1,6#3" is two expressions, which # does not allow.
        ("cron(0 9 ? * 3#1,6#3 *)", "'#'"),
        ("cron(0 9 ? * 2#6 *)", "1-5"),
        ("cron(0 9 * * ?)", "six fields"),
        ("cron(0 9 * * ? * *)", "six fields"),
        ("cron(60 * * * ? *)", "0-59"),
        ("cron(0 24 * * ? *)", "0-23"),
        ("cron(0 0 32 * ? *)", "1-31"),
        ("cron(0 0 0 * ? *)", "1-31"),
        ("cron(0 0 ? 13 * *)", "1-12"),
        ("cron(0 0 ? * 8 *)", "1-7"),
        ("cron(0 0 ? * 0 *)", "1-7"),
        ("cron(0 0 1 * ? 1969)", "1970-2199"),
        ("cron(0 0 1 * ? 2200)", "1970-2199"),
        ("cron(0 0 ? * 1/2 *)", "'/' is not allowed"),
        ("cron(0 0 ? * MON#1,FRI *)", "'#'"),
        ("cron(0/0 * * * ? *)", "increment"),
        ("cron(0 17-9 * * ? *)", "backwards"),
        ("cron(? 0 * * ? *)", "only for a day field"),
        ("cron(0 ? 1 * ? *)", "only for a day field"),
        ("cron(0 0 1W,15 * ? *)", "L and W stand alone"),
        ("cron(0 0 LW * ? *)", "L and W stand alone"),
        ("cron(0 0 1 FOO ? *)", "not a value"),
        ("cron(0 0 1,,2 * ? *)", "empty item"),
        ("at(2030-02-30T00:00:00)", "day is out of range"),
        ("at(2030-01-01 00:00:00)", "at(yyyy-mm-ddThh:mm:ss)"),
        ("at(2030-01-01T00:00)", "at(yyyy-mm-ddThh:mm:ss)"),
        ("every night", "rate(value unit), cron(fields) or at("),
        ("cron 0 9 * * ? *", "rate(value unit), cron(fields) or at("),
    ],
)
def test_aws_refuses_these_and_the_error_says_why(expression: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as exc:
        parse(expression)
    assert fragment in str(exc.value)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize(
    ("zone", "ok"),
    [
        ("UTC", True),
        ("Europe/Paris", True),
        ("America/Argentina/Buenos_Aires", True),
        ("Mars/Olympus", False),
        ("europe/paris", False),
        ("", False),
        ("../etc/passwd", False),
    ],
)
def test_time_zones_are_iana_names(zone: str, ok: bool) -> None:
    assert (timezone_problem(zone) is None) is ok


def at(*parts: int, tz: ZoneInfo = UTC_ZONE) -> datetime:
    return datetime(*parts, tzinfo=tz)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0 10 * * ? *)", at(2026, 12, 1, 9, 59), at(2026, 12, 1, 10, 0)),
        ("cron(0 10 * * ? *)", at(2026, 12, 1, 10, 0), at(2026, 12, 2, 10, 0)),  # strictly after
        ("cron(0 18 ? * MON-FRI *)", at(2026, 12, 4, 18, 0), at(2026, 12, 7, 18, 0)),  # Fri → Mon
        ("cron(0 8 1 * ? *)", at(2026, 12, 1, 9, 0), at(2027, 1, 1, 8, 0)),
        ("cron(0/15 * * * ? *)", at(2026, 12, 1, 9, 16), at(2026, 12, 1, 9, 30)),
        ("cron(5/20 * * * ? *)", at(2026, 12, 1, 9, 46), at(2026, 12, 1, 10, 5)),
        ("cron(0 9 ? * 2#1 *)", at(2026, 12, 1), at(2026, 12, 7, 9, 0)),  # first Monday
        ("cron(0 0 L * ? *)", at(2028, 2, 1), at(2028, 2, 29)),  # leap February
        ("cron(0 0 ? * 6L *)", at(2026, 12, 1), at(2026, 12, 25)),  # last Friday
        ("cron(0 0 ? * L *)", at(2026, 12, 1), at(2026, 12, 5)),  # L alone: Saturday
        ("cron(0 0 15W * ? *)", at(2026, 8, 1), at(2026, 8, 14)),  # 15th is a Saturday → Fri
        ("cron(0 0 15W * ? *)", at(2026, 11, 1), at(2026, 11, 16)),  # a Sunday → Monday
        ("cron(0 0 1W * ? *)", at(2026, 7, 31), at(2026, 8, 3)),  # Sat 1st → Mon 3rd, same month
        ("cron(0 0 31W * ? *)", at(2026, 1, 31, 1), at(2026, 3, 31)),  # no 31st in Feb
        ("cron(0 0 1 1 ? 2199)", at(2026, 1, 1), at(2199, 1, 1)),
        ("cron(0 0 1 1 ? 2030)", at(2030, 1, 2), None),  # never again
        ("at(2030-11-20T13:00:00)", at(2030, 11, 20, 12), at(2030, 11, 20, 13)),
        ("at(2030-11-20T13:00:00)", at(2030, 11, 20, 13), None),
    ],
)
def test_the_next_firing_in_utc(
    expression: str, after: datetime, expected: datetime | None
) -> None:
    assert parse(expression).next_after(after, UTC_ZONE) == expected


def test_cron_reads_its_fields_in_the_schedules_time_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    when = parse("cron(0 3 ? * MON-FRI *)").next_after(at(2026, 12, 1), paris)
    assert when == at(2026, 12, 1, 2, 0)  # 03:00 in Paris is 02:00 UTC in winter
    summer = parse("cron(0 3 ? * MON-FRI *)").next_after(at(2026, 7, 1), paris)
    assert summer is not None and summer.astimezone(UTC) == at(2026, 7, 1, 1, 0)


def test_a_time_a_dst_change_skips_does_not_fire_and_a_repeated_one_fires_once() -> None:
    new_york = ZoneInfo("America/New_York")
    daily = parse("cron(30 2 * * ? *)")
    # 2026-03-08: clocks go from 02:00 to 03:00; 02:30 does not exist that day.
    skipped = daily.next_after(at(2026, 3, 8, 6, 0), new_york)
    assert skipped is not None and skipped.date().isoformat() == "2026-03-09"
    hourly = parse("cron(30 1 * * ? *)")
    # 2026-11-01: 01:30 happens twice; it fires at the first only.
    first = hourly.next_after(at(2026, 11, 1, 4, 0), new_york)
    assert first is not None and first.astimezone(UTC) == at(2026, 11, 1, 5, 30)
    again = hourly.next_after(first, new_york)
    assert again is not None and again.date().isoformat() == "2026-11-02"


def test_a_rate_is_a_fixed_duration_from_its_start() -> None:
    rate = parse("rate(5 minutes)")
    assert isinstance(rate, RateExpression) and rate.seconds == 300
    start = at(2026, 12, 1, 9, 0, 17)
    assert rate.next_after(start, UTC_ZONE, start=start) == start + timedelta(minutes=5)
    assert rate.next_after(
        start + timedelta(minutes=12), UTC_ZONE, start=start
    ) == start + timedelta(minutes=15)
    day = parse("rate(1 day)")
    # Across the spring DST change a day is still 24 hours, not the same wall-clock time.
    new_york = ZoneInfo("America/New_York")
    begun = at(2026, 3, 7, 12, 0, tz=new_york)
    nxt = day.next_after(begun, new_york, start=begun)
    assert nxt is not None and nxt - begun == timedelta(hours=24)
    assert nxt.astimezone(new_york).hour == 13


def test_parse_returns_the_kind_of_each_expression() -> None:
    assert isinstance(parse("cron(0 10 * * ? *)"), CronExpression)
    assert isinstance(parse("at(2030-01-01T00:00:00)"), AtExpression)
