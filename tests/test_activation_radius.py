"""Order to activate on a real FreeRADIUS: once an order completes, FreeRADIUS answers the
subscriber with the allocated address and the product's rate; a suspension puts it in the
walled garden, a resumption takes it out, a termination gets Access-Reject; a speed change
reaches a subscriber already online as a CoA-Request, and a NAK fails the order with its
Error-Cause."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordering_world import (
    PRODUCTS,
    SERVICES,
    World,
    add_item,
    build,
    order_body,
    place,
    radius_subscriber,
)
from ossbss import bootstrap
from ossbss.lab.nas import NasSimulator
from ossbss.lab.peers import RunningPeer
from ossbss.provisioning.drivers.radius import RadiusDriver
from radius_helpers import COA_SECRET, SECRET, authenticate, radclient

RADIUS_ONLY = [
    {
        "id": "cfs-internet",
        "name": "Internet access",
        "resourceFacingService": [radius_subscriber({"value": "50000"})],
    }
]


@pytest.fixture
def radius_platform(
    platform: bootstrap.Platform, freeradius: RunningPeer, nas: NasSimulator
) -> Iterator[bootstrap.Platform]:
    """The platform with its RADIUS driver pointed at the NAS simulator's CoA port."""
    drivers = platform.activator.drivers
    previous = drivers.get("radius")
    drivers["radius"] = RadiusDriver(
        platform.database, coa_secret=COA_SECRET, coa_port=nas.port, coa_timeout=0.3
    )
    yield platform
    drivers["radius"].close()
    if previous is not None:
        drivers["radius"] = previous


@pytest.fixture
def world(client: TestClient) -> World:
    world = build(client)
    offering = client.get(
        f"/tmf-api/productCatalogManagement/v4/productOffering/{world.offering_id}"
    ).json()
    spec_path = (
        "/tmf-api/productCatalogManagement/v4/productSpecification/"
        + offering["productSpecification"]["id"]
    )
    client.patch(spec_path, json={"serviceSpecification": RADIUS_ONLY}).raise_for_status()
    return world


def _subscriber(client: TestClient, product_id: str) -> dict[str, str]:
    product = client.get(f"{PRODUCTS}/{product_id}").json()
    cfs = client.get(f"{SERVICES}/{product['realizingService'][0]['id']}").json()
    rfs = client.get(f"{SERVICES}/{cfs['supportingService'][0]['id']}").json()
    return {c["name"]: c["value"] for c in rfs["serviceCharacteristic"]}


def _change(
    client: TestClient, platform: bootstrap.Platform, world: World, product: dict[str, Any]
) -> dict[str, Any]:
    item = {"id": "1", "action": "modify", "product": product}
    return place(client, platform, order_body(world, item))


def test_freeradius_follows_the_product_through_its_life(
    client: TestClient, radius_platform: bootstrap.Platform, world: World, auth_port: int
) -> None:
    order = place(client, radius_platform, order_body(world, add_item(world, downloadSpeed=300)))
    assert order["state"] == "completed", order.get("note")
    product_id = order["productOrderItem"][0]["product"]["id"]
    subscriber = _subscriber(client, product_id)

    answer = authenticate(auth_port, SECRET, subscriber["username"], subscriber["password"])
    assert answer.code == "Access-Accept"
    assert answer.attributes["Framed-IP-Address"] == subscriber["ipv4Address"]
    assert answer.attributes["Mikrotik-Rate-Limit"] == "50000k/300000k"

    assert (
        _change(client, radius_platform, world, {"id": product_id, "status": "suspended"})["state"]
        == "completed"
    )
    garden = authenticate(auth_port, SECRET, subscriber["username"], subscriber["password"])
    assert garden.code == "Access-Accept"
    assert garden.attributes["Filter-Id"] == "walled-garden"
    assert "Framed-IP-Address" not in garden.attributes

    assert (
        _change(client, radius_platform, world, {"id": product_id, "status": "active"})["state"]
        == "completed"
    )
    back = authenticate(auth_port, SECRET, subscriber["username"], subscriber["password"])
    assert back.attributes["Framed-IP-Address"] == subscriber["ipv4Address"]

    item = {"id": "1", "action": "delete", "product": {"id": product_id}}
    assert place(client, radius_platform, order_body(world, item))["state"] == "completed"
    gone = authenticate(auth_port, SECRET, subscriber["username"], subscriber["password"])
    assert gone.code == "Access-Reject"


def _go_online(acct_port: int, subscriber: dict[str, str], session_id: str) -> None:
    answer = radclient(
        acct_port,
        SECRET,
        "acct",
        {
            "User-Name": f'"{subscriber["username"]}"',
            "Acct-Status-Type": "Start",
            "Acct-Session-Id": f'"{session_id}"',
            "NAS-IP-Address": "127.0.0.1",
            "Framed-IP-Address": subscriber["ipv4Address"],
        },
    )
    assert answer.code == "Accounting-Response"


def test_a_speed_change_reaches_a_subscriber_online_and_a_nak_fails_it(
    client: TestClient,
    radius_platform: bootstrap.Platform,
    world: World,
    acct_port: int,
    auth_port: int,
    nas: NasSimulator,
) -> None:
    order = place(client, radius_platform, order_body(world, add_item(world, downloadSpeed=300)))
    product_id = order["productOrderItem"][0]["product"]["id"]
    subscriber = _subscriber(client, product_id)
    _go_online(acct_port, subscriber, "sess-1")

    faster = [{"name": "downloadSpeed", "value": 1000}]
    done = _change(
        client, radius_platform, world, {"id": product_id, "productCharacteristic": faster}
    )
    assert done["state"] == "completed", done.get("note")
    (coa,) = nas.requests("CoA")
    assert coa.first("Mikrotik-Rate-Limit") == "50000k/1000000k"

    nas.nak(subscriber["username"], 503)
    slower = [{"name": "downloadSpeed", "value": 300}]
    refused = _change(
        client, radius_platform, world, {"id": product_id, "productCharacteristic": slower}
    )
    assert refused["state"] == "failed"
    assert "Session-Context-Not-Found" in refused["note"][-1]["text"]
    # FreeRADIUS still serves the speed the subscriber has.
    answer = authenticate(auth_port, SECRET, subscriber["username"], subscriber["password"])
    assert answer.attributes["Mikrotik-Rate-Limit"] == "50000k/1000000k"
    product = client.get(f"{PRODUCTS}/{product_id}").json()
    speeds = {c["name"]: c["value"] for c in product["productCharacteristic"]}
    assert speeds["downloadSpeed"] == "1000"
