"""inventory rules, pure: what each ``@type`` of resource must carry, service lifecycle.

No session, no clock. The checks that need the database (references exist, pools do not
overlap, port names are unique on a device) live in ``resources.py`` and use what this module
derives from a document (``Facts``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ossbss.inventory import pools
from ossbss.inventory.pools import PoolKind, PoolRange
from ossbss.kernel.errors import InvalidInput

Document = dict[str, Any]

# @type (or @baseType, for vendor subclasses such as "JuniperDevice") -> our kind.
KINDS = {
    "Site": "site",
    "Device": "device",
    "Port": "port",
    "Link": "link",
    "IPv4Pool": "ipv4pool",
    "IPv6Pool": "ipv6pool",
    "VlanRange": "vlanrange",
    "MsisdnRange": "msisdnrange",
    "IccidRange": "iccidrange",
}
TYPE_OF_KIND = {kind: name for name, kind in KINDS.items()}
POOL_TYPES = frozenset({"ipv4pool", "ipv6pool", "vlanrange", "msisdnrange", "iccidrange"})
CONTAINED_IN = "isContainedIn"
CONNECTS_TO = "connectsTo"
PORT_ROLES = ("access", "uplink")
SITE_TYPE = "Site"

# TMF638 service state (tmf-conventions §4.6); the moves are ours (docs/rooms/inventory.md).
SERVICE_LIFECYCLE = {
    "feasibilityChecked": frozenset({"designed", "reserved", "terminated"}),
    "designed": frozenset({"reserved", "inactive", "active", "terminated"}),
    "reserved": frozenset({"designed", "inactive", "active", "terminated"}),
    "inactive": frozenset({"active", "terminated"}),
    "active": frozenset({"inactive", "terminated"}),
    "terminated": frozenset(),
}
SERVICE_INITIAL = frozenset(SERVICE_LIFECYCLE) - {"terminated"}
SERVICE_CATEGORIES = ("CFS", "RFS")

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


def kind_of(document: Mapping[str, Any]) -> str | None:
    """Our kind for a resource: its ``@type``, else its ``@baseType``; None when neither is ours
    (an unknown subclass is stored and served as sent, with no kind-specific rules)."""
    for key in ("@type", "@baseType"):
        kind = KINDS.get(str(document.get(key) or ""))
        if kind is not None:
            return kind
    return None


# --- characteristics and relationships ---------------------------------------------------


def characteristic(document: Mapping[str, Any], name: str) -> Any:
    """The value of the resource characteristic ``name`` (None when absent)."""
    for entry in document.get("resourceCharacteristic") or ():
        if isinstance(entry, Mapping) and entry.get("name") == name:
            return entry.get("value")
    return None


def char_field(name: str) -> str:
    return f"resourceCharacteristic.{name}"


def _text(document: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    value = characteristic(document, name)
    if value is None:
        if required:
            raise InvalidInput(
                "Missing characteristic", field=char_field(name), detail="is required"
            )
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise InvalidInput(
            "Invalid characteristic", field=char_field(name), detail="must be a non-empty string"
        )
    return str(value).strip()


def _integer(document: Mapping[str, Any], name: str, *, required: bool) -> int | None:
    value = characteristic(document, name)
    if value is None and not required:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    detail = "is required" if value is None else "must be a whole number"
    raise InvalidInput("Invalid characteristic", field=char_field(name), detail=detail)


@dataclass(frozen=True, slots=True)
class Relationship:
    field: str  # e.g. "resourceRelationship[0].resource.id"
    relationship_type: str
    target_id: str


def relationships(document: Mapping[str, Any]) -> list[Relationship]:
    found = []
    for index, entry in enumerate(document.get("resourceRelationship") or ()):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("resource"), Mapping):
            continue
        target = entry["resource"].get("id")
        if target is None:
            raise InvalidInput(
                "Missing mandatory attribute",
                field=f"resourceRelationship[{index}].resource.id",
                detail="a related resource is referenced by id",
            )
        found.append(
            Relationship(
                f"resourceRelationship[{index}].resource.id",
                str(entry.get("relationshipType")),
                str(target),
            )
        )
    return found


def site_place(document: Mapping[str, Any]) -> str | None:
    """The Site resource a device's ``place`` names (a place of another type is not ours)."""
    place = document.get("place")
    if not isinstance(place, Mapping) or place.get("@referredType", SITE_TYPE) != SITE_TYPE:
        return None
    return str(place["id"]) if place.get("id") is not None else None


