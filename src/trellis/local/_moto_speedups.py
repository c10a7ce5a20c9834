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
- the validator copies that tree with pickle instead of ``copy.deepcopy`` (a
  cached tree is pickled once);
- each visitor computes its node-type table once instead of once per node,
  and remembers per concrete class whether it is a node at all; it calls no
  hook on entering a child unless it has one (only the resolver does), and
  steps over leaves (names, values) without a call;
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
from the queue directly: the same number, without the scans. Sends had the
same cost (all attributes built to read ``ContentBasedDeduplication``, per
message: 630 us per send into a queue of 1,000, now 4.5 us); while a send runs,
the queue answers that one key. The attribute names a send reads are converted
to snake_case once, and a receipt handle is drawn in one call rather than one
per character.

DynamoDB transactions: moto deep-copied every table a transaction names, so a
completion cost more the more jobs the table held; only the named items are
backed up now (see ``_back_up_transaction_targets_only``).

DynamoDB queries: moto answered every Query by sorting the whole table
(``Table.all_items``) and filtering it, so a page of 10 from a table of 3,000
items cost a sort of 3,000. A query of the table reads its one partition now
(moto keeps items by hash key already); a query of an index still looks at
every item, but without the sort moto redoes on the matches anyway.

Responses: moto's model-driven serializer looks up every value of a response
(each attribute of each item of a page) by building six alias providers and
asking each for a candidate key. For a plain dict holding the key — what the
DynamoDB, SQS and SNS backends hand it — the answer is known after the one
provider that can precede the key itself (the shape's own name, when it
differs); the others are tried only when the key is missing.

Requests: a JSON body becomes moto's parameters through one reader per shape,
built once from moto's own handlers, instead of a walk of the input shape that
looks each handler up by name for every value (``_read_json_bodies_by_shape``).

DynamoDB items in responses are copied value by value rather than walked
member by member through the shape machinery (``_copy_attribute_values``).
SQS reads its clock with ``time.time()``, copies a received message one level
deep instead of deep-copying its whole receipt history, and moto's random
strings are drawn in one call rather than one per character.

Reserved words are looked up in a set (moto searched a list of 573 for every
attribute name of an update, a condition or a projection).

A request's ConditionExpression is parsed once: moto's response layer and its
backend each parsed it (``_parse_a_requests_condition_once``).

ConditionExpressions are tokenised once per text (moto ran six regular
expressions per token, several times per request); the tokens are rebuilt as
fresh nodes for every parse, which goes on as before.

Dispatch: which backend serves a host name is remembered instead of being
worked out again, under a global lock, for every request; so are the method
names of a response class, which moto listed with ``inspect`` per request.

(The emulator's HTTP server, with keep-alive, is ``trellis.local._http``;
the dispatch that skips Flask is ``trellis.local._direct_dispatch``, the
shorter SigV4 check ``trellis.local._signature_check``; ``apply`` installs both.)

``tests/integration/test_emulator_speedups.py`` replays a battery of updates,
conditions, invalid expressions and cancelled transactions with and without
these changes and requires identical responses and table contents.
"""

from __future__ import annotations

import copy
import importlib
import pickle
import re
import sys
import threading
import types
from collections.abc import Iterator
from typing import Any

from trellis.local import _direct_dispatch, _signature_check

#: Expressions are code, not data: a stack uses a few dozen. The bound keeps a
#: client that builds expressions from values from growing the cache forever.
_CACHE_LIMIT = 2048


def apply() -> None:
    """Patch moto's DynamoDB expressions and transactions, SQS receives and dispatch (idempotent).

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
    _look_up_reserved_words_in_a_set(
        importlib.import_module("moto.dynamodb.parsing.reserved_keywords")
    )
    _fast_traversal(ast_nodes.DepthFirstTraverser, ast_nodes.Node)
    _fast_validator(validators)
    _cheap_sqs_retention_check(importlib.import_module("moto.sqs.models"))
    _cheap_sqs_names_and_handles(importlib.import_module("moto.sqs.models"))
    _cache_backend_lookup(importlib.import_module("moto.moto_server.werkzeug_app"))
    _find_account_backends_directly(importlib.import_module("moto.core.base_backend"))
    _cache_condition_lexing(importlib.import_module("moto.dynamodb.comparisons"))
    _parse_a_requests_condition_once(importlib.import_module("moto.dynamodb.comparisons"))
    _cache_handler_method_names(importlib.import_module("moto.core.responses"))
    _find_access_keys_once_per_credential(importlib.import_module("moto.core.responses"))
    _back_up_transaction_targets_only(importlib.import_module("moto.dynamodb.models"))
    _query_one_partition(importlib.import_module("moto.dynamodb.models.table"))
    _pick_dict_values_directly(importlib.import_module("moto.core.serialize"))
    _read_json_bodies_by_shape(importlib.import_module("moto.core.parse"))
    _copy_attribute_values(importlib.import_module("moto.core.serialize"))
    _draw_random_strings_at_once(importlib.import_module("moto.moto_api._internal.moto_random"))
    _defer_ec2_for_ssm()
    _direct_dispatch.install()
    _signature_check.install()
    validators.Validator._trellis_fast = True


