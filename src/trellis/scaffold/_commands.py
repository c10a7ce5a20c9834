"""The plans of ``trellis init``, ``new service``, ``add`` and ``remove``.

Each function reads the tree, computes every file the command changes (the
manifest, service code, rendered Terraform) in a :class:`Plan`, validates the
new manifest and renders it, and returns the plan without writing anything.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

from trellis import kinds, naming
from trellis.kinds import BUCKET, BUS, SCHEDULE, TOPIC, ResourceKind
from trellis.manifest import VISIBILITY_TO_TIMEOUT_RATIO, AuthMode, Manifest, Runtime
from trellis.manifest import load_manifest_text as _load
from trellis.scaffold import _edits
from trellis.scaffold._assets import terraform_files, trellis_source
from trellis.scaffold._format import format_python
from trellis.scaffold._manifest_edit import ManifestEditor, toml_item
from trellis.scaffold._plan import Plan, ScaffoldError
from trellis.scaffold._resource_tests import render_resource_tests
from trellis.scaffold._resources_module import RENDERED_MARKER, consumed_queues, render_resources
from trellis.scaffold._templates import render_template

#: Where ``trellis new service`` puts a service.
SERVICES_DIR: Final = "backend"
_PROJECT_RE: Final = re.compile(r"[^a-z0-9-]+")


def _manifest(editor: ManifestEditor) -> Manifest:
    editor.validate()
    return _load(editor.text())


def _render_terraform(plan: Plan, manifest: Manifest, manifest_name: str) -> None:
    """Put the Terraform `trellis generate` would write into the plan."""
    from trellis.infra import rendered_files

    # A manifest that validates always renders (tests/infra/test_render_properties.py).
    files = rendered_files(plan.root, manifest, manifest_name)
    for rel, text in files.items():
        if text is None:
            plan.delete(rel)
        else:
            plan.write(rel, text)


def _write_new(plan: Plan, rel: str, text: str) -> None:
    """Create ``rel`` unless it exists: the user's files are never overwritten."""
    if plan.current(rel) is None:
        plan.write(rel, format_python(text, rel) if rel.endswith(".py") and text else text)


# --- paths of a service's code ------------------------------------------------------------


def _code_dir(manifest: Manifest, service: str) -> str:
    return f"{manifest.service_path(service)}/{naming.service_module(service)}"


def _settings_path(manifest: Manifest, service: str) -> str:
    return f"{_code_dir(manifest, service)}/settings.py"


def _resources_path(manifest: Manifest, service: str) -> str:
    return f"{_code_dir(manifest, service)}/resources.py"


def _consumers_path(manifest: Manifest, service: str) -> str:
    return f"{_code_dir(manifest, service)}/consumers.py"


def _resource_tests_path(manifest: Manifest, service: str) -> str:
    return (
        f"{manifest.service_path(service)}/tests/test_{naming.service_module(service)}_resources.py"
    )


def _scaffolded(plan: Plan, manifest: Manifest, service: str) -> bool:
    """Whether the service's code came from `trellis new` (it has the rendered resources.py)."""
    text = plan.current(_resources_path(manifest, service))
    return text is not None and RENDERED_MARKER in text


_TRELLIS_DEPENDENCY = re.compile(r'"trellis(\[[a-z0-9,-]*\])?"')


def _sync_dependencies(plan: Plan, manifest: Manifest, service: str) -> None:
    """The service's ``trellis`` dependency with the extras its kinds need (a database's driver).

    Only the rendered form (``"trellis"`` or ``"trellis[...]"`` in ``dependencies``) is
    rewritten; a dependency written otherwise is the owner's and is left alone.
    """
    rel = f"{manifest.service_path(service)}/pyproject.toml"
    text = plan.current(rel)
    if text is None:
        return
    extras = sorted(
        {
            extra
            for resource in manifest.services[service].uses
            if (extra := manifest.resource(resource)[0].runtime_extra) is not None
        }
    )
    wanted = f'"trellis[{",".join(extras)}]"' if extras else '"trellis"'
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("dependencies = [") and _TRELLIS_DEPENDENCY.search(line):
            lines[i] = _TRELLIS_DEPENDENCY.sub(wanted, line, count=1)
            break
    new = "".join(lines)
    if new != text:
        plan.write(rel, new)


