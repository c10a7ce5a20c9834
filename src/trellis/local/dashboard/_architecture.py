"""The stack's architecture, drawn from the manifest: boxes, and edges labelled with access."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from trellis.kinds import BUCKET, BUS, QUEUE, SCHEDULE, TABLE, TOPIC
from trellis.manifest import Manifest


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    #: What the edge carries: access levels, "event source", a notification's events, ...
    label: str
    #: ``uses`` (a service's access), ``route``, ``event`` (something delivered to a target).
    kind: str


@dataclass(frozen=True)
class Node:
    name: str
    #: ``gateway``, ``service`` or a resource kind.
    kind: str
    detail: str


def nodes(manifest: Manifest) -> list[Node]:
    out = [Node("gateway", "gateway", "API Gateway (local)")]
    for name, spec in manifest.services.items():
        out.append(Node(name, "service", spec.runtime))
    for kind, name, _spec in manifest.resources():
        detail: str = kind
        if kind == "queue":
            q = manifest.specs(QUEUE)[name]
            detail = f"queue{' (FIFO)' if q.fifo else ''}, DLQ after {q.max_receive_count}"
        elif kind == "table":
            t = manifest.specs(TABLE)[name]
            detail = f"table, key {t.hash_key}{' + ' + t.range_key if t.range_key else ''}"
        elif kind == "schedule":
            detail = f"schedule {manifest.specs(SCHEDULE)[name].expression}"
        elif kind == "bus":
            rules = len(manifest.specs(BUS)[name].rules)
            detail = f"event bus, {rules} rule{'' if rules == 1 else 's'}"
        out.append(Node(name, kind, detail))
    return out


def edges(manifest: Manifest) -> list[Edge]:
    out: list[Edge] = []
    for name, spec in manifest.services.items():
        if spec.route is not None:
            modes = "+".join(sorted(manifest.auth_modes(name))) or "none"
            out.append(Edge("gateway", name, f"{spec.route} ({modes})", "route"))
        for resource, levels in spec.uses.items():
            label = "+".join(levels)
            if "consume" in levels and manifest.kind_of(resource) == "queue":
                q = manifest.specs(QUEUE)[resource]
                if spec.runtime == "lambda":
                    label += f"; event source, batch {q.batch_size}, ≤{q.max_concurrency} at once"
                else:
                    label += "; consumer loop"
            out.append(Edge(name, resource, label, "uses"))
    for name, bucket in manifest.specs(BUCKET).items():
        for n in bucket.notifications:
            filters = " ".join(
                part
                for part in (
                    f"prefix {n.prefix}" if n.prefix else "",
                    f"suffix {n.suffix}" if n.suffix else "",
                )
                if part
            )
            label = ", ".join(n.events) + (f" ({filters})" if filters else "")
            out.append(Edge(name, n.queue, label, "event"))
    for name, topic in manifest.specs(TOPIC).items():
        for queue in topic.subscriptions:
            out.append(Edge(name, queue, "subscription", "event"))
    for name, schedule in manifest.specs(SCHEDULE).items():
        out.append(Edge(name, schedule.target, f"{schedule.expression} → payload", "event"))
    for name, bus in manifest.specs(BUS).items():
        for rule, rspec in bus.rules.items():
            for target in rspec.targets:
                out.append(Edge(name, target, f"rule {rule}", "event"))
    return out


_COLUMN_X = {"gateway": 20, "service": 300, "resource": 800}
_BOX_W, _BOX_H, _GAP = 190, 46, 26


def svg(manifest: Manifest) -> str:
    """An SVG drawing: gateway, services, resources in three columns, edges between.

    A label sits at the end of its edge, just before the box it points to, one
    line per incoming edge, so that labels of edges sharing a target never overlap.
    """
    all_nodes = nodes(manifest)
    positions: dict[str, tuple[int, int]] = {}
    rows = {"gateway": 0, "service": 0, "resource": 0}
    for node in all_nodes:
        column = node.kind if node.kind in ("gateway", "service") else "resource"
        x = _COLUMN_X[column]
        y = 20 + rows[column] * (_BOX_H + _GAP)
        rows[column] += 1
        positions[node.name] = (x, y)
    all_edges = [e for e in edges(manifest) if e.source in positions and e.target in positions]
    incoming: dict[str, int] = {}
    for edge in all_edges:
        incoming[edge.target] = incoming.get(edge.target, 0) + 1
    height = 40 + max(rows.values()) * (_BOX_H + _GAP) + 12 * max(incoming.values(), default=0)
    width = _COLUMN_X["resource"] + _BOX_W + 330
    parts = [
        f'<svg class="arch" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-label="architecture">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#667"/></marker></defs>',
    ]
    seen: dict[str, int] = {}
    labels: list[str] = []
    for edge in all_edges:
        sx, sy = positions[edge.source]
        tx, ty = positions[edge.target]
        index = seen.get(edge.target, 0)
        seen[edge.target] = index + 1
        count = incoming[edge.target]
        # Spread the arrow heads over the target's side, one slot per incoming edge.
        y2 = ty + _BOX_H * (index + 1) / (count + 1)
        cls = f"edge edge-{edge.kind}"
        if sx == tx:
            # Two resources (a bucket notifying a queue): an arc to the right of the column.
            x1, y1, x2 = sx + _BOX_W, sy + _BOX_H / 2, tx + _BOX_W
            bend = x1 + 30 + abs(y2 - y1) / 5
            path = f"M {x1} {y1} C {bend} {y1}, {bend} {y2}, {x2 + 4} {y2}"
            lx, ly, anchor = bend - 6, (y1 + y2) / 2 + 4 + index * 13, "start"
            lx = x1 + 30 + abs(y2 - y1) / 6.5
        else:
            x1, y1, x2 = sx + _BOX_W, sy + _BOX_H / 2, tx
            mid = (x1 + x2) / 2
            path = f"M {x1} {y1} C {mid} {y1}, {mid} {y2}, {x2 - 4} {y2}"
            lx, ly, anchor = x2 - 12, y2 - 3, "end"
        parts.append(f'<path class="{cls}" d="{path}" marker-end="url(#arrow)"/>')
        labels.append(
            f'<text class="edge-label" x="{lx:.0f}" y="{ly:.0f}" text-anchor="{anchor}">'
            f"{escape(edge.label)}</text>"
        )
    for node in all_nodes:
        x, y = positions[node.name]
        parts.append(
            f'<g class="node node-{escape(node.kind)}" data-name="{escape(node.name)}">'
            f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6"/>'
            f'<text x="{x + 10}" y="{y + 19}" class="node-name">{escape(node.name)}</text>'
            f'<text x="{x + 10}" y="{y + 36}" class="node-detail">{escape(node.detail)}</text>'
            "</g>"
        )
    # Labels last: drawn over the edges and boxes, on their white halo.
    parts.extend(labels)
    parts.append("</svg>")
    return "".join(parts)
