"""A fibre order activated on the real peers: a RADIUS subscriber on FreeRADIUS and a
subscriber VLAN on the access port of a real NETCONF device (netconfd behind OpenSSH). The
device's running configuration is backed up after the commit. When the device refuses its
part, the RADIUS part is undone, the running configuration is unchanged, nothing stays
allocated, and the order fails with the device's message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
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
    radius_subscriber,
)
from ossbss import bootstrap, inventory
from ossbss.lab.nas import NasSimulator
from ossbss.lab.netconf import NetconfDevice
from ossbss.lab.peers import RunningPeer
from ossbss.provisioning import configs
from ossbss.provisioning.drivers.netconf import NetconfDriver
from ossbss.provisioning.drivers.radius import RadiusDriver
from radius_helpers import COA_SECRET, SECRET, authenticate
from test_netconf_driver import netconf_device  # noqa: F401  (the session's device)
from tmf_cases import create

FIBRE = [
    {
        "id": "cfs-internet",
        "name": "Internet access",
        "resourceFacingService": [
            radius_subscriber({"characteristic": "uplinkKbps"}),
            {
                "name": "access-vlan",
                "driver": "netconf",
                "parameter": [
                    {"name": "port", "characteristic": "accessPort"},
                    {"name": "vlan", "allocate": "vlan", "perDevice": True},
                    {"name": "description", "value": "fibre"},
                    {"name": "rateDownKbps", "characteristic": "downloadSpeed", "multiplier": 1000},
                    {"name": "rateUpKbps", "characteristic": "uplinkKbps"},
                ],
            },
        ],
    }
]


@pytest.fixture
def peers_platform(
    platform: bootstrap.Platform,
    freeradius: RunningPeer,
    nas: NasSimulator,
    netconf_device: NetconfDevice,  # noqa: F811
) -> Iterator[bootstrap.Platform]:
    drivers = platform.activator.drivers
    saved = dict(drivers)
    drivers["radius"] = RadiusDriver(platform.database, coa_secret=COA_SECRET, coa_port=nas.port)
    drivers["netconf"] = NetconfDriver(
        username=netconf_device.username,
        key_file=netconf_device.key_file,
        on_committed=configs.commit_recorder(platform.database, platform.clock),
    )
    yield platform
    for name in ("radius", "netconf"):
        drivers[name].close()
    drivers.clear()
    drivers.update(saved)


def _fibre_world(client: TestClient, device: NetconfDevice) -> tuple[World, str, str]:
    world = build(client)
    offering = client.get(f"{CATALOG}/productOffering/{world.offering_id}").json()
    spec_path = f"{CATALOG}/productSpecification/{offering['productSpecification']['id']}"
    access_port = {"name": "accessPort", "valueType": "string", "minCardinality": 1}
    client.patch(
        spec_path,
        json={
            "productSpecCharacteristic": [
                characteristic("downloadSpeed", [300, 1000], 300),
                characteristic("uplinkKbps", ["50000", "10"], "50000"),
                access_port,
            ],
            "serviceSpecification": FIBRE,
        },
    ).raise_for_status()
    olt = create(
        client,
        f"{INVENTORY}/resource",
        {
            "@type": "Device",
            "name": "olt-test",
            "resourceCharacteristic": [
                {"name": "vendor", "value": "yuma123"},
                {"name": "model", "value": "netconfd"},
                {"name": "managementAddress", "value": device.host},
                {"name": "netconfPort", "value": device.port},
            ],
        },
    )
    port = create(
        client,
        f"{INVENTORY}/resource",
        {
            "@type": "Port",
            "name": "ge-0/0/7",
            "resourceCharacteristic": [{"name": "name", "value": "ge-0/0/7"}],
            "resourceRelationship": [
                {"relationshipType": "isContainedIn", "resource": {"id": olt["id"]}}
            ],
        },
    )
    create(
        client,
        f"{INVENTORY}/resource",
        {
            "@type": "VlanRange",
            "name": "olt-test VLANs",
            "resourceCharacteristic": [
                {"name": "first", "value": 3000},
                {"name": "last", "value": 3099},
                {"name": "device", "value": olt["id"]},
            ],
        },
    )
    return world, port["id"], olt["id"]


def _fibre_item(world: World, port_id: str, uplink: str) -> dict[str, Any]:
    return {
        "id": "1",
        "action": "add",
        "productOffering": {"id": world.offering_id},
        "product": {
            "productCharacteristic": [
                {"name": "accessPort", "value": port_id},
                {"name": "uplinkKbps", "value": uplink},
            ]
        },
    }


def _running(platform: bootstrap.Platform, device: NetconfDevice) -> str:
    driver = platform.activator.drivers["netconf"]
    assert isinstance(driver, NetconfDriver)
    return driver.running(device.address)


def test_a_fibre_order_configures_freeradius_and_the_access_device(
    client: TestClient,
    peers_platform: bootstrap.Platform,
    netconf_device: NetconfDevice,  # noqa: F811
    auth_port: int,
) -> None:
    world, port_id, olt_id = _fibre_world(client, netconf_device)
    order = place(client, peers_platform, order_body(world, _fibre_item(world, port_id, "50000")))
    assert order["state"] == "completed", order.get("note")
    product_id = order["productOrderItem"][0]["product"]["id"]
    product = client.get(f"{PRODUCTS}/{product_id}").json()
    cfs = client.get(f"{SERVICES}/{product['realizingService'][0]['id']}").json()
    radius, vlan = (
        client.get(f"{SERVICES}/{ref['id']}").json() for ref in cfs["supportingService"]
    )
    subscriber = {c["name"]: c["value"] for c in radius["serviceCharacteristic"]}
    access = {c["name"]: c["value"] for c in vlan["serviceCharacteristic"]}
    assert access["interface"] == "ge-0/0/7"
    assert access["vlan"] == "3000"

    running = _running(peers_platform, netconf_device)
    assert "<vlan>3000</vlan>" in running
    assert vlan["id"] in running
    answer = authenticate(auth_port, SECRET, subscriber["username"], subscriber["password"])
    assert answer.code == "Access-Accept"
    with peers_platform.database.unit_of_work(write=False) as session:
        backed_up = configs.content(session, device_id=netconf_device.address)
    assert vlan["id"] in backed_up  # the running configuration after the commit, kept

    item = {"id": "1", "action": "delete", "product": {"id": product_id}}
    assert place(client, peers_platform, order_body(world, item))["state"] == "completed"
    assert vlan["id"] not in _running(peers_platform, netconf_device)

    # The device's configuration history, beside its TMF639 resource.
    history = client.get(f"{INVENTORY}/resource/{olt_id}/configuration").json()
    added, removed = history[-2]["version"], history[-1]["version"]
    text = client.get(f"{INVENTORY}/resource/{olt_id}/configuration/{added}")
    assert text.headers["content-type"].startswith("application/xml")
    assert vlan["id"] in text.text
    diff = client.get(
        f"{INVENTORY}/resource/{olt_id}/configuration/{removed}", params={"diffFrom": added}
    ).text
    assert any(line.startswith("-") and vlan["id"] in line for line in diff.splitlines())
    missing = client.get(f"{INVENTORY}/resource/{olt_id}/configuration/99999")
    assert missing.status_code == 404


def test_a_device_refusal_undoes_radius_and_changes_nothing(
    client: TestClient,
    peers_platform: bootstrap.Platform,
    netconf_device: NetconfDevice,  # noqa: F811
    auth_port: int,
) -> None:
    world, port_id, _ = _fibre_world(client, netconf_device)
    before = _running(peers_platform, netconf_device)
    # 10 kbit/s is below the device's YANG range (64..): netconfd refuses the commit.
    order = place(client, peers_platform, order_body(world, _fibre_item(world, port_id, "10")))
    assert order["state"] == "failed"
    reason = order["note"][-1]["text"]
    assert "access-vlan add failed" in reason
    assert "range" in reason.lower()
    assert _running(peers_platform, netconf_device) == before
    with peers_platform.database.unit_of_work(write=False) as session:
        assert inventory.pool_usage(session, pool_id=world.pool_id).free == 6
    product = client.get(f"{PRODUCTS}/{order['productOrderItem'][0]['product']['id']}").json()
    assert product["status"] == "aborted "
    rfs = client.get(SERVICES, params={"category": "RFS", "name": "radius-subscriber"}).json()
    subscriber = {c["name"]: c["value"] for c in rfs[0]["serviceCharacteristic"]}
    answer = authenticate(auth_port, SECRET, subscriber["username"], subscriber["password"])
    assert answer.code == "Access-Reject"
