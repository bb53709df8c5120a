"""Reachability over the device graph, pure: which devices lose every path to the network's
core when a device or a link fails ("behind" it).

No session, no clock: ``inventory.topology`` builds a ``Topology`` from the database and
assurance's correlation asks these functions what a failure cuts off.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

CORE_ROLE = "core"
ACCESS_ROLE = "access"


@dataclass(frozen=True, slots=True)
class TopologyLink:
    id: str
    port_a: str
    device_a: str
    port_b: str
    device_b: str


@dataclass(frozen=True, slots=True)
class Topology:
    """Devices (in the order they were recorded), the links between their ports and the
    core devices reachability is measured against."""

    devices: tuple[str, ...]
    links: tuple[TopologyLink, ...]
    core: frozenset[str]
    _adjacency: dict[str, list[tuple[str, str]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _by_id: dict[str, TopologyLink] = field(default_factory=dict, repr=False, compare=False)
    _by_port: dict[str, TopologyLink] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for link in self.links:
            self._by_id[link.id] = link
            self._by_port[link.port_a] = link
            self._by_port[link.port_b] = link
            if link.device_a == link.device_b:
                continue  # a loop-back cable carries no path anywhere
            self._adjacency.setdefault(link.device_a, []).append((link.id, link.device_b))
            self._adjacency.setdefault(link.device_b, []).append((link.id, link.device_a))

    def link(self, link_id: str) -> TopologyLink | None:
        return self._by_id.get(link_id)

    def link_at(self, port_id: str) -> TopologyLink | None:
        """The link with an end at ``port_id`` (a port is the end of one link at most)."""
        return self._by_port.get(port_id)

    def links_touching(self, port_ids: Collection[str]) -> list[TopologyLink]:
        found = {
            self._by_port[port].id: self._by_port[port]
            for port in port_ids
            if port in self._by_port
        }
        return list(found.values())

    def neighbours(self, device_id: str) -> list[tuple[str, str]]:
        """(link id, device id) of each link leaving ``device_id``."""
        return self._adjacency.get(device_id, [])


def build_topology(
    *,
    devices: Iterable[str],
    links: Iterable[TopologyLink],
    roles: Mapping[str, str | None],
    access_ports: Mapping[str, int] | None = None,
) -> Topology:
    """A topology whose core is the devices with role ``core``; without any, the device with
    the most links (ties: a device whose role is not ``access``, then the one with the fewest
    access ports, then the first recorded)."""
    ordered = tuple(dict.fromkeys(devices))
    link_list = tuple(links)
    core = frozenset(device for device in ordered if roles.get(device) == CORE_ROLE)
    if not core:
        core = choose_core(ordered, link_list, roles, access_ports or {})
    return Topology(devices=ordered, links=link_list, core=core)


def choose_core(
    devices: tuple[str, ...],
    links: tuple[TopologyLink, ...],
    roles: Mapping[str, str | None],
    access_ports: Mapping[str, int],
) -> frozenset[str]:
    if not devices:
        return frozenset()
    degree = dict.fromkeys(devices, 0)
    for link in links:
        for end in {link.device_a, link.device_b}:
            if end in degree:
                degree[end] += 1
    position = {device: index for index, device in enumerate(devices)}
    best = min(
        devices,
        key=lambda device: (
            -degree[device],
            roles.get(device) == ACCESS_ROLE,
            access_ports.get(device, 0),
            position[device],
        ),
    )
    return frozenset({best})


def reachable(
    topology: Topology,
    *,
    sources: Iterable[str],
    without_devices: Collection[str] = (),
    without_links: Collection[str] = (),
) -> set[str]:
    """Devices reachable from ``sources`` over the links, some devices or links removed."""
    seen = {source for source in sources if source not in without_devices}
    queue = deque(seen)
    while queue:
        device = queue.popleft()
        for link_id, other in topology.neighbours(device):
            if link_id in without_links or other in without_devices or other in seen:
                continue
            seen.add(other)
            queue.append(other)
    return seen


def behind_device(topology: Topology, device_id: str) -> set[str]:
    """Devices that reach the core now and lose every path to it when ``device_id`` fails.

    When the failing device is the only core device, everything that reached it is behind
    it; a device that never reached the core (an island) is behind nothing."""
    before = reachable(topology, sources=topology.core)
    others = topology.core - {device_id}
    if not others:
        return reachable(topology, sources=[device_id]) - {device_id}
    after = reachable(topology, sources=others, without_devices={device_id})
    return before - after - {device_id}


def behind_link(topology: Topology, link_id: str) -> set[str]:
    """Devices that reach the core now and lose every path to it when the link fails (a
    parallel link or a ring keeps them reachable)."""
    before = reachable(topology, sources=topology.core)
    after = reachable(topology, sources=topology.core, without_links={link_id})
    return before - after