def _look_up_reserved_words_in_a_set(reserved: Any) -> None:
    """DynamoDB's 573 reserved words as a set: moto searched a list of them for every name.

    Each attribute name of an update path, a condition and a projection is checked
    with ``name.upper() in get_reserved_keywords()``, a list: 573 comparisons for a
    name that is not reserved, as most are. moto only ever asks whether a word is
    in it.
    """
    words = reserved.ReservedKeywords
    words.KEYWORDS = frozenset(words.get_reserved_keywords())


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

    base_hook = traverser.pre_processing_of_child
    #: Per visitor class: whether it has a hook on entering a child (only the resolver
    #: does; the base one does nothing), and per node class whether it processes it.
    plans: dict[type, tuple[bool, dict[type, bool]]] = {}

    def traverse_node_recursively(self: Any, node: Any, child_id: int = -1) -> Any:
        kind = type(node)
        node_like = is_node.get(kind)
        if node_like is None:
            node_like = is_node[kind] = isinstance(node, node_class)
        if not node_like:
            return node
        visitor = type(self)
        plan = plans.get(visitor)
        if plan is None:
            plan = plans[visitor] = (visitor.pre_processing_of_child is not base_hook, {})
        hooked, processes = plan
        parent_node = node.parent
        children = node.children
        if children is not None:
            for i, child in enumerate(children):
                if hooked:
                    self.pre_processing_of_child(node, i)
                if is_node.get(type(child)) is not False:  # a leaf (a name, a value) is left as is
                    traverse_node_recursively(self, child, i)
        match = processes.get(kind)
        if match is None:
            match = processes[kind] = isinstance(node, tuple(k for k, _ in handled(self)))
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
        source = getattr(expression, "_trellis_source", None)
        try:
            # A cached tree never changes, so its pickle is taken once.
            frozen = expression.__dict__.get("_trellis_pickle") if source is not None else None
            if frozen is None:
                frozen = pickle.dumps(expression, pickle.HIGHEST_PROTOCOL)
                if source is not None:
                    expression._trellis_pickle = frozen
            self.node_to_validate = pickle.loads(frozen)  # noqa: S301 - our own tree, in process
        except (pickle.PicklingError, TypeError, AttributeError):
            self.node_to_validate = copy.deepcopy(expression)
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


def _cheap_sqs_names_and_handles(sqs_models: Any) -> None:
    import functools
    import string

    from moto.moto_api._internal import mock_random

    # A queue's attribute names are a fixed set: their snake_case forms are computed
    # once, not per message sent (moto builds every attribute to read one per send).
    sqs_models.camelcase_to_underscores = functools.lru_cache(maxsize=512)(
        sqs_models.camelcase_to_underscores
    )
    # One byte per letter, mapped onto a-z: one call to moto's seedable generator for
    # a 185-letter handle instead of one per letter (7 % of an SQS round in a profile).
    # 256 is not a multiple of 26, so some letters are a little likelier: a receipt
    # handle only has to be unique and opaque, as AWS's are.
    letters = bytes(string.ascii_lowercase[i % 26].encode()[0] for i in range(256))

    def generate_receipt_handle() -> str:
        return mock_random.randbytes(185).translate(letters).decode()

    sqs_models.generate_receipt_handle = generate_receipt_handle
    _cheap_sqs_clock(sqs_models)
    _copy_received_messages_one_level(sqs_models)
    _read_one_attribute_per_send(sqs_models)


def _read_one_attribute_per_send(sqs_models: Any) -> None:
    """A send reads the queue's ``ContentBasedDeduplication`` without building the rest.

    moto's ``send_message`` (and the queue's ``add_message`` it calls) ask the
    queue's ``attributes`` for that one key, and ``attributes`` builds every
    attribute, the message counts included: three walks over every message in
    the queue, per message sent, so a send cost more the deeper the queue. While
    a send runs on a thread, ``attributes`` answers that key alone, with the value
    the full dict would have (absent unless FIFO; a bool as ``"true"``/``"false"``).
    """
    queue_class = sqs_models.Queue
    backend_class = sqs_models.SQSBackend
    every_attribute = queue_class.attributes.fget
    sending = threading.local()

    def attributes(self: Any) -> dict[str, Any]:
        if not getattr(sending, "active", False):
            return every_attribute(self)  # type: ignore[no-any-return]
        if not self.fifo_queue:
            return {}
        value = self.content_based_deduplication
        return {
            "ContentBasedDeduplication": str(value).lower() if isinstance(value, bool) else value
        }

    send_message = backend_class.send_message

    def send_message_reading_one_attribute(self: Any, *args: Any, **kwargs: Any) -> Any:
        outer = getattr(sending, "active", False)
        sending.active = True
        try:
            return send_message(self, *args, **kwargs)
        finally:
            sending.active = outer

    queue_class.attributes = property(attributes)
    backend_class.send_message = send_message_reading_one_attribute