def _sync_service_code(plan: Plan, manifest: Manifest, service: str) -> None:
    """Re-render the service's resources.py and resource tests from ``manifest``."""
    _sync_dependencies(plan, manifest, service)
    resources = _resources_path(manifest, service)
    plan.write(resources, format_python(render_resources(manifest, service), resources))
    tests = render_resource_tests(manifest, service)
    rel = _resource_tests_path(manifest, service)
    if tests is not None:
        plan.write(rel, format_python(tests, rel))
    elif plan.current(rel) is not None:
        plan.delete(rel)


# --- trellis init ---------------------------------------------------------------------------


def default_project_name(directory: Path) -> str:
    name = _PROJECT_RE.sub("-", directory.resolve().name.lower()).strip("-")
    if not name or not name[0].isalpha():
        name = f"app-{name}".rstrip("-")
    return name[:24].rstrip("-")


def plan_init(
    target: Path,
    *,
    project: str | None = None,
    region: str = "us-east-1",
    github_repository: str | None = None,
    environments: tuple[str, ...] = ("dev", "test", "prod"),
    service: str = "api",
    runtime: Runtime = "lambda",
    route: str | None = None,
    auth: AuthMode = "jwt",
    source: str | None = None,
) -> Plan:
    """A new project in ``target``: manifest, Makefile, README, CI, Terraform, one service."""
    plan = Plan(target)
    if (target / "trellis.toml").exists():
        plan.notes.append(f"{target}/trellis.toml exists: already a Trellis project")
        return plan
    project = project or default_project_name(target)
    values = {
        "project": project,
        "region": region,
        "github_repository": github_repository or f"your-org/{project}",
        "environments": ", ".join(f'"{e}"' for e in environments),
        "trellis_source": trellis_source(source),
        "service": service,
    }
    manifest_text = render_template("project/trellis.toml.tmpl", **values)
    try:
        _load(manifest_text)
    except ValueError as exc:
        hint = " (pick one with --name)" if "project.name" in str(exc) else ""
        raise ScaffoldError(f"{exc}{hint}") from None
    plan.write("trellis.toml", manifest_text)
    for name, rel in (
        ("project/pyproject.toml.tmpl", "pyproject.toml"),
        ("project/Makefile.tmpl", "Makefile"),
        ("project/README.md.tmpl", "README.md"),
        ("project/gitignore.tmpl", ".gitignore"),
        ("project/github/ci.yml.tmpl", ".github/workflows/ci.yml"),
    ):
        plan.write(rel, render_template(name, **values))
    for rel, text in terraform_files().items():
        plan.write(rel, text)
    plan_new_service(
        plan, "trellis.toml", service, runtime=runtime, route=route, auth=auth, first=True
    )
    clashes = [rel for rel, text in plan.files.items() if (target / rel).exists()]
    if clashes:
        shown = ", ".join(sorted(clashes)[:5]) + (", ..." if len(clashes) > 5 else "")
        raise ScaffoldError(f"{target} already has files init would write: {shown}")
    plan.next_steps = [
        f"cd {target}",
        "make test                       # installs, lints, type-checks, runs the tests",
        "make dev                        # the stack on the local AWS emulator",
        "uv run trellis new service NAME --runtime lambda|ecs-express",
        "uv run trellis add queue NAME --send SERVICE --consume SERVICE",
    ]
    if github_repository is None:
        plan.notes.append(
            f"project.github_repository is a placeholder (your-org/{project}): set it before deploying"
        )
    if auth == "jwt":
        plan.notes.append(_JWT_NOTE)
    return plan


#: ``[auth.jwt]`` of a new project: a placeholder issuer, valid but owned by nobody.
PLACEHOLDER_ISSUER = "https://issuer.example.com/"
_JWT_NOTE = (
    f"auth.jwt.issuer is a placeholder ({PLACEHOLDER_ISSUER}): set your OIDC issuer (e.g. a "
    "Cognito user pool) before deploying; locally `uv run trellis token` prints a token"
)


# --- trellis new service ------------------------------------------------------------------


