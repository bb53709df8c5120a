"""A small network with customers on it, for correlation tests, built through the public
APIs: a core router, an OLT behind it, a switch behind the OLT, their ports and links; fibre
orders placed on access ports run to active services (fake driver)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from ordering_world import (
    CATALOG,
    INVENTORY,
    PRODUCTS,
    SERVICES,
    World,
    build,
    characteristic,
    order_body,
    place,
)
from ossbss import bootstrap
from tmf_cases import create

ACCESS = [
    {
        "id": "cfs-internet",
        "name": "Internet access",
        "resourceFacingService": [
            {
                "name": "radius-subscriber",
                "driver": "fake",
                "parameter": [
                    {"name": "username", "generate": "username"},
                    {"name": "ipv4Address", "allocate": "ipv4"},
                ],
            },
            {
                "name": "access-line",
                "driver": "fake",
                "parameter": [
                    {"name": "port", "characteristic": "accessPort"},
                    {"name": "description", "value": "fibre"},
                ],
            },
        ],
    }
]


@dataclass
class Network:
    world: World
    devices: dict[str, str] = field(default_factory=dict)  # name -> id
    ports: dict[str, str] = field(default_factory=dict)  # "device:port" -> id
    links: dict[str, str] = field(default_factory=dict)  # name -> id
    # access port key -> (customer id, product id, CFS id)
    lines: dict[str, tuple[str, str, str]] = field(default_factory=dict)


def _resource(client: TestClient, body: dict[str, Any]) -> str:
    return str(create(client, f"{INVENTORY}/resource", body)["id"])


def device(client: TestClient, network: Network, name: str, role: str, address: str) -> None:
    network.devices[name] = _resource(
        client,
        {
            "@type": "Device",
            "name": name,
            "resourceCharacteristic": [
                {"name": "vendor", "value": "lab"},
                {"name": "model", "value": "lab"},
                {"name": "managementAddress", "value": address},
                {"name": "role", "value": role},
            ],
        },
    )


def port(client: TestClient, network: Network, device_name: str, name: str, role: str) -> str:
    port_id = _resource(
        client,
        {
            "@type": "Port",
            "name": name,
            "resourceCharacteristic": [
                {"name": "name", "value": name},
                {"name": "role", "value": role},
            ],
            "resourceRelationship": [
                {
                    "relationshipType": "isContainedIn",
                    "resource": {"id": network.devices[device_name]},
                }
            ],
        },
    )
    network.ports[f"{device_name}:{name}"] = port_id
    return port_id


def link(client: TestClient, network: Network, name: str, end_a: str, end_b: str) -> None:
    network.links[name] = _resource(
        client,
        {
            "@type": "Link",
            "name": name,
            "resourceRelationship": [
                {"relationshipType": "connectsTo", "resource": {"id": network.ports[end]}}
                for end in (end_a, end_b)
            ],
        },
    )


def customer(client: TestClient, name: str) -> tuple[str, str]:
    given, family = name.split()
    individual = create(
        client, "/tmf-api/party/v4/individual", {"givenName": given, "familyName": family}
    )
    found = create(
        client,
        "/tmf-api/customerManagement/v4/customer",
        {
            "name": name,
            "status": "Active",
            "engagedParty": {"id": individual["id"], "@referredType": "Individual"},
        },
    )
    account = create(
        client,
        "/tmf-api/accountManagement/v4/billingAccount",
        {
            "name": f"{name}'s account",
            "currency": "EUR",
            "relatedParty": [
                {"id": found["id"], "role": "owner", "@referredType": "Customer", "name": name}
            ],
        },
    )
    return str(found["id"]), str(account["id"])


def build_network(client: TestClient) -> Network:
    """core (role core) -- olt -- switch; two access ports on the olt, two on the switch,
    one access port on the core; no services yet."""
    world = build(client, pool_cidr="100.64.0.0/28")
    offering = client.get(f"{CATALOG}/productOffering/{world.offering_id}").json()
    spec_path = f"{CATALOG}/productSpecification/{offering['productSpecification']['id']}"
    client.patch(
        spec_path,
        json={
            "productSpecCharacteristic": [
                characteristic("downloadSpeed", [300, 1000], 300),
                {"name": "accessPort", "valueType": "string", "minCardinality": 1},
            ],
            "serviceSpecification": ACCESS,
        },
    ).raise_for_status()
    network = Network(world)
    device(client, network, "core", "core", "192.0.2.1")
    device(client, network, "olt", "access", "192.0.2.2")
    device(client, network, "switch", "access", "192.0.2.3")
    for device_name, names in {
        "core": [("xe-0", "uplink"), ("ge-9", "access")],
        "olt": [("xe-up", "uplink"), ("xe-down", "uplink"), ("ge-1", "access"), ("ge-2", "access")],
        "switch": [("xe-up", "uplink"), ("ge-1", "access"), ("ge-2", "access")],
    }.items():
        for name, role in names:
            port(client, network, device_name, name, role)
    link(client, network, "core-olt", "core:xe-0", "olt:xe-up")
    link(client, network, "olt-switch", "olt:xe-down", "switch:xe-up")
    return network


def order_line(
    client: TestClient, platform: bootstrap.Platform, network: Network, port_key: str, name: str
) -> tuple[str, str, str]:
    """A customer called ``name`` with an active fibre line on ``port_key``."""
    customer_id, account_id = customer(client, name)
    buyer = World(customer_id, account_id, network.world.offering_id, network.world.pool_id)
    item = {
        "id": "1",
        "action": "add",
        "productOffering": {"id": network.world.offering_id},
        "product": {
            "productCharacteristic": [{"name": "accessPort", "value": network.ports[port_key]}]
        },
    }
    order = place(client, platform, order_body(buyer, item))
    assert order["state"] == "completed", order.get("note")
    product_id = order["productOrderItem"][0]["product"]["id"]
    product = client.get(f"{PRODUCTS}/{product_id}").json()
    cfs_id = product["realizingService"][0]["id"]
    assert client.get(f"{SERVICES}/{cfs_id}").json()["state"] == "active"
    network.lines[port_key] = (customer_id, product_id, cfs_id)
    return customer_id, product_id, cfs_id
