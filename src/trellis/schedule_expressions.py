"""EventBridge Scheduler's schedule expressions: parsed exactly, and their next firing.

``parse("cron(0 3 ? * MON-FRI *)")`` returns an :class:`Expression` or raises
:class:`ExpressionError` with one line saying what AWS would refuse. The
grammar is the one EventBridge Scheduler documents (Schedule types in the
EventBridge Scheduler User Guide):

- ``rate(value unit)``: a positive integer and ``minute|hour|day`` when the value
  is 1, ``minutes|hours|days`` otherwise;
- ``cron(minutes hours day-of-month month day-of-week year)``: six fields;
  ``, - * /`` everywhere but day-of-week (no ``/``), ``?`` in exactly one of
  day-of-month and day-of-week, ``L`` and ``nW`` in day-of-month, ``L``,
  ``nL`` and ``n#k`` in day-of-week (``#`` alone in its field), months
  ``1-12``/``JAN-DEC``, weekdays ``1-7``/``SUN-SAT`` (1 is Sunday), years 1970-2199;
- ``at(yyyy-mm-ddThh:mm:ss)``: one firing, in the schedule's time zone.

Why not croniter: it implements Unix cron (weekday 0 is Sunday, no year
field, no ``?``, ``*`` in both day fields means "either"), so using it would
mean translating every field first and still checking AWS's own rules; the
grammar is small enough to parse exactly, and the next-fire computation
below follows AWS's time-zone rules (a local time skipped by a DST change
does not fire, a repeated one fires once; a rate is a fixed duration).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = [
    "AtExpression",
    "CronExpression",
    "Expression",
    "ExpressionError",
    "RateExpression",
    "parse",
    "timezone_problem",
]

MIN_YEAR: Final = 1970
MAX_YEAR: Final = 2199

_MONTHS: Final = {name: i for i, name in enumerate(calendar.month_abbr) if name}  # JAN..DEC → 1..12
_WEEKDAYS: Final = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_UNITS: Final = {"minute": 60, "hour": 3600, "day": 86400}
_RATE_RE = re.compile(r"^rate\(([0-9]+) ([a-z]+)\)$")
_AT_RE = re.compile(r"^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$")
_CRON_RE = re.compile(r"^cron\((.*)\)$")


class ExpressionError(ValueError):
    """An expression EventBridge Scheduler would refuse; the message says why."""


@dataclass(frozen=True)
class RateExpression:
    """``rate(value unit)``: every ``seconds`` from the schedule's start."""

    seconds: int

    def next_after(
        self, after: datetime, tz: ZoneInfo, *, start: datetime | None = None
    ) -> datetime | None:
        """The first firing strictly after ``after`` of a rate started at ``start`` (default: ``after``).

        A rate is a fixed duration, whatever the time zone (a day is 24 hours across DST).
        """
        # In UTC: arithmetic on datetimes of one zone is wall-clock arithmetic in Python.
        after = after.astimezone(UTC)
        start = after if start is None else start.astimezone(UTC)
        if after < start:
            return start
        elapsed = (after - start).total_seconds()
        return start + timedelta(seconds=(int(elapsed // self.seconds) + 1) * self.seconds)


@dataclass(frozen=True)
class AtExpression:
    """``at(...)``: one firing at ``local`` (a naive wall-clock time) in the schedule's zone."""

    local: datetime

    def next_after(
        self, after: datetime, tz: ZoneInfo, *, start: datetime | None = None
    ) -> datetime | None:
        when = self.local.replace(tzinfo=tz)
        return when if when.astimezone(UTC) > after.astimezone(UTC) else None


@dataclass(frozen=True)
class _DayOfMonth:
    values: frozenset[int] = frozenset()
    last: bool = False
    #: ``nW``: the weekday nearest day n, within its month.
    nearest_weekday: int | None = None

    def matches(self, day: date) -> bool:
        length = calendar.monthrange(day.year, day.month)[1]
        if self.last:
            return day.day == length
        if self.nearest_weekday is not None:
            target = self.nearest_weekday
            if target > length:  # 30W never fires in February
                return False
            wanted = date(day.year, day.month, target)
            if wanted.weekday() == 5:  # Saturday → Friday, or Monday when that is the 1st
                wanted = wanted - timedelta(days=1) if target > 1 else wanted + timedelta(days=2)
            elif wanted.weekday() == 6:  # Sunday → Monday, or Friday when that is the last
                wanted = wanted + timedelta(days=1) if target < length else wanted - timedelta(2)
            return day == wanted
        return day.day in self.values


@dataclass(frozen=True)
class _DayOfWeek:
    #: AWS weekdays: 1 is Sunday, 7 Saturday.
    values: frozenset[int] = frozenset()
    #: ``nL``: the last weekday n of the month.
    last_of_month: int | None = None
    #: ``n#k``: the k-th weekday n of the month.
    nth: tuple[int, int] | None = None

    def matches(self, day: date) -> bool:
        weekday = (day.weekday() + 1) % 7 + 1  # Monday (0) → 2, Sunday (6) → 1
        if self.last_of_month is not None:
            length = calendar.monthrange(day.year, day.month)[1]
            return weekday == self.last_of_month and day.day + 7 > length
        if self.nth is not None:
            n, k = self.nth
            return weekday == n and (day.day - 1) // 7 + 1 == k
        return weekday in self.values


@dataclass(frozen=True)
class CronExpression:
    """``cron(...)``: the wall-clock times its six fields select, in the schedule's zone."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    years: frozenset[int]
    day_of_month: _DayOfMonth | None
    day_of_week: _DayOfWeek | None

    def _day_matches(self, day: date) -> bool:
        if self.day_of_month is not None:
            return self.day_of_month.matches(day)
        assert self.day_of_week is not None
        return self.day_of_week.matches(day)

    def next_after(
        self, after: datetime, tz: ZoneInfo, *, start: datetime | None = None
    ) -> datetime | None:
        """The first firing strictly after ``after`` (an aware datetime), or None past 2199.

        A wall-clock time that a DST change skips does not fire; one that it repeats
        fires once (its first occurrence), as EventBridge Scheduler does.
        """
        # Compared in UTC: Python compares two datetimes of one zone by wall clock alone.
        after = after.astimezone(UTC)
        day = after.astimezone(tz).date()
        while day.year <= MAX_YEAR:
            if day.year not in self.years:
                later = [y for y in self.years if y > day.year]
                if not later:
                    return None
                day = date(min(later), 1, 1)
                continue
            if day.month not in self.months:
                day = (
                    date(day.year + 1, 1, 1)
                    if day.month == 12
                    else date(day.year, day.month + 1, 1)
                )
                continue
            if self._day_matches(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
                        if not _exists(wall):
                            continue
                        if wall.astimezone(UTC) > after:
                            return wall
            day += timedelta(days=1)
        return None


Expression = RateExpression | CronExpression | AtExpression


def _exists(wall: datetime) -> bool:
    """False for a wall-clock time a DST change skips (it does not survive a round trip)."""
    back = wall.astimezone(UTC).astimezone(wall.tzinfo)
    return back.replace(tzinfo=None) == wall.replace(tzinfo=None)


def parse(expression: str) -> Expression:
    """Parse a schedule expression as EventBridge Scheduler reads it."""
    if expression.startswith("rate("):
        return _rate(expression)
    if expression.startswith("cron("):
        return _cron(expression)
    if expression.startswith("at("):
        return _at(expression)
    raise ExpressionError(
        f"{expression!r} is not rate(value unit), cron(fields) or at(yyyy-mm-ddThh:mm:ss)"
    )


def _rate(expression: str) -> RateExpression:
    match = _RATE_RE.match(expression)
    if match is None:
        raise ExpressionError(
            f"{expression!r}: a rate is rate(value unit), e.g. rate(5 minutes) or rate(1 hour)"
        )
    digits, unit = match.groups()
    value = int(digits)
    if value < 1 or digits != str(value):
        raise ExpressionError(
            f"{expression!r}: the value is a positive integer without zeros before it"
        )
    base = unit.removesuffix("s")
    if base not in _UNITS:
        raise ExpressionError(f"{expression!r}: the unit is minute(s), hour(s) or day(s)")
    wanted = base if value == 1 else f"{base}s"
    if unit != wanted:
        raise ExpressionError(
            f"{expression!r}: with {value} the unit is {wanted!r} (singular for 1, plural otherwise)"
        )
    return RateExpression(value * _UNITS[base])


def _at(expression: str) -> AtExpression:
    match = _AT_RE.match(expression)
    if match is None:
        raise ExpressionError(f"{expression!r}: a one-time schedule is at(yyyy-mm-ddThh:mm:ss)")
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        local = datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise ExpressionError(f"{expression!r}: {exc}") from None
    return AtExpression(local)


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]
    #: Whether ``/`` increments are allowed (not in day-of-week).
    increments: bool = True


_MINUTES = _Field("minutes", 0, 59, {})
_HOURS = _Field("hours", 0, 23, {})
_DOM = _Field("day-of-month", 1, 31, {})
_MONTH = _Field("month", 1, 12, {k.upper(): v for k, v in _MONTHS.items()})
_DOW = _Field("day-of-week", 1, 7, _WEEKDAYS, increments=False)
_YEAR = _Field("year", MIN_YEAR, MAX_YEAR, {})


def _value(text: str, field: _Field) -> int:
    upper = text.upper()
    if upper in field.names:
        return field.names[upper]
    if not text.isdigit():
        raise ExpressionError(f"{field.name} field: {text!r} is not a value")
    value = int(text)
    if not field.low <= value <= field.high:
        raise ExpressionError(f"{field.name} field: {value} is outside {field.low}-{field.high}")
    return value


def _values(text: str, field: _Field) -> frozenset[int]:
    """A field of ``, - * /`` items (no ``?``, ``L``, ``W``, ``#``) → the values it selects."""
    out: set[int] = set()
    for item in text.split(","):
        if not item:
            raise ExpressionError(f"{field.name} field: an empty item in {text!r}")
        base, slash, step_text = item.partition("/")
        if slash and not field.increments:
            raise ExpressionError(f"{field.name} field: '/' is not allowed here")
        if base == "*":
            low, high = field.low, field.high
        elif "-" in base:
            first, _, last = base.partition("-")
            low, high = _value(first, field), _value(last, field)
            if low > high:
                raise ExpressionError(f"{field.name} field: the range {base!r} runs backwards")
        else:
            low = _value(base, field)
            # "5/15" starts at 5 and runs to the end of the field.
            high = field.high if slash else low
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ExpressionError(f"{field.name} field: the increment in {item!r} is not ≥ 1")
            step = int(step_text)
            if step > field.high:
                raise ExpressionError(f"{field.name} field: the increment {step} is too large")
        out.update(range(low, high + 1, step))
    return frozenset(out)


def _day_of_month(text: str) -> _DayOfMonth:
    if text == "L":
        return _DayOfMonth(last=True)
    match = re.fullmatch(r"([0-9]+)W", text)
    if match is not None:
        return _DayOfMonth(nearest_weekday=_value(match.group(1), _DOM))
    if "L" in text.upper() or "W" in text.upper():
        raise ExpressionError(
            f"day-of-month field: {text!r}: L and W stand alone (L, or nW such as 15W)"
        )
    return _DayOfMonth(values=_values(text, _DOM))


def _day_of_week(text: str) -> _DayOfWeek:
    upper = text.upper()
    if upper == "L":
        return _DayOfWeek(values=frozenset({7}))  # the last day of the week: Saturday
    if "#" in text:
        match = re.fullmatch(r"([0-9A-Za-z]+)#([0-9]+)", text)
        if match is None:
            raise ExpressionError(
                f"day-of-week field: {text!r}: '#' is one weekday#instance (e.g. 2#1), alone in "
                "its field"
            )
        k = int(match.group(2))
        if not 1 <= k <= 5:
            raise ExpressionError(f"day-of-week field: {text!r}: the instance is 1-5")
        return _DayOfWeek(nth=(_value(match.group(1), _DOW), k))
    if upper.endswith("L"):
        return _DayOfWeek(last_of_month=_value(text[:-1], _DOW))
    return _DayOfWeek(values=_values(text, _DOW))


def _cron(expression: str) -> CronExpression:
    match = _CRON_RE.match(expression)
    assert match is not None  # parse() saw the prefix; the closing ")" is checked below
    fields = match.group(1).split(" ")
    if not expression.endswith(")") or len(fields) != 6 or not all(fields):
        raise ExpressionError(
            f"{expression!r}: a cron expression has six fields separated by single spaces: "
            "minutes hours day-of-month month day-of-week year"
        )
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ExpressionError(
            f"{expression!r}: exactly one of day-of-month and day-of-week is '?' "
            "(e.g. cron(0 10 * * ? *) or cron(0 18 ? * MON-FRI *))"
        )
    for text, field in ((minutes, _MINUTES), (hours, _HOURS), (month, _MONTH), (year, _YEAR)):
        if "?" in text:
            raise ExpressionError(f"{field.name} field: '?' is only for a day field")
    try:
        return CronExpression(
            minutes=tuple(sorted(_values(minutes, _MINUTES))),
            hours=tuple(sorted(_values(hours, _HOURS))),
            months=_values(month, _MONTH),
            years=_values(year, _YEAR),
            day_of_month=None if dom == "?" else _day_of_month(dom),
            day_of_week=None if dow == "?" else _day_of_week(dow),
        )
    except ExpressionError as exc:
        raise ExpressionError(f"{expression!r}: {exc}") from None


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone_problem(name: str) -> str | None:
    """Why ``name`` is not an IANA time zone EventBridge Scheduler accepts, or None."""
    if name not in _zones():
        return f"{name!r} is not an IANA time zone name (e.g. UTC, Europe/Paris, America/New_York)"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{name!r} is not a time zone this machine knows"
    return None