def plan_new_service(
    plan: Plan,
    manifest_name: str,
    name: str,
    *,
    runtime: Runtime = "lambda",
    route: str | None = None,
    auth: AuthMode = "jwt",
    first: bool = False,
) -> Plan:
    """Add ``name`` to the manifest and create ``backend/<name>/`` (only files not there yet).

    ``first``: the service ``trellis init`` creates (its Terraform may be left to ``make generate``).
    """
    text = plan.current(manifest_name)
    if text is None:
        raise ScaffoldError(f"{plan.root / manifest_name}: no such file (run `trellis init` first)")
    editor = ManifestEditor(text)
    route = route or f"/{name}"
    existing = editor.section("services")
    if existing is not None and name in existing:
        spec = existing[name]
        if spec.get("runtime") != runtime:
            raise ScaffoldError(
                f"services.{name} exists with runtime {spec.get('runtime')!r}, not {runtime!r}"
            )
        if spec.get("route") not in (None, route):
            raise ScaffoldError(f"services.{name} exists with route {spec.get('route')!r}")
        manifest = _manifest(editor)
    else:
        path = f"{SERVICES_DIR}/{name}"
        if (plan.root / path).exists():
            raise ScaffoldError(f"{path} exists but services.{name} is not in {manifest_name}")
        editor.add_table(
            "services",
            name,
            {"runtime": runtime, "path": path, "route": route, "auth": auth, "uses": {}},
        )
        auth_section = editor.section("auth")
        if auth == "jwt" and (auth_section is None or "jwt" not in auth_section):
            editor.add_table(
                "auth",
                "jwt",
                {
                    "issuer": PLACEHOLDER_ISSUER,
                    "audience": [str(editor.section("project")["name"])],
                },
            )
            plan.notes.append(_JWT_NOTE)
        manifest = _manifest(editor)
        plan.write(manifest_name, editor.text())
    path = manifest.service_path(name)
    module = naming.service_module(name)
    spec = manifest.services[name]
    values = {
        "service": name,
        "module": module,
        "project": manifest.project.name,
        "route": spec.route or route,
        "runtime": runtime,
        "port": str(spec.port),
    }
    lam = runtime == "lambda"
    files = {
        "pyproject.toml": "service/pyproject.toml.tmpl",
        f"{module}/__init__.py": None,
        f"{module}/settings.py": "service/settings.py.tmpl",
        f"{module}/app.py": "service/app.py.tmpl" if lam else "service/app_container.py.tmpl",
        f"{module}/main.py": "service/main.py.tmpl",
        f"tests/test_{module}_app.py": "service/test_app.py.tmpl"
        if lam
        else "service/test_app_container.py.tmpl",
    }
    if lam:
        files[f"{module}/handler.py"] = "service/handler.py.tmpl"
    else:
        files["Dockerfile"] = "service/Dockerfile.tmpl"
    for rel, template in files.items():
        _write_new(plan, f"{path}/{rel}", render_template(template, **values) if template else "")
    for resource, _levels in manifest.uses(name):
        kind = manifest.kind_of(resource)
        assert kind is not None
        settings_rel = _settings_path(manifest, name)
        current = plan.current(settings_rel)
        assert current is not None
        field = naming.settings_field_name(kind, resource)
        plan.write(settings_rel, _edits.add_settings_field(current, field, settings_rel))
    _sync_service_code(plan, manifest, name)
    _render_terraform(plan, manifest, manifest_name)
    plan.next_steps = [
        f"uv run pytest {path}            # its tests, on the emulator, as {name}",
        "make dev                        # routed at " + (spec.route or "(no route)"),
        f"uv run trellis add queue NAME --send {name}   # give it resources",
    ]
    return plan


# --- trellis add ----------------------------------------------------------------------------


def _visibility_for(manifest: Manifest, consumers: list[str]) -> int | None:
    """The smallest queue visibility that suits the Lambda consumers (6x their timeout), if any."""
    timeouts = [
        manifest.services[s].timeout_s
        for s in consumers
        if s in manifest.services and manifest.services[s].runtime == "lambda"
    ]
    if not timeouts:
        return None
    return max(30, VISIBILITY_TO_TIMEOUT_RATIO * max(timeouts))