# --- what a document implies ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Facts:
    """What the database needs to know about a resource, beside its document."""

    kind: str | None = None
    pool_kind: PoolKind | None = None
    # Pools of one space must not overlap: ipv4, ipv6, vlan:<device or *>, msisdn, iccid:<n>.
    space: str | None = None
    lower_key: str | None = None
    upper_key: str | None = None
    scope_id: str | None = None  # a VLAN range's device, another pool's site
    parent_id: str | None = None  # a port's device, a device's site
    end_a: str | None = None  # a link's ports
    end_b: str | None = None
    port_name: str | None = None


def check_resource(document: Mapping[str, Any]) -> Facts:
    """Check a resource's kind-specific content; return what it implies. InvalidInput if bad."""
    kind = kind_of(document)
    links = relationships(document)
    if kind == "device":
        return _device(document, links)
    if kind == "port":
        return _port(document, links)
    if kind == "link":
        return _link(links)
    if kind in POOL_TYPES:
        return _pool(document, kind)
    return Facts(kind=kind)


def facts(document: Any) -> Facts:
    """``check_resource`` for stored (already checked) documents; never raises."""
    if not isinstance(document, Mapping):
        return Facts()
    try:
        return check_resource(document)
    except (InvalidInput, KeyError, ValueError, TypeError):
        return Facts(kind=kind_of(document))


def _device(document: Mapping[str, Any], links: list[Relationship]) -> Facts:
    _text(document, "vendor", required=True)
    _text(document, "model", required=True)
    address = _text(document, "managementAddress", required=True)
    check_management_address(str(address))
    port = _integer(document, "netconfPort", required=False)
    if port is not None and not 1 <= port <= 65535:
        raise InvalidInput(
            "Invalid characteristic", field=char_field("netconfPort"), detail="must be 1..65535"
        )
    contained = [link.target_id for link in links if link.relationship_type == CONTAINED_IN]
    return Facts(kind="device", parent_id=site_place(document) or next(iter(contained), None))