def _copy_received_messages_one_level(sqs_models: Any) -> None:
    """Copy a received message one level deep, not with ``copy.deepcopy``.

    moto copies each message it hands out, so that filtering its attributes for
    the answer leaves the queue's message alone. The deep copy also copied
    every receipt handle the message ever had (a list that grows with each
    receive): a receive of ten spent more time copying than receiving. The
    filter replaces the copy's attribute dict and the answer reads the
    message's fields: copying the instance and its dicts, lists and sets is
    what isolates it. Anything else moto copies there (the queue's pending
    groups) is still deep-copied.
    """
    message_class = sqs_models.Message
    deepcopy = sqs_models.deepcopy
    containers = (dict, list, set)

    def copy_for_receive(value: Any, memo: Any = None) -> Any:
        if type(value) is not message_class:
            return deepcopy(value, memo)
        clone = copy.copy(value)
        for name, attribute in vars(value).items():
            if type(attribute) in containers:
                setattr(clone, name, attribute.copy())
        return clone

    sqs_models.deepcopy = copy_for_receive


def _draw_random_strings_at_once(moto_random: Any) -> None:
    """Draw moto's random strings in one ``choices`` call, not one ``choice`` per character.

    Every response carries a 52-character request id: drawn a character at a
    time it was about 7 % of a DynamoDB GetItem's time in the emulator (cProfile).
    Same alphabet, same uniform draw, from moto's seedable generator (a seeded
    run stays reproducible; its strings differ from plain moto's).
    """
    import string

    def get_random_string(
        self: Any, length: int = 20, include_digits: bool = True, lower_case: bool = False
    ) -> str:
        pool = string.ascii_letters + (string.digits if include_digits else "")
        drawn = "".join(self.choices(pool, k=length))
        return drawn.lower() if lower_case else drawn

    def get_random_hex(self: Any, length: int = 8) -> str:
        return "".join(map(str, self.choices(moto_random.HEX_CHARS, k=length)))

    moto_random.MotoRandom.get_random_string = get_random_string
    moto_random.MotoRandom.get_random_hex = get_random_hex


def _cheap_sqs_clock(sqs_models: Any) -> None:
    """Read SQS's clock with ``time.time()``, not by building two datetimes.

    Every message's ``visible`` and ``delayed`` ask for the time, and a send
    builds all of the queue's attributes, whose approximate counts ask each
    message twice: with ``utcnow() - utcfromtimestamp(0)`` that was an eighth
    of the emulator's time on a batch of ten. moto's ``utcnow`` reads the same
    wall clock; a datetime given explicitly still goes through moto's function.
    """
    import time

    unix_time = sqs_models.unix_time

    def cheap_unix_time(dt: Any = None) -> float:
        return time.time() if dt is None else float(unix_time(dt))

    def cheap_unix_time_millis(dt: Any = None) -> float:
        return cheap_unix_time(dt) * 1000.0

    sqs_models.unix_time = cheap_unix_time
    sqs_models.unix_time_millis = cheap_unix_time_millis


def _cache_backend_lookup(werkzeug_app: Any) -> None:
    """Remember which backend serves a host; moto works it out again for every request.

    The lookup lists moto's package directory and tries a few hundred URL
    patterns, under the dispatcher's global lock: about 8% of the emulator's
    CPU under load, and every other request waits on that lock meanwhile. The
    answer depends only on the host name, and moto's modules and patterns do
    not change while it runs.
    """
    dispatcher = werkzeug_app.DomainDispatcherApplication
    original = dispatcher.get_backend_for_host

    def get_backend_for_host(self: Any, host: str | None) -> Any:
        cache: dict[str | None, Any] = self.__dict__.setdefault("_trellis_backends", {})
        try:
            return cache[host]
        except KeyError:
            backend = original(self, host)
            if len(cache) < _CACHE_LIMIT:  # virtual-host S3 names vary with the bucket
                cache[host] = backend
            return backend

    dispatcher.get_backend_for_host = get_backend_for_host


def _find_account_backends_directly(base_backend: Any) -> None:
    """Return an account's backends without moto's creation check when they exist.

    ``BackendDict[account]`` takes a global lock, lists the dict's keys and
    compares itself with every registered backend dict before the lookup; a
    request makes a dozen or more such lookups (its handler's, IAM's, the
    recorder's). An account is only ever added by that check, which registers
    the dict at the same time, and ``BackendDict.reset`` empties both together:
    a key present means the check has nothing left to do.
    """
    backend_dict = base_backend.BackendDict
    create = backend_dict.__getitem__
    lookup = dict.get

    def __getitem__(self: Any, account_id: str) -> Any:
        found = lookup(self, account_id)
        if found is not None:
            return found
        return create(self, account_id)

    backend_dict.__getitem__ = __getitem__


