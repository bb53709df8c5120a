"""The service footprint inventory keeps for correlation: written on create, rewritten when a
service moves to another port, gone on delete, rebuilt by the backfill; "which services use
these resources" walks up to the customer-facing services, in service only."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from correlation_world import Network, build_network, customer
from ossbss import bootstrap, inventory
from ossbss.inventory.models import ServiceResource

SERVICES = "/tmf-api/serviceInventory/v4/service"


def _rows(platform: bootstrap.Platform) -> set[tuple[str, str, str]]:
    with platform.database.unit_of_work(write=False) as session:
        rows = session.execute(
            select(ServiceResource.service_id, ServiceResource.resource_id, ServiceResource.via)
        )
        return {(service_id, resource_id, via) for service_id, resource_id, via in rows}


def _line(client: TestClient, network: Network, port_key: str, customer_id: str) -> dict[str, Any]:
    party = [{"id": customer_id, "role": "customer", "@referredType": "Customer"}]
    rfs = client.post(
        SERVICES,
        json={
            "name": "access-line",
            "category": "RFS",
            "state": "active",
            "serviceSpecification": {"id": "rfs:access-line"},
            "serviceCharacteristic": [
                {"name": "port", "value": network.ports[port_key]},
                {"name": "vlan", "value": "100"},
            ],
            "supportingResource": [{"id": network.world.pool_id}],
            "relatedParty": party,
        },
    )
    assert rfs.status_code == 201, rfs.text
    cfs = client.post(
        SERVICES,
        json={
            "name": "Internet access",
            "category": "CFS",
            "state": "active",
            "serviceSpecification": {"id": "cfs-internet"},
            "supportingService": [{"id": rfs.json()["id"]}],
            "relatedParty": party,
            "relatedEntity": [{"id": "product-1", "role": "product", "@referredType": "Product"}],
        },
    )
    assert cfs.status_code == 201, cfs.text
    return {"rfs": rfs.json()["id"], "cfs": cfs.json()["id"]}


def test_the_footprint_follows_the_services_documents(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    network = build_network(client)
    ada, _ = customer(client, "Ada Line")
    line = _line(client, network, "olt:ge-1", ada)
    port_1, port_2 = network.ports["olt:ge-1"], network.ports["olt:ge-2"]
    assert _rows(platform) == {
        (line["rfs"], port_1, "port"),
        (line["rfs"], network.world.pool_id, "supportingResource"),
    }

    with platform.database.unit_of_work(write=False) as session:
        (hit,) = inventory.services_using(session, resource_ids=[port_1, port_2])
    assert hit.id == line["cfs"]
    assert hit.resource_ids == {port_1}
    assert hit.supporting_ids == {line["rfs"]}
    assert hit.customer_ids == (ada,)
    assert hit.product_ids == ("product-1",)

    moved = client.patch(
        f"{SERVICES}/{line['rfs']}",
        json={"serviceCharacteristic": [{"name": "port", "value": port_2}]},
    )
    assert moved.status_code == 200, moved.text
    assert (line["rfs"], port_2, "port") in _rows(platform)
    assert (line["rfs"], port_1, "port") not in _rows(platform)

    # the backfill rebuilds the same rows
    before = _rows(platform)
    with platform.database.unit_of_work() as session:
        assert inventory.rebuild_footprint(session) == len(before)
    assert _rows(platform) == before

    # a suspended line hurts nobody
    client.patch(f"{SERVICES}/{line['cfs']}", json={"state": "inactive"}).raise_for_status()
    with platform.database.unit_of_work(write=False) as session:
        assert inventory.services_using(session, resource_ids=[port_2]) == []

    client.delete(f"{SERVICES}/{line['cfs']}").raise_for_status()
    client.delete(f"{SERVICES}/{line['rfs']}").raise_for_status()
    assert _rows(platform) == set()