def check_management_address(raw: str) -> None:
    """A host (IPv4, IPv6 or DNS name) with an optional ``:port`` (``[v6]:port`` for IPv6)."""
    field = char_field("managementAddress")
    host, port = raw, None
    if raw.startswith("["):
        host, bracket, rest = raw[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise InvalidInput("Invalid address", field=field, detail="use [IPv6]:port")
        port = rest[1:] if rest else None
        if not _is_ip(host, 6):
            raise InvalidInput("Invalid address", field=field, detail=f"{host} is not IPv6")
    elif raw.count(":") == 1:
        host, port = raw.split(":")
    elif raw.count(":") > 1:
        if not _is_ip(raw, 6):
            raise InvalidInput("Invalid address", field=field, detail=f"{raw} is not IPv6")
        return
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise InvalidInput("Invalid address", field=field, detail="the port must be 1..65535")
    if not (_is_ip(host, 4) or _is_ip(host, 6) or _is_hostname(host)):
        raise InvalidInput(
            "Invalid address", field=field, detail=f"{host!r} is neither an IP nor a host name"
        )


def _is_ip(text: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(text).version == version
    except ValueError:
        return False


def _is_hostname(text: str) -> bool:
    # A name made only of digits and dots is a malformed IPv4 address, not a host name.
    return bool(_HOSTNAME.match(text)) and not text.replace(".", "").isdigit()


def _port(document: Mapping[str, Any], links: list[Relationship]) -> Facts:
    name = _text(document, "name", required=True)
    role = _text(document, "role", required=False)
    if role is not None and role not in PORT_ROLES:
        raise InvalidInput(
            "Invalid characteristic",
            field=char_field("role"),
            detail=f"must be one of: {', '.join(PORT_ROLES)}",
        )
    devices = [link for link in links if link.relationship_type == CONTAINED_IN]
    if len(devices) != 1:
        raise InvalidInput(
            "A port belongs to one device",
            field="resourceRelationship",
            detail=f'needs exactly one relationshipType "{CONTAINED_IN}" to its device',
        )
    return Facts(kind="port", parent_id=devices[0].target_id, port_name=name)


def _link(links: list[Relationship]) -> Facts:
    ends = [link for link in links if link.relationship_type == CONNECTS_TO]
    if len(ends) != 2:
        raise InvalidInput(
            "A link connects two ports",
            field="resourceRelationship",
            detail=f'needs exactly two relationshipType "{CONNECTS_TO}" to ports',
        )
    if ends[0].target_id == ends[1].target_id:
        raise InvalidInput(
            "A link connects two ports", field=ends[1].field, detail="the two ends are one port"
        )
    return Facts(kind="link", end_a=ends[0].target_id, end_b=ends[1].target_id)


def pool_range(document: Mapping[str, Any]) -> PoolRange:
    """The range a pool resource holds (InvalidInput naming the characteristic if bad)."""
    kind = kind_of(document)
    if kind == "ipv4pool":
        return pools.ipv4_pool(_cidr(document), field=char_field("cidr"))
    if kind == "ipv6pool":
        length = _integer(document, "prefixLength", required=False)
        return pools.ipv6_pool(_cidr(document), length, field=char_field("cidr"))
    if kind == "vlanrange":
        first = _integer(document, "first", required=True)
        last = _integer(document, "last", required=True)
        return pools.vlan_range(int(first or 0), int(last or 0))
    if kind == "msisdnrange":
        first_text = _text(document, "first", required=True)
        return pools.msisdn_range(str(first_text), str(_text(document, "last", required=True)))
    if kind == "iccidrange":
        first_text = _text(document, "first", required=True)
        return pools.iccid_range(str(first_text), str(_text(document, "last", required=True)))
    raise InvalidInput("Not a pool", field="@type", detail=f"{document.get('@type')} holds no pool")


def _cidr(document: Mapping[str, Any]) -> str:
    return str(_text(document, "cidr", required=True))


def _pool(document: Mapping[str, Any], kind: str) -> Facts:
    pool = pool_range(document)
    if kind == "vlanrange":
        scope = _text(document, "device", required=False)
        space = f"vlan:{scope or '*'}"
    else:
        scope = _text(document, "site", required=False)
        space = {"ipv4": "ipv4", "ipv6": "ipv6", "ipv6-prefix": "ipv6", "msisdn": "msisdn"}.get(
            pool.kind, f"{pool.kind}:{pool.width}"
        )
    return Facts(
        kind=kind,
        pool_kind=pool.kind,
        space=space,
        lower_key=pool.lower_key,
        upper_key=pool.upper_key,
        scope_id=scope,
    )


def range_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Did a patch change what a pool holds (its kind, bounds or scope)?"""
    kind = kind_of(old)
    if kind != kind_of(new):
        return True
    if kind not in POOL_TYPES:
        return False
    return pool_range(old) != pool_range(new) or facts(old).space != facts(new).space


def pool_is_usable(document: Mapping[str, Any]) -> bool:
    """Allocation stops while a pool is locked or shut down, or its status is suspended."""
    return document.get("administrativeState") not in ("locked", "shutdown") and document.get(
        "resourceStatus"
    ) not in ("suspended",)


# --- services ----------------------------------------------------------------------------


def normalise_category(raw: Any) -> str:
    """CFS (customer-facing) or RFS (resource-facing), any case; required."""
    if isinstance(raw, str) and raw.strip().upper() in SERVICE_CATEGORIES:
        return raw.strip().upper()
    raise InvalidInput(
        "Invalid category",
        field="category",
        detail="must be CFS (customer-facing) or RFS (resource-facing)",
    )


def service_references(document: Mapping[str, Any], name: str) -> list[tuple[str, str]]:
    """(field, id) of each entry in ``supportingService`` or ``supportingResource``."""
    found = []
    for index, entry in enumerate(document.get(name) or ()):
        if isinstance(entry, Mapping) and entry.get("id") is not None:
            found.append((f"{name}[{index}].id", str(entry["id"])))
    return found
