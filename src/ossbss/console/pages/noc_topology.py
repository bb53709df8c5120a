"""The topology picture, pure: devices in layers by hops from the core (core → aggregation →
access), links between them, each device coloured by its worst active alarm. The template
draws the SVG from these coordinates (server-side: no JS graph library)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ossbss.inventory import Topology

# Beyond this many devices the picture is unreadable and slow to draw: the nearest to the
# core are drawn, the rest counted.
MAX_DEVICES = 300
COLUMN = 150  # px between devices of a layer
ROW = 110  # px between layers
NODE_WIDTH = 120
NODE_HEIGHT = 34
MARGIN = 30


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    name: str
    layer: int  # hops from the core; unreachable devices go one layer below the deepest
    x: int  # centre
    y: int
    severity: str | None  # worst active alarm on the device or its ports


@dataclass(frozen=True, slots=True)
class Edge:
    id: str
    x1: int
    y1: int
    x2: int
    y2: int
    severity: str | None  # worst active alarm on the link or its two end ports


@dataclass(frozen=True, slots=True)
class Picture:
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]
    hidden: int  # devices left out beyond MAX_DEVICES
    node_width: int = NODE_WIDTH
    node_height: int = NODE_HEIGHT


SEVERITY_ORDER = ("critical", "major", "minor", "warning", "indeterminate")


def worst(*severities: str | None) -> str | None:
    found = [s for s in severities if s in SEVERITY_ORDER]
    return min(found, key=SEVERITY_ORDER.index) if found else None


def layers(topology: Topology) -> dict[str, int]:
    """Device id -> hops from the nearest core device (breadth first); devices the core does
    not reach sit one layer below the deepest reached one."""
    depth = dict.fromkeys(sorted(topology.core), 0)
    queue = deque(depth)
    while queue:
        device = queue.popleft()
        for _, neighbour in topology.neighbours(device):
            if neighbour not in depth:
                depth[neighbour] = depth[device] + 1
                queue.append(neighbour)
    island = max(depth.values(), default=-1) + 1
    return {device: depth.get(device, island) for device in topology.devices}


def picture(
    topology: Topology,
    *,
    names: Mapping[str, str],
    device_severity: Mapping[str, str],
    port_severity: Mapping[str, str],
    link_severity: Mapping[str, str],
    limit: int = MAX_DEVICES,
) -> Picture:
    """Coordinates for every drawn device and every link between two drawn devices."""
    depth = layers(topology)
    position = {device: index for index, device in enumerate(topology.devices)}
    shown = sorted(topology.devices, key=lambda d: (depth[d], position[d]))[:limit]
    rows: dict[int, list[str]] = {}
    for device in shown:
        rows.setdefault(depth[device], []).append(device)
    widest = max((len(row) for row in rows.values()), default=1)
    width = max(widest * COLUMN, COLUMN) + 2 * MARGIN
    nodes: dict[str, Node] = {}
    for row_index, layer in enumerate(sorted(rows)):
        members: Sequence[str] = rows[layer]
        step = (width - 2 * MARGIN) / len(members)
        for index, device in enumerate(members):
            nodes[device] = Node(
                id=device,
                name=names.get(device, device),
                layer=layer,
                x=int(MARGIN + step * (index + 0.5)),
                y=MARGIN + NODE_HEIGHT // 2 + row_index * ROW,
                severity=device_severity.get(device),
            )
    edges = [
        Edge(
            id=link.id,
            x1=nodes[link.device_a].x,
            y1=nodes[link.device_a].y,
            x2=nodes[link.device_b].x,
            y2=nodes[link.device_b].y,
            severity=worst(
                link_severity.get(link.id),
                port_severity.get(link.port_a),
                port_severity.get(link.port_b),
            ),
        )
        for link in topology.links
        if link.device_a in nodes and link.device_b in nodes
    ]
    height = 2 * MARGIN + NODE_HEIGHT + max(len(rows) - 1, 0) * ROW
    return Picture(
        width=int(width),
        height=height,
        nodes=list(nodes.values()),
        edges=edges,
        hidden=len(topology.devices) - len(shown),
    )
