"""inventory: TMF639 resources (sites, devices, ports, links, pools), TMF638 services,
allocation from pools without double booking, topology, CSV import.

The room's only door: other rooms and the composition roots use what is listed here.
"""

from ossbss.inventory.allocation import (
    Allocation,
    AllocationState,
    PoolUsage,
    allocate,
    allocations_for,
    confirm,
    find_pool,
    pool_usage,
    release,
)
from ossbss.inventory.api import router
from ossbss.inventory.csv_import import ImportFailed, ImportReport, RowProblem, import_csv
from ossbss.inventory.errors import PoolExhausted
from ossbss.inventory.footprint import ServiceHit, rebuild_footprint, services_using
from ossbss.inventory.managed import ManagedDevice, ManagedPort, managed_devices
from ossbss.inventory.pools import POOL_KINDS, PoolKind
from ossbss.inventory.reach import (
    Topology,
    TopologyLink,
    behind_device,
    behind_link,
    build_topology,
    reachable,
)
from ossbss.inventory.resources import RESOURCE, RESOURCE_API, RESOURCES, SERVICE, SERVICE_API
from ossbss.inventory.service import (
    Port,
    create_service,
    get_resource,
    get_service,
    neighbours,
    path,
    ports_of,
    update_service,
)
from ossbss.inventory.topology import (
    containers,
    link_end_ports,
    link_ends,
    network_topology,
    ports_of_devices,
)

__all__ = [
    "POOL_KINDS",
    "RESOURCE",
    "RESOURCES",
    "RESOURCE_API",
    "SERVICE",
    "SERVICE_API",
    "Allocation",
    "AllocationState",
    "ImportFailed",
    "ImportReport",
    "ManagedDevice",
    "ManagedPort",
    "PoolExhausted",
    "PoolKind",
    "PoolUsage",
    "Port",
    "RowProblem",
    "ServiceHit",
    "Topology",
    "TopologyLink",
    "allocate",
    "allocations_for",
    "behind_device",
    "behind_link",
    "build_topology",
    "confirm",
    "containers",
    "create_service",
    "find_pool",
    "get_resource",
    "get_service",
    "import_csv",
    "link_end_ports",
    "link_ends",
    "managed_devices",
    "neighbours",
    "network_topology",
    "path",
    "pool_usage",
    "ports_of",
    "ports_of_devices",
    "reachable",
    "rebuild_footprint",
    "release",
    "router",
    "services_using",
    "update_service",
]

# Links by their ends (performance: per-link utilisation).
from ossbss.inventory.links import LinkEnds, links

__all__ += ["LinkEnds", "links"]

# Names of many resources at once (the console's NOC board).
from ossbss.inventory.labels import ResourceLabel, resource_labels  # noqa: E402

__all__ += ["ResourceLabel", "resource_labels"]
