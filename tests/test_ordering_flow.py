"""Order to activate with the fake driver: validation, decomposition, completion, failure
and compensation, modify/suspend/resume/delete, cancellation, idempotency."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordering_world import (
    CATALOG,
    ORDERS,
    PRODUCTS,
    SERVICE_ORDERS,
    SERVICES,
    World,
    add_item,
    build,
    order_body,
    place,
    settle,
)
from ossbss import bootstrap, inventory
from ossbss.provisioning.drivers.fake import FakeDriver
from test_hub import Listener


@pytest.fixture
def world(client: TestClient) -> World:
    return build(client)


@pytest.fixture
def fake(platform: bootstrap.Platform) -> FakeDriver:
    driver = platform.activator.drivers["fake"]
    assert isinstance(driver, FakeDriver)
    driver.services.clear()
    driver.suspended.clear()
    driver.calls.clear()
    return driver


def _allocated(platform: bootstrap.Platform, world: World) -> int:
    with platform.database.unit_of_work(write=False) as session:
        usage = inventory.pool_usage(session, pool_id=world.pool_id)
    return usage.allocated + usage.reserved


def test_an_order_completes_and_the_product_is_active(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    order = place(client, platform, order_body(world, add_item(world, downloadSpeed=1000)))
    assert order["state"] == "completed", order
    item = order["productOrderItem"][0]
    assert item["state"] == "completed"
    product = client.get(f"{PRODUCTS}/{item['product']['id']}").json()
    assert product["status"] == "active"
    assert product["billingAccount"]["id"] == world.account_id
    (cfs_ref,) = product["realizingService"]
    cfs = client.get(f"{SERVICES}/{cfs_ref['id']}").json()
    assert cfs["state"] == "active"
    assert len(cfs["supportingService"]) == 2
    radius = client.get(f"{SERVICES}/{cfs['supportingService'][0]['id']}").json()
    params = {c["name"]: c["value"] for c in radius["serviceCharacteristic"]}
    assert params["rateDownKbps"] == "1000000"
    assert params["ipv4Address"].startswith("100.64.0.")
    assert fake.services[radius["id"]]["ipv4Address"] == params["ipv4Address"]
    assert _allocated(platform, world) == 1
    service_orders = client.get(SERVICE_ORDERS, params={"externalId": order["id"]}).json()
    assert [so["state"] for so in service_orders] == ["completed"]


def test_a_failed_step_undoes_the_earlier_ones_and_releases_resources(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    fake.fail_services.clear()
    order = place(client, platform, order_body(world, add_item(world, failOnNetwork="true")))
    assert order["state"] == "failed"
    assert "refused" in order["note"][0]["text"]
    product = client.get(f"{PRODUCTS}/{order['productOrderItem'][0]['product']['id']}").json()
    assert product["status"] == "aborted "
    assert _allocated(platform, world) == 0
    assert fake.services == {}


def test_two_items_one_failing_end_partial(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    body = order_body(world, add_item(world, "1"), add_item(world, "2", failOnNetwork="true"))
    order = place(client, platform, body)
    assert order["state"] == "partial"
    assert [i["state"] for i in order["productOrderItem"]] == ["completed", "failed"]
    assert _allocated(platform, world) == 1


def test_an_exhausted_pool_fails_the_order_with_the_reason(
    client: TestClient, platform: bootstrap.Platform, fake: FakeDriver
) -> None:
    world = build(client, pool_cidr="100.64.0.0/30")  # two usable addresses
    states = [
        place(client, platform, order_body(world, add_item(world)))["state"] for _ in range(3)
    ]
    assert states == ["completed", "completed", "failed"]
    last = client.get(ORDERS, params={"state": "failed"}).json()[0]
    assert "exhausted" in last["note"][0]["text"]
    assert _allocated(platform, world) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"productOffering": {"id": "nope"}}, "productOffering.id"),
        (
            {"product": {"productCharacteristic": [{"name": "downloadSpeed", "value": 42}]}},
            "productCharacteristic",
        ),
        (
            {"product": {"productCharacteristic": [{"name": "colour", "value": "red"}]}},
            "productCharacteristic",
        ),
    ],
)
def test_bad_items_are_refused_and_nothing_is_created(
    client: TestClient, world: World, change: dict[str, Any], field: str
) -> None:
    response = client.post(ORDERS, json=order_body(world, {**add_item(world), **change}))
    assert response.status_code == 400
    assert field in response.json()["message"]
    assert client.get(ORDERS).json() == []
    assert client.get(PRODUCTS).json() == []


def test_a_suspended_customer_cannot_order(client: TestClient, world: World) -> None:
    client.patch(
        f"/tmf-api/customerManagement/v4/customer/{world.customer_id}", json={"status": "Suspended"}
    )
    response = client.post(ORDERS, json=order_body(world, add_item(world)))
    assert response.status_code == 400
    assert "Suspended" in response.json()["message"]


def test_an_account_in_another_currency_is_refused(client: TestClient, world: World) -> None:
    account = client.post(
        "/tmf-api/accountManagement/v4/billingAccount",
        json={
            "name": "Dollar account",
            "currency": "USD",
            "relatedParty": [
                {
                    "id": world.customer_id,
                    "role": "owner",
                    "@referredType": "Customer",
                    "name": "Ada",
                }
            ],
        },
    ).json()
    body = order_body(world, add_item(world))
    body["billingAccount"] = {"id": account["id"]}
    response = client.post(ORDERS, json=body)
    assert response.status_code == 400
    assert "USD" in response.json()["message"]


def test_the_credit_limit_is_enforced(client: TestClient) -> None:
    world = build(client, credit_limit=20)
    response = client.post(ORDERS, json=order_body(world, add_item(world)))
    assert response.status_code == 400
    assert "credit limit" in response.json()["message"]


def test_speed_change_suspend_resume_and_delete(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    order = place(client, platform, order_body(world, add_item(world)))
    product_id = order["productOrderItem"][0]["product"]["id"]

    def change(product: dict[str, Any], action: str = "modify") -> dict[str, Any]:
        item = {"id": "1", "action": action, "product": {"id": product_id, **product}}
        return place(client, platform, order_body(world, item))

    assert (
        change({"productCharacteristic": [{"name": "downloadSpeed", "value": 1000}]})["state"]
        == "completed"
    )
    product = client.get(f"{PRODUCTS}/{product_id}").json()
    speeds = {c["name"]: c["value"] for c in product["productCharacteristic"]}
    assert speeds["downloadSpeed"] == "1000"
    radius_id = next(iter(fake.services))
    assert fake.services[radius_id]["rateDownKbps"] == "1000000"

    assert change({"status": "suspended"})["state"] == "completed"
    assert client.get(f"{PRODUCTS}/{product_id}").json()["status"] == "suspended"
    assert radius_id in fake.suspended
    assert change({"status": "active"})["state"] == "completed"
    assert radius_id not in fake.suspended

    assert change({}, action="delete")["state"] == "completed"
    assert client.get(f"{PRODUCTS}/{product_id}").json()["status"] == "terminated"
    assert fake.services == {}
    assert _allocated(platform, world) == 0
    again = client.post(
        ORDERS,
        json=order_body(world, {"id": "1", "action": "delete", "product": {"id": product_id}}),
    )
    assert again.status_code == 400


def test_cancel_before_activation_starts(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    order = client.post(ORDERS, json=order_body(world, add_item(world))).json()
    cancel = client.post(
        "/tmf-api/productOrderingManagement/v4/cancelProductOrder",
        json={"productOrder": {"id": order["id"]}, "cancellationReason": "changed my mind"},
    )
    assert cancel.status_code == 201
    settle(platform)
    order = client.get(f"{ORDERS}/{order['id']}").json()
    assert order["state"] == "cancelled"
    assert order["cancellationReason"] == "changed my mind"
    assert (
        client.get(
            f"/tmf-api/productOrderingManagement/v4/cancelProductOrder/{cancel.json()['id']}"
        ).json()["state"]
        == "done"
    )
    assert fake.services == {}
    assert _allocated(platform, world) == 0


def test_cancel_after_completion_is_refused(
    client: TestClient, platform: bootstrap.Platform, world: World
) -> None:
    order = place(client, platform, order_body(world, add_item(world)))
    cancel = client.post(
        "/tmf-api/productOrderingManagement/v4/cancelProductOrder",
        json={"productOrder": {"id": order["id"]}},
    )
    assert cancel.status_code == 409


def test_a_retried_post_with_the_same_key_makes_one_order(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    body = order_body(world, add_item(world))
    first = client.post(ORDERS, json=body, headers={"Idempotency-Key": "order-42"})
    second = client.post(ORDERS, json=body, headers={"Idempotency-Key": "order-42"})
    assert first.json()["id"] == second.json()["id"]
    settle(platform)
    assert len(client.get(ORDERS).json()) == 1
    assert len(fake.services) == 2


def test_an_illegal_state_patch_is_409_with_both_states(
    client: TestClient, platform: bootstrap.Platform, world: World
) -> None:
    order = place(client, platform, order_body(world, add_item(world)))
    response = client.patch(f"{ORDERS}/{order['id']}", json={"state": "inProgress"})
    assert response.status_code == 409
    message = response.json()["message"]
    assert "completed" in message
    assert "inProgress" in message


def test_order_service_product_and_service_events_reach_hub_subscribers(
    client: TestClient, platform: bootstrap.Platform, world: World
) -> None:
    listener = Listener()
    try:
        for base in (
            "/tmf-api/productOrderingManagement/v4",
            "/tmf-api/serviceOrdering/v4",
            "/tmf-api/productInventory/v4",
            "/tmf-api/serviceInventory/v4",
        ):
            assert client.post(f"{base}/hub", json={"callback": listener.url}).status_code == 201
        place(client, platform, order_body(world, add_item(world)))
        settle(platform)
        types = set(listener.types())
    finally:
        listener.close()
    assert {
        "ProductOrderCreateEvent",
        "ProductOrderStateChangeEvent",
        "ServiceOrderCreateEvent",
        "ServiceOrderStateChangeEvent",
        "ProductCreateEvent",
        "ProductStateChangeEvent",
        "ServiceCreateEvent",
        "ServiceStateChangeEvent",
    } <= types


def test_an_offering_sells_only_the_values_it_lists(client: TestClient, world: World) -> None:
    offering = client.get(f"{CATALOG}/productOffering/{world.offering_id}").json()
    spec_id = offering["productSpecification"]["id"]
    restricted = client.post(
        f"{CATALOG}/productOffering",
        json={
            "name": "Fibre 300 only",
            "lifecycleStatus": "Launched",
            "validFor": {"startDateTime": "2025-01-01T00:00:00Z"},
            "productSpecification": {"id": spec_id},
            "productOfferingPrice": offering["productOfferingPrice"],
            "prodSpecCharValueUse": [
                {
                    "name": "downloadSpeed",
                    "productSpecCharacteristicValue": [{"value": 300, "isDefault": True}],
                    "productSpecification": {"id": spec_id},
                }
            ],
        },
    ).json()
    item = add_item(world, downloadSpeed=1000)
    item["productOffering"] = {"id": restricted["id"]}
    response = client.post(ORDERS, json=order_body(world, item))
    assert response.status_code == 400
    assert "not sold by this offering" in response.json()["message"]


ACTIVATION = "/tmf-api/ServiceActivationAndConfiguration/v4/service"


def test_tmf640_patches_reach_the_network(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    order = place(client, platform, order_body(world, add_item(world)))
    product = client.get(f"{PRODUCTS}/{order['productOrderItem'][0]['product']['id']}").json()
    cfs_id = product["realizingService"][0]["id"]
    assert client.get(f"{ACTIVATION}/{cfs_id}").json()["state"] == "active"

    answer = client.patch(f"{ACTIVATION}/{cfs_id}", json={"state": "inactive"})
    assert answer.status_code == 200
    assert answer.json()["state"] == "active"  # changes once the network has done it
    settle(platform)
    assert client.get(f"{ACTIVATION}/{cfs_id}").json()["state"] == "inactive"
    assert len(fake.suspended) == 2

    speed = [{"name": "downloadSpeed", "value": "1000"}]
    client.patch(f"{ACTIVATION}/{cfs_id}", json={"state": "active"})
    settle(platform)
    client.patch(f"{ACTIVATION}/{cfs_id}", json={"serviceCharacteristic": speed})
    settle(platform)
    assert {p["rateDownKbps"] for p in fake.services.values() if "rateDownKbps" in p} == {"1000000"}
    assert not fake.suspended

    client.patch(f"{ACTIVATION}/{cfs_id}", json={"state": "terminated"})
    settle(platform)
    assert client.get(f"{SERVICES}/{cfs_id}").json()["state"] == "terminated"
    assert fake.services == {}
    assert _allocated(platform, world) == 0


def test_tmf640_refuses_what_the_network_cannot_do(
    client: TestClient, platform: bootstrap.Platform, world: World
) -> None:
    order = place(client, platform, order_body(world, add_item(world)))
    product = client.get(f"{PRODUCTS}/{order['productOrderItem'][0]['product']['id']}").json()
    cfs_id = product["realizingService"][0]["id"]
    created = client.post(ACTIVATION, json={"state": "active", "serviceSpecification": {"id": "x"}})
    assert created.status_code == 400
    bad = client.patch(f"{ACTIVATION}/{cfs_id}", json={"state": "designed"})
    assert bad.status_code in (400, 409)
    assert client.delete(f"{ACTIVATION}/{cfs_id}").status_code == 400


def test_a_product_with_nothing_to_activate_completes_at_once(
    client: TestClient, platform: bootstrap.Platform, world: World, fake: FakeDriver
) -> None:
    offering = client.get(f"{CATALOG}/productOffering/{world.offering_id}").json()
    spec_path = f"{CATALOG}/productSpecification/{offering['productSpecification']['id']}"
    client.patch(spec_path, json={"serviceSpecification": []}).raise_for_status()
    order = place(client, platform, order_body(world, add_item(world)))
    assert order["state"] == "completed"
    assert "completionDate" in order
    product = client.get(f"{PRODUCTS}/{order['productOrderItem'][0]['product']['id']}").json()
    assert product["status"] == "active"
    assert client.get(SERVICE_ORDERS).json() == []
    assert fake.calls == []
