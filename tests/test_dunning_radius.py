"""Dunning on a real FreeRADIUS: the suspension dunning orders puts the subscriber in the
walled garden exactly as a manual suspension does, and paying takes it out again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from dunning_world import active_product, day, dun, issue_bill, pay
from ordering_world import PRODUCTS, SERVICES, World, build, radius_subscriber
from ossbss import bootstrap
from ossbss.lab.nas import NasSimulator
from ossbss.lab.peers import RunningPeer
from ossbss.provisioning.drivers.radius import RadiusDriver
from radius_helpers import COA_SECRET, SECRET, authenticate

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


def _credentials(client: TestClient, product_id: str) -> tuple[str, str]:
    product = client.get(f"{PRODUCTS}/{product_id}").json()
    cfs = client.get(f"{SERVICES}/{product['realizingService'][0]['id']}").json()
    rfs = client.get(f"{SERVICES}/{cfs['supportingService'][0]['id']}").json()
    values = {c["name"]: c["value"] for c in rfs["serviceCharacteristic"]}
    return values["username"], values["password"]


def test_dunning_walls_the_subscriber_off_and_payment_lets_it_back(
    client: TestClient, radius_platform: bootstrap.Platform, world: World, auth_port: int
) -> None:
    product_id = active_product(client, radius_platform, world)
    username, password = _credentials(client, product_id)
    online = authenticate(auth_port, SECRET, username, password)
    assert online.code == "Access-Accept"
    assert "Filter-Id" not in online.attributes
    bill_id = issue_bill(radius_platform, world.account_id)

    dun(radius_platform, day(7))
    assert "Filter-Id" not in authenticate(auth_port, SECRET, username, password).attributes

    dun(radius_platform, day(21))
    garden = authenticate(auth_port, SECRET, username, password)
    assert garden.code == "Access-Accept"
    assert garden.attributes["Filter-Id"] == "walled-garden"
    assert "Framed-IP-Address" not in garden.attributes

    pay(radius_platform, world.account_id, bill_id, 3600)
    back = authenticate(auth_port, SECRET, username, password)
    assert back.code == "Access-Accept"
    assert "Filter-Id" not in back.attributes
    assert back.attributes["Framed-IP-Address"]
