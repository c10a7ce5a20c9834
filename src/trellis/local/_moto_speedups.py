"""Take the avoidable costs out of moto, so local runs are bound by what they do.

DynamoDB expressions:

moto re-parses every UpdateExpression two or three times per request (the
response layer parses it to validate placeholders, the backend parses it
again, a transaction parses it once more), deep-copies the tree, and walks it
ten times with generic visitors whose type checks go through ``abc``. Measured
with the job runner's claim + completion (a conditional UpdateItem with nine
actions and a TransactWriteItems): about two thirds of the emulator's time per
job went there, so every DynamoDB-heavy local run — ``trellis dev``, the
tests, the benchmarks — was bound by it.

What we change, none of which changes a result:

- parsed UpdateExpressions are cached by their text (moto treats the tree it
  gets from the parser as read-only: its validator works on a copy);
- the validator copies that tree with pickle instead of ``copy.deepcopy``;
- each visitor computes its node-type table once instead of once per node,
  and remembers per concrete class whether it is a node at all;
- the three validators that depend only on the expression's text, the
  attribute names and the table's key schema (action counts, overlapping
  paths, updates of key attributes) run once per such combination; once it
  passed, it passes. Validators that look at values or the item still run
  every time.

SQS receives: for every message it hands out, moto checks the retention
period by building *all* of the queue's attributes — including the
approximate counts, each a scan of every message in the queue — three times.
A receive of 10 from a queue holding n messages cost 30 scans of n; this is
why moto's SQS slowed down as a queue filled. We read the retention period
from the queue directly: the same number, without the scans.

``tests/integration/test_emulator_speedups.py`` replays a battery of updates,
conditions and invalid expressions with and without these changes and
requires identical responses.
"""

from __future__ import annotations

import copy
import importlib
import pickle
from typing import Any

#: Expressions are code, not data: a stack uses a few dozen. The bound keeps a
#: client that builds expressions from values from growing the cache forever.
_CACHE_LIMIT = 2048


def apply() -> None:
    """Patch moto's DynamoDB expression handling and SQS receives (idempotent).

    Runs in the emulator process, where DynamoDB requests are serialised (see
    ``trellis.local.emulator``), so the caches need no lock of their own.
    """
    # Typed as Any: moto's parsing modules are untyped internals we patch on purpose.
    ast_nodes: Any = importlib.import_module("moto.dynamodb.parsing.ast_nodes")
    expressions: Any = importlib.import_module("moto.dynamodb.parsing.expressions")
    validators: Any = importlib.import_module("moto.dynamodb.parsing.validators")

    if getattr(validators.Validator, "_trellis_fast", False):
        return
    _cache_update_expressions(expressions.UpdateExpressionParser)
    _fast_traversal(ast_nodes.DepthFirstTraverser, ast_nodes.Node)
    _fast_validator(validators)
    _cheap_sqs_retention_check(importlib.import_module("moto.sqs.models"))
    validators.Validator._trellis_fast = True


def _cache_update_expressions(parser: Any) -> None:
    original = parser.make.__func__
    cache: dict[str, Any] = {}

    def make(cls: Any, expression_str: str) -> Any:
        tree = cache.get(expression_str)
        if tree is None:
            tree = original(cls, expression_str)
            if len(cache) < _CACHE_LIMIT:
                # Only cached trees carry their source: the validator keys its memo on it.
                tree._trellis_source = expression_str
                cache[expression_str] = tree
        return tree

    parser.make = classmethod(make)


def _fast_traversal(traverser: Any, node_class: type) -> None:
    is_node: dict[type, bool] = {}

    def handled(self: Any) -> tuple[tuple[type, Any], ...]:
        table: tuple[tuple[type, Any], ...] | None = self.__dict__.get("_trellis_map")
        if table is None:
            table = self.__dict__["_trellis_map"] = tuple(self._processing_map().items())
        return table

    def nodes_to_be_processed(self: Any) -> tuple[type, ...]:
        return tuple(kind for kind, _ in handled(self))

    def process(self: Any, node: Any) -> Any:
        for kind, processor in handled(self):
            if isinstance(node, kind):
                return processor(node)
        return None

    def traverse_node_recursively(self: Any, node: Any, child_id: int = -1) -> Any:
        kind = type(node)
        node_like = is_node.get(kind)
        if node_like is None:
            node_like = is_node[kind] = isinstance(node, node_class)
        if not node_like:
            return node
        parent_node = node.parent
        children = node.children
        if children is not None:
            for i, child in enumerate(children):
                self.pre_processing_of_child(node, i)
                traverse_node_recursively(self, child, i)
        wanted: dict[type, bool] = self.__dict__.setdefault("_trellis_wanted", {})
        match = wanted.get(kind)
        if match is None:
            match = wanted[kind] = isinstance(node, tuple(k for k, _ in handled(self)))
        if match:
            node = self.process(node)
            node.parent = parent_node
            if parent_node:
                parent_node.children[child_id] = node
        return node

    traverser.nodes_to_be_processed = nodes_to_be_processed
    traverser.process = process
    traverser.traverse_node_recursively = traverse_node_recursively


def _fast_validator(validators: Any) -> None:
    structural = (
        validators.ActionCountValidator,
        validators.OverlappingPathsValidator,
        validators.UpdateHashRangeKeyValidator,
    )
    passed: set[tuple[Any, ...]] = set()
    original_validate = validators.Validator.validate

    def __init__(
        self: Any,
        expression: Any,
        expression_attribute_names: Any,
        expression_attribute_values: Any,
        item: Any,
        table: Any,
    ) -> None:
        self.expression_attribute_names = expression_attribute_names
        self.expression_attribute_values = expression_attribute_values
        self.item = item
        self.table = table
        self.processors = self.get_ast_processors()
        try:
            self.node_to_validate = pickle.loads(pickle.dumps(expression, pickle.HIGHEST_PROTOCOL))  # noqa: S301 - our own tree, in process
        except (pickle.PicklingError, TypeError, AttributeError):
            self.node_to_validate = copy.deepcopy(expression)
        source = getattr(expression, "_trellis_source", None)
        self._trellis_key = None
        if source is not None:
            key = (
                type(self),
                source,
                tuple(sorted((expression_attribute_names or {}).items())),
                tuple(table.table_key_attrs),
            )
            if key in passed:
                self.processors = [p for p in self.processors if not isinstance(p, structural)]
            else:
                self._trellis_key = key

    def validate(self: Any) -> Any:
        tree = original_validate(self)
        if self._trellis_key is not None:
            passed.add(self._trellis_key)
        return tree

    validators.Validator.__init__ = __init__
    validators.Validator.validate = validate


def _cheap_sqs_retention_check(sqs_models: Any) -> None:
    from moto.core.utils import unix_time

    def is_message_valid_based_on_retention_period(
        self: Any, queue_name: str, message: Any
    ) -> bool:
        retention_s = int(self.get_queue(queue_name).message_retention_period)
        return bool(retention_s + message.sent_timestamp / 1000 > unix_time())

    sqs_models.SQSBackend.is_message_valid_based_on_retention_period = (
        is_message_valid_based_on_retention_period
    )
