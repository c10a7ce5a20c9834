"""Service code that follows the manifest: settings fields, queue handlers, accessors, tests.

Two kinds of file:

- the user's own files, edited in place and only where needed: ``settings.py``
  gets (or loses) one typed field per resource, located with the ``ast`` module;
  ``consumers.py`` gets a ``handle_<queue>`` function for each consumed queue;
- rendered files, rewritten whole from the manifest on every command and marked
  as such in their first line: ``resources.py`` (accessors, queue routing) and
  ``tests/test_<service>_resources.py`` (the service reaches each resource it
  uses with its own least-privilege key, and nothing more is needed).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Final

from trellis import naming
from trellis.manifest import Manifest, Table
from trellis.naming import ResourceKind
from trellis.scaffold._format import format_python
from trellis.scaffold._plan import ScaffoldError
from trellis.scaffold._templates import render_template

RENDERED_MARKER: Final = "Rendered from trellis.toml by `trellis"


def ident(name: str) -> str:
    """A resource or service name as a Python identifier: ``job-records`` → ``job_records``."""
    return naming.service_module(name)


# --- settings.py ----------------------------------------------------------------------


def _settings_class(tree: ast.Module, rel: str) -> ast.ClassDef:
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    for cls in classes:
        if cls.name == "Settings":
            return cls
    for cls in classes:
        if any(isinstance(b, ast.Name) and b.id == "ServiceSettings" for b in cls.bases):
            return cls
    raise ScaffoldError(f"{rel}: no `class Settings(ServiceSettings)` to add the field to")


def _fields(cls: ast.ClassDef) -> dict[str, ast.AnnAssign]:
    return {
        n.target.id: n
        for n in cls.body
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
    }


def _parse(text: str, rel: str) -> ast.Module:
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        raise ScaffoldError(f"{rel}: not valid Python ({exc.msg}, line {exc.lineno})") from None


def add_settings_field(text: str, field: str, rel: str) -> str:
    """``text`` with ``field: str`` as the last field of its Settings class (unchanged if there)."""
    cls = _settings_class(_parse(text, rel), rel)
    if field in _fields(cls):
        return text
    lines = text.splitlines(keepends=True)
    last = cls.body[-1]
    indent = " " * cls.body[0].col_offset
    assert last.end_lineno is not None
    new = [f"{indent}{field}: str\n"]
    is_docstring_only = (
        len(cls.body) == 1
        and isinstance(last, ast.Expr)
        and isinstance(last.value, ast.Constant)
        and isinstance(last.value.value, str)
    )
    if is_docstring_only:
        new.insert(0, "\n")
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines[: last.end_lineno] + new + lines[last.end_lineno :])


def remove_settings_field(text: str, field: str, rel: str) -> str:
    """``text`` without the ``field`` annotation of its Settings class (unchanged if absent)."""
    cls = _settings_class(_parse(text, rel), rel)
    node = _fields(cls).get(field)
    if node is None:
        return text
    assert node.end_lineno is not None
    lines = text.splitlines(keepends=True)
    start, end = node.lineno - 1, node.end_lineno
    rest = lines[end:]
    if start > 0 and not lines[start - 1].strip() and (not rest or not rest[0].strip()):
        start -= 1  # the field was the last of a group: drop the blank line before it too
    return "".join(lines[:start] + rest)


# --- consumers.py -------------------------------------------------------------------


def consumers_header(service: str) -> str:
    return render_template(
        "service/consumers.py.tmpl", service=service, module=naming.service_module(service)
    )


def handler_snippet(queue: str) -> str:
    text = render_template(
        "service/consumer_handler.py.tmpl", queue=queue, queue_ident=ident(queue)
    )
    return "\n\n" + format_python(text, "consumers.py")


def _functions(text: str, rel: str) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in _parse(text, rel).body if isinstance(n, ast.FunctionDef)}


def add_queue_handler(text: str | None, service: str, queue: str, rel: str) -> str:
    """``consumers.py`` with a ``handle_<queue>`` function (created with its header if new)."""
    base = text if text is not None else consumers_header(service)
    if f"handle_{ident(queue)}" in _functions(base, rel):
        return base
    return base.rstrip("\n") + "\n" + handler_snippet(queue)


def remove_queue_handler(text: str, service: str, queue: str, rel: str) -> tuple[str | None, bool]:
    """``consumers.py`` without the handler if it is still as generated.

    Returns ``(new text or None to delete the file, whether a hand-edited handler was kept)``.
    """
    snippet = handler_snippet(queue)
    if snippet in text:
        text = text.replace(snippet, "\n" if text.endswith(snippet) else "", 1)
        text = text.rstrip("\n") + "\n"
    kept = f"handle_{ident(queue)}" in _functions(text, rel)
    if text == consumers_header(service):
        return None, kept
    return text, kept


# --- resources.py (rendered) -------------------------------------------------------

_HEADER = '''"""Accessors for the resources trellis.toml gives the {service} service.