def _back_up_transaction_targets_only(models: Any) -> None:
    """Make ``TransactWriteItems`` cost what it touches, not the size of its tables.

    moto backs up every table a transaction names with ``copy.deepcopy`` (once
    per action) so it can roll back. That grows with the table: with a few
    thousand items a job's completion cost twice what it did on an empty
    table — while DynamoDB's own cost does not depend on table size. Only the
    items the transaction names can change, so we copy those before moto
    runs, let its table "backup" be the table itself, and if it rolls back we
    put the copied items back in place (a dict slot keeps its position, so
    scans see the same order).

    Two cases keep a fuller backup, because restoring items in place would not
    restore everything: a ``Delete`` (re-inserting a deleted item would move it
    to the end of the table's order) takes a copy of the table's item index
    with the targets deep-copied; a table with a stream (its records must be
    rolled back too) takes moto's own deep copy.
    """
    import threading

    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    # mode: "items" (our undo list restores), "index" (copy of the item index), or
    # unset (moto's deep copy). Thread-local: nothing here relies on the emulator's lock.
    state = threading.local()

    def key_of(table: Any, op: dict[str, Any], kind: str) -> tuple[Any, Any]:
        attrs = op["Item"] if kind == "Put" else op["Key"]
        hash_value = DynamoType(attrs[table.hash_key_attr])
        range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
        return hash_value, range_value

    def stored(table: Any, hash_value: Any, range_value: Any) -> Any:
        # Not table.get_item: on a table with a sort key it adds an empty hash bucket.
        if range_value is None:
            return table.items.get(hash_value)
        bucket = table.items.get(hash_value)
        return None if bucket is None else bucket.get(range_value)

    def plan(backend: Any, transact_items: Any) -> str | None:
        mode = "items"
        for entry in transact_items:
            if not isinstance(entry, dict) or len(entry) != 1:
                return None
            kind, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            if table is None:
                continue  # moto reports it; there is nothing of it to restore
            if table.stream_shard is not None or kind not in (
                "Put",
                "Update",
                "Delete",
                "ConditionCheck",
            ):
                return None
            if kind == "Delete":
                mode = "index"
        return mode

    def targets(backend: Any, transact_items: Any) -> list[tuple[Any, Any, Any, bool, Any]] | None:
        saved = []
        for entry in transact_items:
            kind, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName"))
            if table is None or kind == "ConditionCheck":
                continue
            try:
                hash_value, range_value = key_of(table, op, kind)
            except Exception:  # noqa: BLE001 - a malformed key: moto rejects it before writing
                return None
            bucket_existed = hash_value in table.items
            item = stored(table, hash_value, range_value)
            saved.append((table, hash_value, range_value, bucket_existed, copy.deepcopy(item)))
        return saved

    def restore(saved: list[tuple[Any, Any, Any, bool, Any]]) -> None:
        for table, hash_value, range_value, bucket_existed, item in reversed(saved):
            if range_value is None:
                if item is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = item
                continue
            bucket = table.items.get(hash_value)
            if item is not None:
                table.items[hash_value][range_value] = item
            elif bucket is not None:
                bucket.pop(range_value, None)
                if not bucket and not bucket_existed:
                    del table.items[hash_value]

    def index_copy(table: Any, wanted: list[tuple[Any, Any]]) -> Any:
        clone = copy.copy(table)
        items: Any = type(table.items)(dict)
        for hash_value, value in table.items.items():
            items[hash_value] = dict(value) if table.range_key_attr else value
        for hash_value, range_value in wanted:
            item = stored(table, hash_value, range_value)
            if item is None:
                continue
            if range_value is None:
                items[hash_value] = copy.deepcopy(item)
            else:
                items[hash_value][range_value] = copy.deepcopy(item)
        clone.items = items
        return clone

    def deepcopy(obj: Any, memo: Any = None) -> Any:
        mode = getattr(state, "mode", None)
        if not isinstance(obj, Table) or mode is None:
            return copy.deepcopy(obj, memo)
        if mode == "items":
            return obj  # the undo list holds what can change
        wanted = [(h, r) for t, h, r, _, _ in state.saved if t is obj]
        return index_copy(obj, wanted)

    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        mode = plan(self, transact_items)
        saved = targets(self, transact_items) if mode is not None else None
        if saved is None:
            return original(self, transact_items)  # type: ignore[no-any-return]
        state.mode, state.saved = mode, saved
        try:
            original(self, transact_items)
        except BaseException:
            if mode == "items":
                restore(saved)
            raise
        finally:
            state.mode, state.saved = None, None
        return None

    # moto's module calls `copy.deepcopy` on the tables: it gets ours.
    models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)
    models.DynamoDBBackend.transact_write_items = transact_write_items


def _query_one_partition(table_module: Any) -> None:
    table_class = table_module.Table
    original_query = table_class.query
    original_all_items = table_class.all_items
    # Table.query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
    # scan_index_forward, projection_expressions, index_name=None, ...): index_name is the
    # 7th argument after hash_key when passed by position (moto's backend does).
    index_position = 6
    # The candidates of the query running on this thread, by table; all_items answers them.
    running = threading.local()

    def all_items(self: Any) -> Any:
        candidates = getattr(running, "by_table", {}).get(id(self))
        return original_all_items(self) if candidates is None else candidates

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        by_position = len(args) > index_position
        index_name = args[index_position] if by_position else kwargs.get("index_name")
        # An index query sorts its matches by the index's keys and the table's (a total
        # order) after filtering: every item, unsorted, is enough.
        candidates = _partition(self, hash_key) if index_name is None else _unsorted_items(self)
        by_table = running.__dict__.setdefault("by_table", {})
        by_table[id(self)] = candidates
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            del by_table[id(self)]

    table_class.all_items = all_items
    table_class.query = query


