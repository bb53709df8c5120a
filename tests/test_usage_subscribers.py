"""Subscriber identities come from order to activate: an order completes, the RADIUS username
of its product becomes a subscriber, its suspended usage is recycled; a delete ends it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordering_world import PRODUCTS, SERVICES, World, add_item, build, order_body, place
from ossbss import bootstrap, usage
from ossbss.kernel import FixedClock
from ossbss.tmf import characteristic_values
from ossbss.usage import UsageInput

USAGE = "/tmf-api/usageManagement/v4/usage"


@pytest.fixture
def world(client: TestClient) -> World:
    return build(client)


def username_of(client: TestClient, product_id: str) -> str:
    product = client.get(f"{PRODUCTS}/{product_id}").json()
    for ref in product["realizingService"]:
        cfs = client.get(f"{SERVICES}/{ref['id']}").json()
        for supporting in cfs.get("supportingService") or []:
            rfs = client.get(f"{SERVICES}/{supporting['id']}").json()
            values = characteristic_values(rfs.get("serviceCharacteristic"))
            if "username" in values:
                return values["username"]
    raise AssertionError("no username on the product's services")


def data(key: str, subscriber: str, clock: FixedClock, **changes: Any) -> UsageInput:
    values: dict[str, Any] = {
        "record_key": key,
        "kind": "data",
        "subscriber": subscriber,
        "started_at": clock.now(),
        "bytes_up": 10,
        "bytes_down": 20,
        "source": "radius",
    }
    values.update(changes)
    return UsageInput(**values)


def ingest(platform: bootstrap.Platform, *records: UsageInput) -> usage.IngestReport:
    with platform.database.unit_of_work() as session:
        return usage.ingest(session, records=list(records), now=platform.clock.now())


def test_a_completed_order_makes_its_username_a_subscriber_and_a_delete_ends_it(
    client: TestClient, platform: bootstrap.Platform, world: World, clock: FixedClock
) -> None:
    order = place(client, platform, order_body(world, add_item(world)))
    assert order["state"] == "completed"
    product_id = order["productOrderItem"][0]["product"]["id"]
    username = username_of(client, product_id)
    clock.advance(timedelta(minutes=10))
    report = ingest(platform, data("u1", username, clock), data("u2", "stranger", clock))
    assert (report.accepted, report.suspended) == (1, 1)
    with platform.database.unit_of_work(write=False) as session:
        found = usage.find_subscriber(session, identifier=username, at=clock.now())
    assert found is not None
    assert (found.product_id, found.billing_account_id, found.offering_id, found.customer_id) == (
        product_id,
        world.account_id,
        world.offering_id,
        world.customer_id,
    )
    guided = client.get(USAGE, params={"status": "guided"}).json()
    assert [item["relatedParty"][0]["id"] for item in guided] == [world.customer_id]

    clock.advance(timedelta(hours=1))
    item = {"id": "1", "action": "delete", "product": {"id": product_id}}
    assert place(client, platform, order_body(world, item))["state"] == "completed"
    clock.advance(timedelta(minutes=1))
    after = ingest(platform, data("u3", username, clock))
    assert (after.accepted, after.suspended) == (0, 1)


def test_an_identifier_registered_later_recycles_its_suspended_usage(
    client: TestClient, platform: bootstrap.Platform, world: World, clock: FixedClock
) -> None:
    first = place(client, platform, order_body(world, add_item(world)))
    ingest(platform, data("early", "late-user", clock))
    assert client.get(USAGE).json()[0]["status"] == "received"
    with platform.database.unit_of_work() as session:
        recycled = usage.register_subscriber(
            session,
            identifier="late-user",
            product_id=first["productOrderItem"][0]["product"]["id"],
            billing_account_id=world.account_id,
            offering_id=world.offering_id,
            customer_id=world.customer_id,
            valid_from=clock.now(),
            now=clock.now(),
        )
    assert recycled == 1
    [record] = client.get(USAGE).json()
    assert record["status"] == "guided"
    assert "recycled" in record["description"]