{marker} new|add|remove`: do not edit. Queue handlers
live in consumers.py; settings.py holds one typed field per resource.
"""

from __future__ import annotations
'''


def _uses(manifest: Manifest, service: str) -> list[tuple[ResourceKind, str, list[str]]]:
    out: list[tuple[ResourceKind, str, list[str]]] = []
    for resource, levels in manifest.uses(service):
        kind = manifest.kind_of(resource)
        assert kind is not None
        out.append((kind, resource, levels))
    return out


def consumed_queues(manifest: Manifest, service: str) -> list[str]:
    return [r for k, r, levels in _uses(manifest, service) if k == "queue" and "consume" in levels]


def render_resources(manifest: Manifest, service: str) -> str:
    """``resources.py`` of ``service``: publishers, and the routing of consumed queues."""
    module = naming.service_module(service)
    runtime = manifest.services[service].runtime
    uses = _uses(manifest, service)
    sent = [r for k, r, levels in uses if k == "queue" and "send" in levels]
    consumed = consumed_queues(manifest, service)

    stdlib = ["from collections.abc import Callable"]
    if runtime != "lambda":
        stdlib = [
            "import threading",
            "from collections.abc import AsyncIterator, Callable",
            "from contextlib import AbstractAsyncContextManager, asynccontextmanager",
        ]
    third = []
    if runtime != "lambda":
        third.append("from fastapi import FastAPI")
    secure = any(k == "parameter" and manifest.parameters[r].secure for k, r, _levels in uses)
    runtime_names = ["AwsClients", *(["DependencyUnavailable"] if secure else []), "SqsRecord"]
    third.append(f"from trellis.runtime import {', '.join(runtime_names)}")
    if runtime != "lambda":
        third.append("from trellis.runtime.consumer import QueueConsumer")
    if sent:
        third.append("from trellis.runtime.queues import Publisher")
    first = []
    if consumed:
        first.append(f"from {module} import consumers")
    first.append(f"from {module}.settings import Settings")

    parts = [
        _HEADER.format(service=service, marker=RENDERED_MARKER),
        "\n".join(stdlib) + "\n",
        "\n".join(third) + "\n",
        "\n".join(first) + "\n",
        "#: A queue handler, as the consumer loop and the Lambda handler call it.\n"
        "QueueHandler = Callable[[SqsRecord], None]\n",
    ]
    for queue in sent:
        field = naming.settings_field_name("queue", queue)
        parts.append(
            f"\ndef {ident(queue)}_publisher(\n"
            "    settings: Settings,\n"
            "    clients: AwsClients,\n"
            ") -> Publisher:\n"
            f'    """Sends messages to the ``{queue}`` queue (1 MiB each, batches of 10)."""\n'
            f"    return Publisher(clients.sqs, settings.{field})\n"
        )
    for kind, name, _levels in uses:
        accessor = _ACCESSORS.get(kind)
        if accessor is not None:
            parts.append(accessor(manifest, name))
    parts.append(_queue_handlers(consumed))
    if runtime == "lambda":
        parts.append(_SQS_CONSUMER)
    else:
        parts.append(_LIFESPAN)
    return "\n".join(parts)


def _topic_accessor(manifest: Manifest, name: str) -> str:
    field = naming.settings_field_name("topic", name)
    fifo = manifest.topics[name].fifo
    return (
        f"\ndef {ident(name)}_publish(\n"
        "    settings: Settings,\n"
        "    clients: AwsClients,\n"
        "    message: str,\n" + ("    group_id: str,\n" if fifo else "") + ") -> str:\n"
        f'    """Publishes ``message`` to the ``{name}`` topic; returns its message id."""\n'
        "    response = clients.sns.publish(\n"
        f"        TopicArn=settings.{field},\n"
        "        Message=message,\n"
        + ("        MessageGroupId=group_id,\n" if fifo else "")
        + "    )\n"
        '    return response["MessageId"]\n'
    )


def _secret_accessor(manifest: Manifest, name: str) -> str:
    field = naming.settings_field_name("secret", name)
    return (
        f"\ndef {ident(name)}_secret(\n"
        "    settings: Settings,\n"
        "    clients: AwsClients,\n"
        ") -> str:\n"
        f'    """The ``{name}`` secret\'s value: read it when needed (it may be rotated)."""\n'
        "    response = clients.secretsmanager.get_secret_value(\n"
        f"        SecretId=settings.{field},\n"
        "    )\n"
        '    return response["SecretString"]\n'
    )


#: What terraform/modules/ssm-parameter writes into a secure parameter until it is set.
UNSET_PARAMETER_VALUE: Final = "trellis:unset"


def _parameter_accessor(manifest: Manifest, name: str) -> str:
    field = naming.settings_field_name("parameter", name)
    if not manifest.parameters[name].secure:
        return (
            f"\ndef {ident(name)}_parameter(\n"
            "    settings: Settings,\n"
            "    clients: AwsClients,\n"
            ") -> str:\n"
            f'    """The ``{name}`` parameter\'s value (Parameter Store)."""\n'
            "    response = clients.ssm.get_parameter(\n"
            f"        Name=settings.{field},\n"
            "    )\n"
            '    return response["Parameter"]["Value"]\n'
        )
    # Terraform creates a secure parameter with a placeholder; `trellis parameter set`
    # gives it its value. Until then the service answers 503, never the placeholder.
    return (
        f"\ndef {ident(name)}_parameter(\n"
        "    settings: Settings,\n"
        "    clients: AwsClients,\n"
        ") -> str:\n"
        f'    """The ``{name}`` parameter\'s value (Parameter Store, decrypted)."""\n'
        "    response = clients.ssm.get_parameter(\n"
        f"        Name=settings.{field},\n"
        "        WithDecryption=True,\n"
        "    )\n"
        '    value: str = response["Parameter"]["Value"]\n'
        f"    if value == {UNSET_PARAMETER_VALUE!r}:\n"
        "        raise DependencyUnavailable(\n"
        f'            "parameter {name} has no value yet (trellis parameter set {name} --env ...)"\n'
        "        )\n"
        "    return value\n"
    )


_ACCESSORS: Final[dict[str, Callable[[Manifest, str], str]]] = {
    "topic": _topic_accessor,
    "secret": _secret_accessor,
    "parameter": _parameter_accessor,
}


def _queue_handlers(consumed: list[str]) -> str:
    head = (
        "\ndef queue_handlers(\n"
        "    settings: Settings,\n"
        "    clients: AwsClients,\n"
        ") -> dict[str, tuple[str, QueueHandler]]:\n"
        '    """``queue → (queue URL, handler)`` for every queue this service consumes."""\n'
    )
    if not consumed:
        return head + "    return {}\n"
    entries = "".join(
        f'        "{queue}": (\n'
        f"            settings.{naming.settings_field_name('queue', queue)},\n"
        f"            bind(consumers.handle_{ident(queue)}),\n"
        "        ),\n"
        for queue in consumed
    )
    bind = (
        "\n    def bind(handle: Callable[[SqsRecord, Settings, AwsClients], None]) -> QueueHandler:\n"
        "        return lambda record: handle(record, settings, clients)\n\n"
    )
    return head + bind + "    return {\n" + entries + "    }\n"


_SQS_CONSUMER = '''
def sqs_consumer(settings: Settings, clients: AwsClients) -> QueueHandler | None:
    """What the Lambda handler runs per SQS record: the handler of the record's queue."""
    by_name = {
        url.rsplit("/", 1)[-1]: handle for url, handle in queue_handlers(settings, clients).values()
    }
    if not by_name:
        return None

    def consume(record: SqsRecord) -> None:
        by_name[record.queue_name](record)

    return consume
'''

_LIFESPAN = '''
def lifespan(
    settings: Settings, clients: AwsClients
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Runs a consumer loop per queue in ``TRELLIS_CONSUMES`` while the app serves."""

    @asynccontextmanager
    async def run(_app: FastAPI) -> AsyncIterator[None]:
        consumed = {q for q in settings.trellis_consumes.split(",") if q}
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=QueueConsumer(
                    clients.sqs, url, handle, concurrency=settings.consumer_concurrency
                ).run,
                args=(stop,),
                name=f"{queue}-consumer",
                daemon=True,
            )
            for queue, (url, handle) in queue_handlers(settings, clients).items()
            if queue in consumed
        ]
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)

    return run
'''


# --- tests/test_<service>_resources.py (rendered) -------------------------------------

_KEY_VALUE = {"S": '{"S": "probe"}', "N": '{"N": "0"}', "B": '{"B": b"probe"}'}


def _call(target: str, *args: str, indent: str = "    ") -> str:
    """``target(args)`` exploded one argument a line with a trailing comma: stable under ruff format."""
    body = "".join(f"{indent}    {arg},\n" for arg in args)
    return f"{indent}{target}(\n{body}{indent})\n"


def _table_key(spec: Table) -> str:
    pairs = [f'"{spec.hash_key}": {_KEY_VALUE[spec.hash_key_type]}']
    if spec.range_key:
        pairs.append(f'"{spec.range_key}": {_KEY_VALUE[spec.range_key_type]}')
    return "{" + ", ".join(pairs) + "}"


def _probe(manifest: Manifest, service: str, kind: ResourceKind, name: str, level: str) -> str:
    """The body of one test: the service's own key does what ``level`` allows."""
    field = f"settings.{naming.settings_field_name(kind, name)}"
    sid = ident(name)
    if kind == "queue" and level == "send":
        fifo = (
            ['group_id="probe"', 'deduplication_id="probe"'] if manifest.queues[name].fifo else []
        )
        return (
            f"    publisher = resources.{sid}_publisher(settings, AwsClients(settings))\n"
            + _call("message_id = publisher.send", f'\'{{"probe": "{name}"}}\'', *fifo)
            + f"    assert message_id in received_ids(world, {field})\n"
        )
    if kind == "queue" and level == "consume":
        fifo = (
            ['MessageGroupId="probe"', 'MessageDeduplicationId="probe"']
            if manifest.queues[name].fifo
            else []
        )
        if manifest.services[service].runtime == "lambda":
            runner = (
                "    response = build_handler(settings, clients)(event, None)\n"
                '    assert response == {"batchItemFailures": []}\n'
            )
        else:
            runner = (
                f'    handle = resources.queue_handlers(settings, clients)["{name}"][1]\n'
                '    handle(SqsRecord.from_event(event["Records"][0]))\n'
            )
        return (
            _call(
                'world.admin("sqs").send_message',
                f"QueueUrl={field}",
                "MessageBody='{\"probe\": 1}'",
                *fifo,
            )
            + "    clients = AwsClients(settings)\n"
            + "    # Received and deleted with the service's own key, as the event source mapping does.\n"
            + f"    event = receive_event(world, clients, {field})\n"
            + runner
            + _call(
                "clients.sqs.delete_message",
                f"QueueUrl={field}",
                'ReceiptHandle=event["Records"][0]["receiptHandle"]',
            )
        )
    if kind == "table":
        key = _table_key(manifest.tables[name])
        lines = ["    dynamodb = AwsClients(settings).dynamodb\n"]
        if level in ("write", "readwrite"):
            lines.append(_call("dynamodb.put_item", f"TableName={field}", f"Item={key}"))
        if level in ("read", "readwrite"):
            lines.append(_call("dynamodb.get_item", f"TableName={field}", f"Key={key}"))
        if level == "write":
            lines.append(
                _call(
                    'stored = world.admin("dynamodb").get_item', f"TableName={field}", f"Key={key}"
                )
                + '    assert "Item" in stored\n'
            )
        if level in ("get", "update"):
            # The item exists first (the administrator writes it): get/update do not create.
            admin_put = _call(
                'world.admin("dynamodb").put_item', f"TableName={field}", f"Item={key}"
            )
            lines.insert(0, admin_put)
        if level == "get":
            lines.append(
                _call("found = dynamodb.get_item", f"TableName={field}", f"Key={key}")
                + '    assert "Item" in found\n'
            )
        if level == "update":
            lines.append(
                _call(
                    "dynamodb.update_item",
                    f"TableName={field}",
                    f"Key={key}",
                    'UpdateExpression="SET probe = :v"',
                    'ExpressionAttributeValues={":v": {"S": "updated"}}',
                )
                + _call(
                    'stored = world.admin("dynamodb").get_item', f"TableName={field}", f"Key={key}"
                )
                + '    assert stored["Item"]["probe"] == {"S": "updated"}\n'
            )
        return "".join(lines)
    if kind == "bucket":
        lines = ["    s3 = AwsClients(settings).s3\n"]
        if level in ("write", "readwrite"):
            lines.append(
                _call("s3.put_object", f"Bucket={field}", 'Key="probe.txt"', 'Body=b"probe"')
            )
        if level in ("read", "readwrite"):
            lines.append(_call("s3.list_objects_v2", f"Bucket={field}"))
        return "".join(lines)
    if kind == "topic":
        fifo = ['group_id="probe"'] if manifest.topics[name].fifo else []
        return (
            _call(
                f"message_id = resources.{sid}_publish",
                "settings",
                "AwsClients(settings)",
                '"probe"',
                *fifo,
            )
            + "    assert message_id\n"
        )
    if kind == "secret":
        local = manifest.secrets[name].local_value
        expected = f" == {local!r}" if local is not None else ""
        return (
            f"    value = resources.{sid}_secret(settings, AwsClients(settings))\n"
            f"    assert value{expected}\n"
        )
    if kind == "parameter":
        spec = manifest.parameters[name]
        # A secure parameter's local value is its local_value, or a random one.
        value = spec.local_value if spec.secure else spec.value
        expected = f" == {value!r}" if value is not None else ""
        return (
            f"    value = resources.{sid}_parameter(settings, AwsClients(settings))\n"
            f"    assert value{expected}\n"
        )
    raise ScaffoldError(f"no probe for {kind} access {level!r}")  # pragma: no cover


_VERB = {
    "send": "sends to",
    "consume": "consumes",
    "read": "reads",
    "get": "looks up items of",
    "update": "updates items of",
    "write": "writes",
    "readwrite": "reads and writes",
    "publish": "publishes to",
}

_TEST_HELPERS = '''

def received_ids(world: ServiceEnvironment, queue_url: str) -> list[str]:
    """Ids of the messages in a queue, read with the administrator's key."""
    sqs = world.admin("sqs")
    response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    return [m["MessageId"] for m in response.get("Messages", [])]


def receive_event(world: ServiceEnvironment, clients: AwsClients, queue_url: str) -> dict[str, Any]:
    """One message received with the service's key, as the SQS event Lambda would get."""
    response = clients.sqs.receive_message(
        QueueUrl=queue_url, AttributeNames=["All"], MessageAttributeNames=["All"], WaitTimeSeconds=2
    )
    (message,) = response["Messages"]
    arn = world.admin("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    record = sqs_record(cast(dict[str, Any], message), arn["Attributes"]["QueueArn"], world.emulator.region)
    return {"Records": [record]}
'''


def render_resource_tests(manifest: Manifest, service: str) -> str | None:
    """The service's contract with its resources, one test per use; None when it uses nothing."""
    uses = _uses(manifest, service)
    if not uses:
        return None
    module = naming.service_module(service)
    runtime = manifest.services[service].runtime
    tests: list[str] = []
    sent = consumed = False
    for kind, name, levels in uses:
        for level in levels:
            sent |= kind == "queue" and level == "send"
            consumed |= kind == "queue" and level == "consume"
            test_name = f"test_{_VERB[level].replace(' ', '_')}_the_{ident(name)}_{kind}"
            body = _probe(manifest, service, kind, name, level)
            world = "world = " if "world" in body else ""
            tests.append(
                f"\n\ndef {test_name}(trellis_service: ServiceFixture) -> None:\n"
                f'    {world}trellis_service("{service}")\n'
                "    settings = load_settings(Settings, reload=True)\n" + body
            )
    imports = ["from __future__ import annotations", ""]
    std = ["from collections.abc import Callable"]
    if consumed:
        std.append("from typing import Any, cast")
    imports += [*std, ""]
    third = []
    if consumed:
        third.append("from trellis.local.event_source import sqs_record")
    runtime_names = ["AwsClients", "load_settings"]
    if consumed and runtime != "lambda":
        runtime_names.insert(1, "SqsRecord")
    third.append(f"from trellis.runtime import {', '.join(runtime_names)}")
    third.append("from trellis.testing import ServiceEnvironment")
    imports += [*third, ""]
    first = []
    accessed = any(k in _ACCESSORS for k, _name, _levels in uses)
    if sent or accessed or (consumed and runtime != "lambda"):
        first.append(f"from {module} import resources")
    if consumed and runtime == "lambda":
        first.append(f"from {module}.app import build_handler")
    first.append(f"from {module}.settings import Settings")
    imports += first
    doc = (
        f'"""The {service} service reaches each resource trellis.toml gives it, with its own key.\n\n'
        "The key carries exactly the IAM policy derived from the manifest (enforced by the\n"
        "emulator), so a missing permission fails here, not in AWS.\n\n"
        f"{RENDERED_MARKER} new|add|remove`: do not edit;\n"
        'write your own tests next to it.\n"""\n\n'
    )
    cut = _TEST_HELPERS.index("\n\ndef receive_event")
    helpers = (_TEST_HELPERS[:cut] if sent else "") + (_TEST_HELPERS[cut:] if consumed else "")
    return (
        doc
        + "\n".join(imports)
        + "\n\nServiceFixture = Callable[..., ServiceEnvironment]\n"
        + (helpers.rstrip("\n") + "\n" if helpers else "")
        + "".join(tests)
    )