#: Shapes whose reader is kept (a recursive shape, such as DynamoDB's AttributeValue,
#: is a new object at each depth a request reaches: at most DynamoDB's 32 levels).
_READER_LIMIT = 20_000


def _read_json_bodies_by_shape(parse: Any) -> None:
    """Turn a JSON request body into moto's parameters with one reader per shape.

    moto's ``JSONParser`` walks the operation's input shape for every request,
    looking up a handler by name (``getattr(self, "_parse_" + type)``) for each
    value and each member of each structure: for an SQS batch of ten or a
    DynamoDB item that is dozens of lookups and calls per request, about a third
    of moto's set-up of a request. A shape's reader is built once, from the same
    handlers, and does what they do: a structure keeps the members present and
    not null, in the shape's order; a list and a map are read member by member;
    blobs, timestamps and numbers go through the parser's own converters; any
    other value is kept as it is. A parser of another class, another map type,
    or a type whose handler is not one of these takes moto's path.
    """
    json_parser = parse.JSONParser
    base_json = parse.BaseJSONParser.__dict__
    base = parse.RequestParser.__dict__
    original_parse_body = json_parser._parse_json_body
    readers: dict[int, tuple[Any, Any]] = {}

    def keep(parser: Any, value: Any) -> Any:
        return value

    def reader(shape: Any) -> Any:
        entry = readers.get(id(shape))
        if entry is not None and entry[0] is shape:
            return entry[1]
        read = build(shape)
        if len(readers) < _READER_LIMIT:
            readers[id(shape)] = (shape, read)  # the shape is kept, so its id stays its own
        return read

    def build(shape: Any) -> Any:
        handler = getattr(json_parser, f"_parse_{shape.type_name}", None)
        if handler is None or handler is base["_default_handle"]:
            return keep
        if handler is base_json["_parse_structure"]:
            return structure_reader(shape)
        if handler is base["_parse_list"]:
            return list_reader(shape)
        if handler is base["_parse_map"]:
            return map_reader(shape)
        if handler is base_json["_parse_blob"]:
            return lambda parser, value: parser._blob_parser(value)
        if handler is base_json["_parse_timestamp"]:
            return lambda parser, value: parser._timestamp_parser(value)
        if handler is base_json["_parse_float"]:
            return lambda parser, value: float(value)
        if handler is base_json["_parse_integer"]:
            return lambda parser, value: int(value)
        return lambda parser, value: parser._parse_shape(shape, value)

    def structure_reader(shape: Any) -> Any:
        if shape.is_document_type:
            return keep
        # Member readers are found on first use: a shape may contain itself.
        members = [
            [name, member.serialization.get("name", name), member, None]
            for name, member in shape.members.items()
        ]

        def read_structure(parser: Any, value: Any) -> Any:
            if value is None:
                return None
            parsed = {}
            for entry in members:
                raw = value.get(entry[1])
                if raw is not None:
                    read = entry[3]
                    if read is None:
                        read = entry[3] = reader(entry[2])
                    parsed[entry[0]] = raw if read is keep else read(parser, raw)
            return parsed

        return read_structure

    def list_reader(shape: Any) -> Any:
        member = shape.member

        def read_list(parser: Any, node: Any) -> Any:
            read = reader(member)
            if read is keep:
                return list(node)  # what moto builds: a new list of what iterating gives
            return [read(parser, item) for item in node]

        return read_list

    def map_reader(shape: Any) -> Any:
        key_shape, value_shape = shape.key, shape.value

        def read_map(parser: Any, value: Any) -> Any:
            read_key, read_value = reader(key_shape), reader(value_shape)
            parsed = {}
            for key, val in value.items():
                parsed[read_key(parser, key)] = read_value(parser, val)
            return parsed

        return read_map

    def _parse_json_body(self: Any, raw_body: Any, shape: Any) -> Any:
        if type(self) is not json_parser or self.MAP_TYPE is not dict:
            return original_parse_body(self, raw_body, shape)
        return reader(shape)(self, self._parse_body_as_json(raw_body))

    json_parser._parse_json_body = _parse_json_body