def plan_add(
    root: Path,
    manifest_name: str,
    kind: ResourceKind,
    name: str,
    options: dict[str, Any],
    grants: list[tuple[str, str]],
) -> Plan:
    """Declare resource ``name`` of ``kind`` (if new) and give each ``(level, service)`` access."""
    plan = Plan(root)
    text = plan.current(manifest_name)
    if text is None:
        raise ScaffoldError(f"{root / manifest_name}: no such file (run `trellis init` first)")
    editor = ManifestEditor(text)
    before = _manifest(editor)
    entry = kinds.kind(kind)
    section = entry.section
    options = {k: v for k, v in options.items() if v is not None}
    for level, service in grants:
        if service not in before.services:
            known = ", ".join(before.services) or "none"
            raise ScaffoldError(f"--{level} {service}: no such service (services: {known})")
        if level not in entry.levels:
            raise ScaffoldError(f"--{level}: not an access level of a {kind}")
    other = before.kind_of(name)
    if other is not None and other != kind:
        raise ScaffoldError(f"{kinds.kind(other).section}.{name} exists: a {other}, not a {kind}")
    if editor.has(section, name):
        current = editor.section(section)[name]
        for key, value in options.items():
            if current.get(key) != value:
                raise ScaffoldError(
                    f"{section}.{name} exists with {key} = {current.get(key)!r}, not {value!r}: "
                    f"edit {manifest_name} to change it"
                )
    else:
        if kind == "queue" and "visibility_timeout_s" not in options:
            visibility = _visibility_for(before, [s for level, s in grants if level == "consume"])
            if visibility is not None:
                options["visibility_timeout_s"] = visibility
        editor.add_table(section, name, options)
    for level, service in grants:
        editor.grant(service, name, level)
    manifest = _manifest(editor)
    if editor.text() != text:
        plan.write(manifest_name, editor.text())
    for service in dict.fromkeys(s for _, s in grants):
        _code_for_use(plan, manifest, service, kind, name)
    _render_terraform(plan, manifest, manifest_name)
    plan.next_steps = ["make test                       # the services' tests, IAM enforced"]
    for level, service in grants:
        field = naming.settings_field_name(kind, name)
        if kind == "queue" and level == "send":
            plan.next_steps.append(
                f"{service}: resources.{_edits.ident(name)}_publisher(settings, clients).send(body)"
            )
        elif kind == "bus":
            plan.next_steps.append(
                f"{service}: resources.{_edits.ident(name)}_bus(settings, clients)"
                ".publish(detail_type, detail); then `trellis add rule "
                f"{name} RULE --pattern-json ... --target ...`"
            )
        elif kind == "queue" and level == "consume":
            plan.next_steps.append(
                f"{service}: write handle_{_edits.ident(name)} in {_consumers_path(manifest, service)}"
            )
        else:
            plan.next_steps.append(f"{service}: settings.{field} ({level})")
    return plan


def _code_for_use(
    plan: Plan, manifest: Manifest, service: str, kind: ResourceKind, name: str
) -> None:
    settings_rel = _settings_path(manifest, service)
    current = plan.current(settings_rel)
    if current is None:
        raise ScaffoldError(
            f"{settings_rel}: not found; services.{service} needs a settings.py with "
            "`class Settings(ServiceSettings)` (see `trellis new service`)"
        )
    field = naming.settings_field_name(kind, name)
    plan.write(settings_rel, _edits.add_settings_field(current, field, settings_rel))
    if not _scaffolded(plan, manifest, service):
        plan.notes.append(
            f"services.{service} was not created by `trellis new`: only its settings.py "
            f"gets {field}; wire the rest in its code"
        )
        return
    if kind == "queue" and name in consumed_queues(manifest, service):
        rel = _consumers_path(manifest, service)
        plan.write(rel, _edits.add_queue_handler(plan.current(rel), service, name, rel))
    _sync_service_code(plan, manifest, service)


# --- trellis remove -------------------------------------------------------------------------


