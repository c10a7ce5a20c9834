"""``tests/test_<service>_resources.py``, rendered whole from the manifest on every command.

One test per (resource, access level) the service declares: the service's own
key (exactly its derived policy, enforced by the emulator) does what the level
allows. Each test's body is its kind's probe (the registry entry picks the
template); the helpers and imports the probes need are gathered here.
"""

from __future__ import annotations

from trellis import naming
from trellis.manifest import Manifest
from trellis.scaffold._edits import ident
from trellis.scaffold._python import import_block, render_snippet
from trellis.scaffold._resources_module import RENDERED_MARKER, service_uses
from trellis.scaffold._templates import render_template

_BASE_IMPORTS = (
    ("collections.abc", "Callable"),
    ("trellis.runtime", "AwsClients"),
    ("trellis.runtime", "load_settings"),
    ("trellis.testing", "ServiceEnvironment"),
    ("{module}.settings", "Settings"),
)
#: What each test helper needs, by name (its template is ``tests/<name>.py.tmpl``).
_HELPER_IMPORTS: dict[str, tuple[tuple[str, str], ...]] = {
    "received_ids": (),
    "receive_event": (
        ("typing", "Any"),
        ("typing", "cast"),
        ("trellis.local.event_source", "sqs_record"),
    ),
}


def render_resource_tests(manifest: Manifest, service: str) -> str | None:
    """The service's contract with its resources, one test per use; None when it uses nothing."""
    uses = service_uses(manifest, service)
    if not uses:
        return None
    imports: list[tuple[str, str]] = list(_BASE_IMPORTS)
    helpers: dict[str, None] = {}
    tests = []
    for use in uses:
        entry, _spec = manifest.resource(use.resource)
        for level in use.levels:
            snippet = entry.probe(use, level)
            imports.extend(snippet.imports)
            helpers.update(dict.fromkeys(snippet.helpers))
            body = render_snippet(snippet)
            verb = entry.verbs[level].replace(" ", "_")
            tests.append(
                render_template(
                    "tests/probe_test.py.tmpl",
                    test=f"test_{verb}_the_{ident(use.resource)}_{entry.name}",
                    world="world = " if "world" in body else "",
                    service=service,
                    body=body,
                )
            )
    # Helpers in a fixed order, whatever order the probes ask for them.
    ordered = [name for name in _HELPER_IMPORTS if name in helpers]
    for name in ordered:
        imports.extend(_HELPER_IMPORTS[name])
    return render_template(
        "tests/resource_tests.py.tmpl",
        service=service,
        marker=RENDERED_MARKER,
        imports=import_block(imports, naming.service_module(service)),
        helpers="".join(render_template(f"tests/{name}.py.tmpl") for name in ordered),
        tests="".join(tests),
    )
