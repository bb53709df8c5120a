"""Correlation rules, pure: which alarms say a device, a link or a port is down, and which of
several candidate roots wins when their scopes overlap.

No session, no clock. ``correlation`` feeds them the batch's alarms and the scopes it reads
from inventory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

RootKind = Literal["device", "link", "port"]

# Probable causes (compared without case, spaces, hyphens or underscores) that mean the
# whole device is down, whatever the severity. A coldStart/warmStart says a device is back
# up after a restart, so it is not one of them.
DEVICE_DOWN_CAUSES = frozenset({"devicedown", "nodedown", "nodelost", "equipmentdown", "hostdown"})
# Causes from ping/reachability checks: a device is down only when one is critical (a
# warning about a slow answer is not an outage).
REACHABILITY_CAUSES = frozenset(
    {
        "unreachable",
        "deviceunreachable",
        "hostunreachable",
        "nodeunreachable",
        "reachability",
        "pingfailed",
        "pingfailure",
        "icmpunreachable",
        "noresponse",
    }
)
# Causes that mean a port, or the link it ends, carries nothing.
LINK_DOWN_CAUSES = frozenset(
    {
        "linkdown",
        "lossofsignal",
        "lossofframe",
        "lossofcarrier",
        "interfacedown",
        "portdown",
        "operdown",
    }
)
_NOISE = re.compile(r"[\s_\-]+")


def normalise_cause(probable_cause: str | None) -> str:
    return _NOISE.sub("", probable_cause or "").lower()


def outage_kind(
    *, probable_cause: str | None, severity: str | None, object_type: str | None
) -> RootKind | None:
    """What an alarm says is down: a device, a link, a port; None when it is not an outage
    (a fan, a temperature, a threshold) or is not about a known object. A port's down is
    turned into a link's by the caller when the port ends a link."""
    cause = normalise_cause(probable_cause)
    if object_type == "Device":
        if cause in DEVICE_DOWN_CAUSES:
            return "device"
        if cause in REACHABILITY_CAUSES and severity == "critical":
            return "device"
        return None
    if object_type == "Link" and cause in LINK_DOWN_CAUSES | DEVICE_DOWN_CAUSES:
        return "link"
    if object_type == "Port" and cause in LINK_DOWN_CAUSES:
        return "port"
    return None


@dataclass(frozen=True, slots=True)
class Candidate:
    """An alarm that may become a root, with the resources it would group."""

    alarm_id: str
    order: int  # earlier alarms first among equals (the database's pk)
    kind: RootKind
    object_id: str
    scope: frozenset[str]


def elect_roots(candidates: Iterable[Candidate]) -> tuple[list[Candidate], dict[str, str]]:
    """The roots among ``candidates`` and the parent of each one that is not: the widest
    scope wins (a core device before the access device behind it; a device before a link at
    its port), then the earliest; a candidate whose object lies in a root's scope is grouped
    under it (the far end of a link under the near end's alarm)."""
    roots: list[Candidate] = []
    parents: dict[str, str] = {}
    owner: dict[str, str] = {}  # resource -> the first root covering it
    for candidate in sorted(candidates, key=lambda c: (-len(c.scope), c.order)):
        root_id = owner.get(candidate.object_id)
        if root_id is None:
            roots.append(candidate)
            for member in candidate.scope:
                owner.setdefault(member, candidate.alarm_id)
        else:
            parents[candidate.alarm_id] = root_id
    return roots, parents


def parent_in(object_id: str | None, scopes: Mapping[str, frozenset[str]]) -> str | None:
    """The first root (in ``scopes``' order) whose scope holds ``object_id``."""
    if object_id is None:
        return None
    return next((root for root, scope in scopes.items() if object_id in scope), None)


# --- impact, pure ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HurtService:
    id: str
    name: str | None
    customer_ids: tuple[str, ...]
    product_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CustomerOutage:
    customer_id: str
    service_ids: tuple[str, ...]
    product_ids: tuple[str, ...]


def outages_by_customer(services: Iterable[HurtService]) -> list[CustomerOutage]:
    """One outage per customer, with that customer's services and products (in order)."""
    services_of: dict[str, dict[str, None]] = {}
    products_of: dict[str, dict[str, None]] = {}
    for service in services:
        for customer in service.customer_ids:
            services_of.setdefault(customer, {})[service.id] = None
            products = products_of.setdefault(customer, {})
            products.update(dict.fromkeys(service.product_ids))
    return [
        CustomerOutage(customer, tuple(services_of[customer]), tuple(products_of[customer]))
        for customer in services_of
    ]


def grown(before: Iterable[str], after: Iterable[str]) -> list[str]:
    """What ``after`` holds that ``before`` did not (the impact grew by these), in order."""
    known = set(before)
    return [item for item in dict.fromkeys(after) if item not in known]