def _pick_dict_values_directly(serialize: Any) -> None:
    """Read a plain dict's members by the keys moto would try, without its picker machinery.

    moto's serializer looks up every member of every output structure through an
    ``AttributePicker``: a context object per lookup, then each alias provider in
    turn. For a dict under the default providers the keys it tries depend only on
    the member's shape, its parent and its name, so they are worked out once per
    member (with the snake_case forms ``XFormedAttributePicker`` adds) and then
    tried in order: an SQS ``ReceiveMessage`` of ten messages makes about a hundred
    such lookups. Anything else (an object, another picker, a dotted key) takes
    moto's path.
    """
    picker = serialize.AttributePicker
    xformed = serialize.XFormedAttributePicker
    xform_name = serialize.xform_name
    base = serialize.ResponseSerializer
    # The providers the shortcut accounts for, in the order moto tries them; another
    # list (a picker configured otherwise) takes moto's path.
    expected = [
        serialize.ExplicitAlias,
        serialize.ShapeNameAlias,
        serialize.NoAlias,
        serialize.ShapePrefixAlias,
        serialize.ClassPrefixAlias,
        serialize.ModelAlias,
    ]
    #: (id(shape), key, xformed) → (shape, its parent, the keys to try): the shape and
    #: parent are kept so their ids stay theirs, and checked, since moto sets ``parent``.
    keys_for: dict[tuple[int, str, bool], tuple[Any, Any, tuple[str, ...]]] = {}

    def dict_keys(shape: Any, key: str, snake_too: bool) -> tuple[str, ...]:
        parent = getattr(shape, "parent", None)
        cached = keys_for.get((id(shape), key, snake_too))
        if cached is not None and cached[0] is shape and cached[1] is parent:
            return cached[2]
        keys: list[str] = []
        for candidate in _dict_candidates(shape, key):
            keys.append(candidate)
            # XFormedAttributePicker tries each candidate's snake_case form right after it.
            if snake_too:
                keys.append(xform_name(candidate))
        found = tuple(keys)
        if len(keys_for) < _CACHE_LIMIT:
            keys_for[(id(shape), key, snake_too)] = (shape, parent, found)
        return found

    def plain(value_picker: Any, key: str) -> bool:
        kind = type(value_picker)
        return (
            (kind is picker or kind is xformed)
            and not value_picker.response_transformers
            and value_picker.alias_providers == expected
            and "." not in key
        )

    original_member = base._serialize_structure_member

    def serialize_structure_member(
        self: Any, serialized: Any, value: Any, shape: Any, key: str
    ) -> None:
        value_picker = self._value_picker
        if type(value) is not dict or not plain(value_picker, key):
            original_member(self, serialized, value, shape, key)
            return
        member_value = None
        for candidate in dict_keys(shape, key, type(value_picker) is xformed):
            if candidate in value:
                member_value = value[candidate]
                break
        if member_value is not None:
            self._serialize(serialized, member_value, shape, key)

    original_call = picker.__call__

    def call(self: Any, context: Any) -> Any:
        # The picker called by other paths (moto's own get_value callers).
        obj = context.obj
        key = context.key
        if type(obj) is not dict or not plain(self, key):
            return original_call(self, context)
        for candidate in dict_keys(context.shape, key, type(self) is xformed):
            if candidate in obj:
                return obj[candidate]
        return None

    base._serialize_structure_member = serialize_structure_member
    picker.__call__ = call
    xformed.__call__ = call


_ATTRIBUTE_VALUE_MEMBERS = frozenset(("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"))


def _copy_attribute_values(serialize: Any) -> None:
    """Serialize a DynamoDB item's values by copying them, not member by member.

    moto's DynamoDB backend hands the serializer items already in wire form
    (``{"S": "x"}``), and the serializer walks each value's ten possible
    members through its shape machinery: a ``Query`` page of ten items spent a
    quarter of its time there. For a plain dict whose keys are all
    ``AttributeValue`` members, the result is known: strings and numbers as
    moto's string serializer renders them, binaries base64-encoded, sets and
    lists element by element, maps recursively, ``NULL``/``BOOL`` as they are;
    a ``None`` member is left out, as moto leaves it. Anything else (another
    shape, an object, an unknown key) takes moto's path.
    """
    serializer = serialize.BaseJSONSerializer
    original = serializer._serialize_type_structure
    is_attribute_value: dict[int, bool] = {}

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if key and type(value) is dict:
            known = is_attribute_value.get(id(shape))
            if known is None:
                known = is_attribute_value[id(shape)] = (
                    shape.name == "AttributeValue"
                    and set(shape.members) == _ATTRIBUTE_VALUE_MEMBERS
                    and "name" not in shape.serialization
                )
            if known:
                copied = _attribute_value(value, self._base64)
                if copied is not None:
                    serialized[key] = copied
                    return
        original(self, serialized, value, shape, key)

    serializer._serialize_type_structure = serialize_structure


def _string(value: Any) -> Any:
    # moto's JSON string serializer: str() of anything but None, {} and [].
    if type(value) is str:
        return value
    return str(value) if value not in (None, {}, []) else value


