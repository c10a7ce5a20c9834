"""``resources.py`` of a service, rendered whole from the manifest on every command.

One accessor per use its kind has one for (publishers, topic publishing, secret
and parameter values: each kind's registry entry says), then the routing of the
queues the service consumes: ``sqs_consumer`` for the Lambda handler, ``lifespan``
(a consumer loop per queue) for a container.
"""

from __future__ import annotations

from typing import Any, Final

from trellis import naming
from trellis.kinds import Use
from trellis.manifest import Manifest
from trellis.scaffold._edits import ident
from trellis.scaffold._python import import_block, render_snippet
from trellis.scaffold._templates import render_template

#: The first line of the docstring of every file rendered from the manifest.
RENDERED_MARKER: Final = "Rendered from trellis.toml by `trellis"

#: What every resources.py imports, and what each runtime's routing adds.
_BASE_IMPORTS = (
    ("collections.abc", "Callable"),
    ("trellis.runtime", "AwsClients"),
    ("trellis.runtime", "SqsRecord"),
    ("{module}.settings", "Settings"),
)
_CONTAINER_IMPORTS = (
    ("threading", ""),
    ("collections.abc", "AsyncIterator"),
    ("contextlib", "AbstractAsyncContextManager"),
    ("contextlib", "asynccontextmanager"),
    ("fastapi", "FastAPI"),
    ("trellis.runtime.consumer", "QueueConsumer"),
)


def service_uses(manifest: Manifest, service: str) -> list[Use[Any]]:
    """Every use the service declares, with its resource's spec, in manifest order."""
    out: list[Use[Any]] = []
    for resource, levels in manifest.uses(service):
        _entry, spec = manifest.resource(resource)
        out.append(Use(manifest, service, resource, spec, tuple(levels)))
    return out


def consumed_queues(manifest: Manifest, service: str) -> list[str]:
    """The queues ``service`` consumes, in manifest order."""
    return [
        u.resource
        for u in service_uses(manifest, service)
        if manifest.kind_of(u.resource) == "queue" and "consume" in u.levels
    ]


def render_resources(manifest: Manifest, service: str) -> str:
    """``resources.py`` of ``service``: its accessors, and the routing of consumed queues."""
    module = naming.service_module(service)
    lam = manifest.services[service].runtime == "lambda"
    consumed = consumed_queues(manifest, service)
    imports: list[tuple[str, str]] = [*_BASE_IMPORTS, *(() if lam else _CONTAINER_IMPORTS)]
    if consumed:
        imports.append(("{module}", "consumers"))
    functions = []
    for use in service_uses(manifest, service):
        entry, _spec = manifest.resource(use.resource)
        snippet = entry.accessor(use)
        if snippet is not None:
            imports.extend(snippet.imports)
            functions.append(render_snippet(snippet))
    functions.append(_queue_handlers(consumed))
    functions.append(
        render_template("resources/sqs_consumer.py.tmpl" if lam else "resources/lifespan.py.tmpl")
    )
    return render_template(
        "resources/resources.py.tmpl",
        service=service,
        marker=RENDERED_MARKER,
        imports=import_block(imports, module),
        functions="".join(f"\n\n{text}" for text in functions),
    )


def _queue_handlers(consumed: list[str]) -> str:
    if not consumed:
        body = "return {}"
    else:
        entries = "".join(
            render_template(
                "resources/queue_handler_entry.py.tmpl",
                queue=queue,
                ident=ident(queue),
                field=naming.settings_field_name("queue", queue),
            )
            for queue in consumed
        )
        body = render_template("resources/queue_handlers_bound.py.tmpl", entries=entries)
    return render_template("resources/queue_handlers.py.tmpl", body=body)