def plan_remove(
    root: Path, manifest_name: str, kind: ResourceKind, name: str, *, force: bool = False
) -> Plan:
    """Remove resource ``name``; refuse while something uses it unless ``force``."""
    plan = Plan(root)
    text = plan.current(manifest_name)
    if text is None:
        raise ScaffoldError(f"{root / manifest_name}: no such file")
    editor = ManifestEditor(text)
    before = _manifest(editor)
    section = kinds.kind(kind).section
    if not editor.has(section, name):
        plan.notes.append(f"no {section}.{name} in {manifest_name}")
        return plan
    users = [(s, levels) for s in before.services for r, levels in before.uses(s) if r == name]
    references = _references(before, kind, name)
    if (users or references) and not force:
        used = [f"services.{s} ({', '.join(levels)})" for s, levels in users] + references
        raise ScaffoldError(
            f"{section}.{name} is still used by {', '.join(used)}: remove those uses first, "
            "or pass --force to remove them too"
        )
    for service, _levels in users:
        editor.revoke(service, name)
    _drop_references(editor, before, kind, name)
    editor.remove_table(section, name)
    manifest = _manifest(editor)
    plan.write(manifest_name, editor.text())
    field = naming.settings_field_name(kind, name)
    for service, levels in users:
        settings_rel = _settings_path(manifest, service)
        current = plan.current(settings_rel)
        if current is not None:
            plan.write(settings_rel, _edits.remove_settings_field(current, field, settings_rel))
        if not _scaffolded(plan, manifest, service):
            continue
        if "consume" in levels:
            rel = _consumers_path(manifest, service)
            consumers = plan.current(rel)
            if consumers is not None:
                new, kept = _edits.remove_queue_handler(consumers, service, name, rel)
                if new is None:
                    plan.delete(rel)
                else:
                    plan.write(rel, new)
                if kept:
                    plan.notes.append(
                        f"{rel}: handle_{_edits.ident(name)} was edited by hand and is kept; "
                        "delete it when you no longer need it"
                    )
        _sync_service_code(plan, manifest, service)
    for note in references:
        plan.notes.append(f"removed the reference from {note}")
    _render_terraform(plan, manifest, manifest_name)
    plan.next_steps = ["make test"]
    return plan


def _references(m: Manifest, kind: ResourceKind, name: str) -> list[str]:
    """Other manifest entries that name the resource (not services' ``uses``)."""
    out: list[str] = []
    if kind == "queue":
        out += [
            f"buckets.{b}.notifications"
            for b, s in m.specs(BUCKET).items()
            if any(n.queue == name for n in s.notifications)
        ]
        out += [
            f"topics.{t}.subscriptions"
            for t, s in m.specs(TOPIC).items()
            if name in s.subscriptions
        ]
    out += [f"schedules.{s}" for s, spec in m.specs(SCHEDULE).items() if spec.target == name]
    out += [
        f"events.{b}.rules.{r}.targets"
        for b, spec in m.specs(BUS).items()
        for r, rule in spec.rules.items()
        if name in rule.targets
    ]
    return out


def _drop_references(editor: ManifestEditor, m: Manifest, kind: ResourceKind, name: str) -> None:
    if kind == "queue":
        for bucket, spec in m.specs(BUCKET).items():
            kept = [
                n
                for n in editor.section("buckets")[bucket].get("notifications", [])
                if n.get("queue") != name
            ]
            if len(kept) != len(spec.notifications):
                editor.section("buckets")[bucket]["notifications"] = toml_item(
                    [dict(n) for n in kept]
                )
        for topic, tspec in m.specs(TOPIC).items():
            if name in tspec.subscriptions:
                subs = [s for s in tspec.subscriptions if s != name]
                editor.section("topics")[topic]["subscriptions"] = toml_item(subs)
    for schedule, sspec in m.specs(SCHEDULE).items():
        if sspec.target == name:
            editor.remove_table("schedules", schedule)
    for bus, bspec in m.specs(BUS).items():
        for rule, rspec in bspec.rules.items():
            if name not in rspec.targets:
                continue
            kept = [t for t in rspec.targets if t != name]
            if kept:
                editor.section("events")[bus]["rules"][rule]["targets"] = toml_item(kept)
            else:
                # A rule needs a target: without its last one it goes too.
                editor.remove_subtable(("events", bus, "rules", rule))