def _attribute_value(value: dict[str, Any], base64: Any) -> dict[str, Any] | None:
    """The serialized form of one AttributeValue dict, or None to take moto's path."""
    out: dict[str, Any] = {}
    for name, member in value.items():
        if name not in _ATTRIBUTE_VALUE_MEMBERS:
            return None
        if member is None:
            continue
        if name == "S" or name == "N":
            out[name] = _string(member)
        elif name == "NULL" or name == "BOOL":
            out[name] = member
        elif name == "B":
            out[name] = base64(member)
        elif name == "SS" or name == "NS":
            out[name] = [_string(item) for item in member]
        elif name == "BS":
            out[name] = [base64(item) for item in member]
        elif name == "M":
            if type(member) is not dict:
                return None
            mapped: dict[str, Any] = {}
            for sub_key, sub_value in member.items():
                if sub_value is None:
                    continue  # moto leaves a None member out
                converted = _nested(sub_value, base64)
                if converted is None:
                    return None
                mapped[sub_key] = converted
            out[name] = mapped
        else:  # "L": moto keeps a None element as it is
            items: list[Any] = []
            for item in member:
                converted = None if item is None else _nested(item, base64)
                if converted is None and item is not None:
                    return None
                items.append(converted)
            out[name] = items
    return out


def _nested(value: Any, base64: Any) -> dict[str, Any] | None:
    """A map's or list's element: an AttributeValue dict, or None (moto's path) if not one."""
    return _attribute_value(value, base64) if type(value) is dict else None


def _dict_candidates(shape: Any, key: str) -> Iterator[str]:
    """The keys moto's default alias providers try on a plain dict, in their order.

    ExplicitAlias needs a ``Meta`` attribute, which a dict lacks; the others' rules
    are moto's, verbatim, with the object's class being ``dict``.
    """
    # ShapeNameAlias
    if shape is not None and shape.type_name in ("list", "structure"):
        try:
            sibling = shape.name in shape.parent.members
        except AttributeError:
            sibling = False
        if not sibling and key != shape.name:
            yield shape.name
    # NoAlias
    yield key
    # ShapePrefixAlias
    if shape is not None:
        parent = getattr(shape, "parent", None)
        if (
            parent is not None
            and parent.type_name == "structure"
            and key.lower().startswith(parent.name.lower())
            and key[len(parent.name) :] not in parent.members
        ):
            yield key[len(parent.name) :]
    # ClassPrefixAlias
    if key.lower().startswith("dict"):
        yield key[len("dict") :]
    # ModelAlias
    if shape is not None and shape.serialization.get("name", key) != key:
        yield shape.serialization["name"]


def _partition(table: Any, hash_key: Any) -> list[Any]:
    # .get: the items are a defaultdict, and a lookup must not create an empty partition.
    stored = table.items.get(hash_key) if hash_key is not None else None
    if stored is None:
        return []
    return list(stored.values()) if table.range_key_attr else [stored]


def _unsorted_items(table: Any) -> list[Any]:
    if table.range_key_attr:
        return [item for partition in table.items.values() for item in partition.values()]
    return list(table.items.values())


def _cache_condition_lexing(comparisons: Any) -> None:
    from collections import deque

    parser = comparisons.ConditionExpressionParser
    original = parser._lex_condition_expression
    tokens_by_text: dict[str, tuple[tuple[Any, Any, Any, Any], ...]] = {}

    def _lex_condition_expression(self: Any) -> Any:
        text = self.condition_expression
        tokens = tokens_by_text.get(text)
        if tokens is None:
            nodes = original(self)  # an invalid expression raises here, every time
            if len(tokens_by_text) < _CACHE_LIMIT and not any(n.children for n in nodes):
                tokens_by_text[text] = tuple(
                    (n.nonterminal, n.kind, n.text, n.value) for n in nodes
                )
            return nodes
        # Fresh nodes each time: later stages build on them.
        return deque(
            self.Node(nonterminal=nt, kind=kind, text=tx, value=value, children=[])
            for nt, kind, tx, value in tokens
        )

    parser._lex_condition_expression = _lex_condition_expression


#: The last few conditions parsed: enough for the items of one transaction.
_RECENT_CONDITIONS = 32


def _parse_a_requests_condition_once(comparisons: Any) -> None:
    """A request's condition is parsed once, not by the response layer and again by the backend.

    moto's response layer parses a ConditionExpression to check the names and
    values it uses, then hands the same expression, names and values (the same
    dict objects) to the backend, which parses them again to evaluate them (about
    60 us each for a three-clause condition). The parser made for those objects is
    kept, with its result, and handed out again for the very same objects; a new
    request brings new dicts, so it always gets a parser of its own. Holding the
    dicts keeps their ids from being reused while they are remembered.

    A condition without value placeholders (``attribute_not_exists(pk)``, the
    conditional put's and the claim's usual guard) parses the same for every
    request with the same names: it is parsed once per text and names. moto's
    evaluation only reads the parsed tree.
    """
    parser_class = comparisons.ConditionExpressionParser
    parse = parser_class.parse
    unparsed = object()

    def parse_once(self: Any) -> Any:
        found = self.__dict__.get("_trellis_parsed", unparsed)
        if found is unparsed:
            found = self._trellis_parsed = parse(self)
        return found

    recent: dict[tuple[Any, int, int], tuple[Any, Any, Any]] = {}
    without_values: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}

    def create_condition_expression_parser(expr: Any, names: Any, values: Any) -> Any:
        if isinstance(expr, str) and ":" not in expr:
            # No placeholder for a value (``attribute_not_exists(pk)``): what it parses to
            # depends on its text and names only, and is shared by every request that
            # sends them. Its parser holds no request's values.
            named = _string_pairs(names)
            if named is not None:
                shared = without_values.get((expr, named))
                if shared is None:
                    shared = parser_class(expr, dict(named), {})
                    if len(without_values) < _CACHE_LIMIT:
                        without_values[(expr, named)] = shared
                return shared
        key = (expr, id(names), id(values))
        found = recent.get(key)
        if found is not None and found[0] is names and found[1] is values:
            return found[2]
        if len(recent) >= _RECENT_CONDITIONS:
            recent.clear()
        made = parser_class(expr, names, values)
        recent[key] = (names, values, made)
        return made

    parser_class.parse = parse_once
    comparisons.create_condition_expression_parser = create_condition_expression_parser
    for name in ("moto.dynamodb.responses", "moto.dynamodb.models"):
        module: Any = importlib.import_module(name)
        module.create_condition_expression_parser = create_condition_expression_parser


