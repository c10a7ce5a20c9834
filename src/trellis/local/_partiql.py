"""PartiQL for DynamoDB, the statements a service sends on one table: SELECT, UPDATE, DELETE, INSERT.

moto hands statements to ``py-partiql-parser``, which fails with an
``AssertionError`` (an HTTP 500) on much of what DynamoDB accepts: a number in
``SET``, ``?`` parameters in ``DELETE``, ``pk=?`` without spaces. This module
parses the subset DynamoDB documents for single-table statements
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.html)
into a small tree and runs it against moto's tables. A statement outside the
subset raises :class:`Unsupported`, and the caller may let moto try it.

Values are DynamoDB's: ``'text'``, numbers, ``TRUE``/``FALSE``, ``NULL``,
``{'k': v}`` maps, ``[v, ...]`` lists, ``<<v, ...>>`` sets and ``?`` parameters.
Conditions are comparisons (``= <> != < <= > >=``), ``IN [...]``, ``BETWEEN x AND y``,
``IS [NOT] MISSING``, ``AND``, ``OR``, ``NOT`` and parentheses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]


class Unsupported(Exception):
    """The statement is outside what this module parses."""


class StatementError(Exception):
    """The statement is well formed but DynamoDB refuses it (a ValidationException)."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<ident>"(?:[^"]|"")*")
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
      | (?P<op><<|>>|<=|>=|<>|!=|[=<>(),.\[\]{}:?*+-])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def tokenize(statement: str) -> list[Token]:
    tokens, position = [], 0
    statement = statement.rstrip().rstrip(";")
    while position < len(statement):
        if statement[position:].strip() == "":
            break
        match = _TOKEN.match(statement, position)
        if match is None or match.end() == position:
            raise Unsupported(
                f"unexpected text at {position}: {statement[position : position + 20]!r}"
            )
        kind = match.lastgroup or ""
        tokens.append(Token(kind, match.group(kind)))
        position = match.end()
    return tokens


# --- The tree ------------------------------------------------------------------------------------

Path = tuple[str | int, ...]


@dataclass
class Select:
    table: str
    index: str | None
    projection: list[Path] | None  # None: *
    where: Any


@dataclass
class Update:
    table: str
    sets: list[tuple[Path, Any]] = field(default_factory=list)
    removes: list[Path] = field(default_factory=list)
    where: Any = None


@dataclass
class Delete:
    table: str
    where: Any


@dataclass
class Insert:
    table: str
    value: Any


class _Parser:
    def __init__(self, tokens: list[Token], parameters: list[AttributeValue]) -> None:
        self.tokens = tokens
        self.at = 0
        self.parameters = iter(parameters)

    def peek(self) -> Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise Unsupported("the statement ends early")
        self.at += 1
        return token

    def expect(self, *texts: str) -> Token:
        token = self.take()
        if token.text.upper() not in texts:
            raise Unsupported(f"expected {' or '.join(texts)}, found {token.text!r}")
        return token

    def accept(self, *texts: str) -> bool:
        token = self.peek()
        if token is not None and token.text.upper() in texts and token.kind in ("word", "op"):
            self.at += 1
            return True
        return False

    def done(self) -> None:
        if self.peek() is not None:
            raise Unsupported(f"unexpected {self.peek()!r}")

    def statement(self) -> Any:
        first = self.take()
        if first.is_word("SELECT"):
            return self.select()
        if first.is_word("UPDATE"):
            return self.update()
        if first.is_word("DELETE"):
            self.expect("FROM")
            table, _ = self.target()
            self.expect("WHERE")
            where = self.condition()
            self.done()
            return Delete(table, where)
        if first.is_word("INSERT"):
            self.expect("INTO")
            table, _ = self.target()
            self.expect("VALUE")
            value = self.value()
            self.done()
            return Insert(table, value)
        raise Unsupported(f"statement {first.text!r}")

    def name(self) -> str:
        token = self.take()
        if token.kind == "ident":
            return token.text[1:-1].replace('""', '"')
        if token.kind == "word":
            return token.text
        raise Unsupported(f"expected a name, found {token.text!r}")

    def target(self) -> tuple[str, str | None]:
        table = self.name()
        index = self.name() if self.accept(".") else None
        return table, index

    def path(self) -> Path:
        parts: list[str | int] = [self.name()]
        while True:
            if self.accept("."):
                parts.append(self.name())
            elif self.accept("["):
                parts.append(int(self.take().text))
                self.expect("]")
            else:
                return tuple(parts)

    def select(self) -> Select:
        projection: list[Path] | None = None
        if not self.accept("*"):
            projection = [self.path()]
            while self.accept(","):
                projection.append(self.path())
        self.expect("FROM")
        table, index = self.target()
        where = self.condition() if self.accept("WHERE") else None
        self.done()
        return Select(table, index, projection, where)

    def update(self) -> Update:
        table, _ = self.target()
        statement = Update(table)
        while True:
            if self.accept("SET"):
                while True:
                    target = self.path()
                    self.expect("=")
                    statement.sets.append((target, self.operand()))
                    if not self.accept(","):
                        break
            elif self.accept("REMOVE"):
                statement.removes.append(self.path())
                while self.accept(","):
                    statement.removes.append(self.path())
            else:
                break
        if not statement.sets and not statement.removes:
            raise Unsupported("UPDATE without SET or REMOVE")
        self.expect("WHERE")
        statement.where = self.condition()
        self.done()
        return statement

    def operand(self) -> Any:
        """A value, or ``path + value`` / ``path - value`` (arithmetic on a number attribute)."""
        token = self.peek()
        if (
            token is not None
            and token.kind in ("word", "ident")
            and not token.is_word("TRUE", "FALSE", "NULL")
        ):
            source = self.path()
            sign = self.take().text
            if sign not in "+-":
                raise Unsupported("only + and - combine an attribute with a value")
            return ("arith", source, sign, self.value())
        return ("value", self.value())

    # Conditions: OR of ANDs of (NOT) primaries.
    def condition(self) -> Any:
        left = self.conjunction()
        while self.accept("OR"):
            left = ("or", left, self.conjunction())
        return left

    def conjunction(self) -> Any:
        left = self.negation()
        while self.accept("AND"):
            left = ("and", left, self.negation())
        return left

    def negation(self) -> Any:
        if self.accept("NOT"):
            return ("not", self.negation())
        if self.accept("("):
            inner = self.condition()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> Any:
        left = self.path()
        if self.accept("IS"):
            negated = self.accept("NOT")
            self.expect("MISSING")
            return ("not", ("missing", left)) if negated else ("missing", left)
        if self.accept("IN"):
            self.expect("[", "(")
            options = [self.value()]
            while self.accept(","):
                options.append(self.value())
            self.expect("]", ")")
            return ("in", left, options)
        if self.accept("BETWEEN"):
            low = self.value()
            self.expect("AND")
            return ("between", left, low, self.value())
        operator = self.take().text
        if operator not in ("=", "<>", "!=", "<", "<=", ">", ">="):
            raise Unsupported(f"operator {operator!r}")
        return ("cmp", operator, left, self.value())

    def value(self) -> AttributeValue:
        token = self.take()
        if token.text == "?":
            try:
                return dict(next(self.parameters))
            except StopIteration:
                raise StatementError(
                    "Number of parameters in request and statement don't match."
                ) from None
        if token.kind == "string":
            return {"S": token.text[1:-1].replace("''", "'")}
        if token.kind == "number":
            return {"N": token.text}
        if token.text == "-" and self.peek() is not None and self.peek().kind == "number":  # type: ignore[union-attr]
            return {"N": "-" + self.take().text}
        if token.is_word("TRUE", "FALSE"):
            return {"BOOL": token.text.upper() == "TRUE"}
        if token.is_word("NULL"):
            return {"NULL": True}
        if token.text == "{":
            members: Item = {}
            if not self.accept("}"):
                while True:
                    key = self.take()
                    if key.kind not in ("string", "ident"):
                        raise Unsupported("map keys are quoted")
                    self.expect(":")
                    members[key.text[1:-1]] = self.value()
                    if self.accept("}"):
                        break
                    self.expect(",")
            return {"M": members}
        if token.text in ("[", "<<"):
            closing = "]" if token.text == "[" else ">>"
            elements: list[AttributeValue] = []
            if not self.accept(closing):
                while True:
                    elements.append(self.value())
                    if self.accept(closing):
                        break
                    self.expect(",")
            return {"L": elements} if closing == "]" else _as_set(elements)
        raise Unsupported(f"value {token.text!r}")


def _as_set(elements: list[AttributeValue]) -> AttributeValue:
    kinds = {next(iter(e)) for e in elements}
    if len(kinds) != 1 or kinds - {"S", "N", "B"}:
        raise StatementError("A set must contain values of one type: strings, numbers or binaries.")
    kind = kinds.pop()
    return {kind + "S": [e[kind] for e in elements]}


def parse(statement: str, parameters: list[AttributeValue] | None = None) -> Any:
    parser = _Parser(tokenize(statement), parameters or [])
    tree = parser.statement()
    if next(parser.parameters, None) is not None:
        raise StatementError("Number of parameters in request and statement don't match.")
    return tree


# --- Evaluation ------------------------------------------------------------------------------------


def _get(item: Item, path: Path) -> AttributeValue | None:
    current: Any = item.get(str(path[0]))
    for part in path[1:]:
        if current is None:
            return None
        if isinstance(part, int):
            items = current.get("L")
            current = items[part] if items is not None and part < len(items) else None
        else:
            current = (current.get("M") or {}).get(part)
    return current  # type: ignore[no-any-return]


def _key(value: AttributeValue) -> tuple[str, Any]:
    kind, raw = next(iter(value.items()))
    if kind == "N":
        return kind, Decimal(raw)
    return kind, raw


def _compare(operator: str, left: AttributeValue | None, right: AttributeValue) -> bool:
    if left is None:
        return operator in ("<>", "!=")
    a, b = _key(left), _key(right)
    if operator == "=":
        return a == b
    if operator in ("<>", "!="):
        return a != b
    if a[0] != b[0] or a[0] not in ("S", "N", "B"):
        return False
    ordering: dict[str, Callable[[Any, Any], bool]] = {
        "<": lambda x, y: x < y,
        "<=": lambda x, y: x <= y,
        ">": lambda x, y: x > y,
        ">=": lambda x, y: x >= y,
    }
    return ordering[operator](a[1], b[1])


def matches(condition: Any, item: Item) -> bool:
    if condition is None:
        return True
    kind = condition[0]
    if kind == "and":
        return matches(condition[1], item) and matches(condition[2], item)
    if kind == "or":
        return matches(condition[1], item) or matches(condition[2], item)
    if kind == "not":
        return not matches(condition[1], item)
    if kind == "missing":
        return _get(item, condition[1]) is None
    if kind == "in":
        value = _get(item, condition[1])
        return any(_compare("=", value, option) for option in condition[2])
    if kind == "between":
        value = _get(item, condition[1])
        return _compare(">=", value, condition[2]) and _compare("<=", value, condition[3])
    _, operator, path, value = condition
    return _compare(operator, _get(item, path), value)


def key_equalities(condition: Any) -> Iterator[tuple[str, AttributeValue]]:
    """The ``attribute = value`` terms joined by AND at the top of a WHERE clause."""
    if condition is None:
        return
    if condition[0] == "and":
        yield from key_equalities(condition[1])
        yield from key_equalities(condition[2])
    elif condition[0] == "cmp" and condition[1] == "=" and len(condition[2]) == 1:
        yield str(condition[2][0]), condition[3]


def project(item: Item, projection: list[Path] | None) -> Item:
    if projection is None:
        return item
    result: Item = {}
    for path in projection:
        value = _get(item, path)
        if value is not None:
            result[".".join(str(p) for p in path)] = value
    return result


def _set(item: Item, path: Path, value: AttributeValue) -> None:
    if len(path) == 1:
        item[str(path[0])] = value
        return
    parent = _get(item, path[:-1])
    last = path[-1]
    if parent is None:
        raise StatementError(
            "The document path provided in the update expression is invalid for update"
        )
    if isinstance(last, int):
        elements = parent.get("L")
        if elements is None:
            raise StatementError(
                "The document path provided in the update expression is invalid for update"
            )
        if last < len(elements):
            elements[last] = value
        else:
            elements.append(value)
    else:
        members = parent.get("M")
        if members is None:
            raise StatementError(
                "The document path provided in the update expression is invalid for update"
            )
        members[last] = value


def _remove(item: Item, path: Path) -> None:
    if len(path) == 1:
        item.pop(str(path[0]), None)
        return
    parent = _get(item, path[:-1])
    if parent is None:
        return
    last = path[-1]
    if isinstance(last, int):
        elements = parent.get("L") or []
        if last < len(elements):
            del elements[last]
    else:
        (parent.get("M") or {}).pop(last, None)


def apply_update(statement: Update, item: Item) -> Item:
    """The item after the statement's SET and REMOVE clauses (a copy)."""
    import copy

    result = copy.deepcopy(item)
    for path, operand in statement.sets:
        if operand[0] == "value":
            _set(result, path, operand[1])
            continue
        _, source, sign, amount = operand
        current = _get(result, source)
        if current is None or "N" not in current or "N" not in amount:
            raise StatementError("An operand in the update expression has an incorrect data type")
        total = Decimal(current["N"]) + (
            Decimal(amount["N"]) if sign == "+" else -Decimal(amount["N"])
        )
        _set(result, path, {"N": _number_text(total)})
    for path in statement.removes:
        _remove(result, path)
    return result


def _number_text(value: Decimal) -> str:
    with localcontext() as context:
        context.prec = 60  # DynamoDB keeps 38 digits; the default context rounds to 28
        normal = value.normalize()
        return format(normal, "f") if normal == normal.to_integral_value() else str(normal)
