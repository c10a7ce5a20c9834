"""``trellis add rule`` and ``trellis remove rule``: an event bus's rules, edited in place.

A rule lives inside its bus (``[events.<bus>.rules.<rule>]``), so it is not a kind of
its own: these plans add and remove the sub-table, validate the manifest and render
the Terraform, as ``plan_add``/``plan_remove`` do for a resource.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trellis.kinds import BUS, QUEUE
from trellis.manifest import Manifest
from trellis.manifest import load_manifest_text as _load
from trellis.scaffold._manifest_edit import ManifestEditor
from trellis.scaffold._plan import Plan, ScaffoldError


def _manifest(editor: ManifestEditor) -> Manifest:
    editor.validate()
    return _load(editor.text())


def _render(plan: Plan, manifest: Manifest, manifest_name: str) -> None:
    from trellis.infra import rendered_files

    for rel, text in rendered_files(plan.root, manifest, manifest_name).items():
        if text is None:
            plan.delete(rel)
        else:
            plan.write(rel, text)


def _editor(plan: Plan, manifest_name: str) -> tuple[str, ManifestEditor]:
    text = plan.current(manifest_name)
    if text is None:
        raise ScaffoldError(f"{plan.root / manifest_name}: no such file (run `trellis init` first)")
    return text, ManifestEditor(text)


def plan_add_rule(
    root: Path,
    manifest_name: str,
    bus: str,
    rule: str,
    *,
    pattern: dict[str, Any],
    targets: list[str],
    description: str | None = None,
) -> Plan:
    """Add ``[events.<bus>.rules.<rule>]`` (the bus must exist); same values again: nothing."""
    plan = Plan(root)
    _text, editor = _editor(plan, manifest_name)
    before = _manifest(editor)
    buses = before.specs(BUS)
    if bus not in buses:
        raise ScaffoldError(
            f"no events.{bus} in {manifest_name}: add it first (`trellis add bus {bus}`)"
        )
    unique_targets = list(dict.fromkeys(targets))
    values = {"pattern": pattern, "targets": unique_targets, "description": description}
    existing = buses[bus].rules.get(rule)
    if existing is not None:
        wanted = {k: v for k, v in values.items() if v is not None}
        have: dict[str, object] = {"pattern": existing.pattern, "targets": existing.targets}
        if existing.description:
            have["description"] = existing.description
        if have != wanted:
            raise ScaffoldError(
                f"events.{bus}.rules.{rule} exists with other values: edit {manifest_name} "
                "to change it"
            )
        plan.notes.append(f"events.{bus}.rules.{rule} exists with these values")
        return plan
    editor.add_subtable(("events", bus, "rules", rule), values)
    manifest = _manifest(editor)
    plan.write(manifest_name, editor.text())
    _render(plan, manifest, manifest_name)
    queues = manifest.specs(QUEUE)
    plan.next_steps = ["make test"]
    for target in unique_targets:
        if target in queues:
            plan.next_steps.append(f"{target}: its consumer gets the event's JSON as the body")
        else:
            plan.next_steps.append(
                f'{target}: @events.on("{rule}") in its handler, '
                "lambda_handler(app, events=events) (trellis.runtime.events)"
            )
    return plan


def plan_remove_rule(root: Path, manifest_name: str, bus: str, rule: str) -> Plan:
    """Remove ``[events.<bus>.rules.<rule>]`` (a note, and nothing else, when there is none)."""
    plan = Plan(root)
    _text, editor = _editor(plan, manifest_name)
    before = _manifest(editor)
    spec = before.specs(BUS).get(bus)
    if spec is None or rule not in spec.rules:
        plan.notes.append(f"no events.{bus}.rules.{rule} in {manifest_name}")
        return plan
    editor.remove_subtable(("events", bus, "rules", rule))
    manifest = _manifest(editor)
    plan.write(manifest_name, editor.text())
    _render(plan, manifest, manifest_name)
    plan.next_steps = ["make test"]
    return plan