def _string_pairs(names: Any) -> tuple[tuple[str, str], ...] | None:
    """``ExpressionAttributeNames`` as sorted pairs, or None if it is not a dict of strings."""
    if not names:
        return ()
    if not isinstance(names, dict) or not all(
        type(k) is str and type(v) is str for k, v in names.items()
    ):
        return None
    return tuple(sorted(names.items()))


def _cache_handler_method_names(responses: Any) -> None:
    original = responses.method_names_from_class
    names: dict[type, frozenset[str]] = {}

    def method_names_from_class(clazz: type) -> frozenset[str]:
        found = names.get(clazz)
        if found is None:
            # Classes are complete before the first request (patches included).
            found = names[clazz] = frozenset(original(clazz))
        return found

    responses.method_names_from_class = method_names_from_class


#: A SigV4 Authorization header's last part, which changes with every request.
_SIGNATURE_PART = re.compile(r", ?Signature=[0-9a-f]{64}\Z")


def _find_access_keys_once_per_credential(responses: Any) -> None:
    """Read the access key out of an Authorization header once per credential, not per request.

    moto's ``get_access_key`` runs ``AWS.*(?P<access_key>...)[:/]`` over the whole
    header, twice per request (once more through ``get_current_account``): the
    greedy ``.*`` backtracks across the signature, and for a key that is not 20
    capitals and digits (the local ``testing``) it tries every position before it
    fails: 8 us a search. What it finds lies before the signature (a key is
    followed by ``/`` or ``:``, which a signature of 64 hex digits at the end of
    the header never is), so the search runs once per header without it and is
    remembered; a header of another shape is searched as moto searches it.
    """
    base = responses.BaseResponse
    original = base.get_access_key
    found: dict[tuple[Any, str], re.Match[str] | None] = {}

    def get_access_key(self: Any) -> str:
        headers = self.headers
        if "Authorization" not in headers:
            return original(self)  # type: ignore[no-any-return]
        authorization = headers["Authorization"]
        signed = _SIGNATURE_PART.search(authorization)
        credential = authorization[: signed.start()] if signed else authorization
        key = (self.access_key_regex, credential)
        if key in found:
            match = found[key]
        else:
            match = self.access_key_regex.search(credential)
            if len(found) < _CACHE_LIMIT:
                found[key] = match
        if match is not None:
            return match.group(1)
        # moto's own fallbacks, as it takes them when its search finds nothing.
        if self.querystring.get("AWSAccessKeyId"):
            return self.querystring["AWSAccessKeyId"][0]  # type: ignore[no-any-return]
        return "AKIAEXAMPLE"

    base.get_access_key = get_access_key


class _LazyEc2Backends:
    """``moto.ec2.ec2_backends`` as ``moto.ssm.models`` holds it: EC2 loaded on first use."""

    def __getitem__(self, account_id: str) -> Any:
        return importlib.import_module("moto.ec2").ec2_backends[account_id]

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module("moto.ec2").ec2_backends, name)


def _defer_ec2_for_ssm() -> None:
    """Import ``moto.ssm.models`` without the EC2 backend it imports at the top.

    SSM reads EC2 only to find a Run Command's target instances; importing it
    built every region's zones through three boto3 sessions and loaded every
    instance type: 0.7 s, half the emulator's start, measured with ``-X
    importtime``. The module now holds a stand-in that imports EC2 the first
    time SSM asks for it.
    """
    if "moto.ssm.models" in sys.modules or "moto.ec2" in sys.modules:
        return
    stub = types.ModuleType("moto.ec2")
    stub.ec2_backends = _LazyEc2Backends()  # type: ignore[attr-defined]
    sys.modules["moto.ec2"] = stub
    try:
        importlib.import_module("moto.ssm.models")
    finally:
        if sys.modules.get("moto.ec2") is stub:
            del sys.modules["moto.ec2"]
