"""A fair-usage throttle is a speed change on the network: the product's services get the
throttled rates through a service order, and lifting it restores the rates the product
was sold with."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ordering_world import PRODUCTS, SERVICES, add_item, build, order_body, place, settle
from ossbss import bootstrap
from ossbss.provisioning.fair_usage import set_throttle
from ossbss.tmf import characteristic_values

SERVICE_ORDERS = "/tmf-api/serviceOrdering/v4/serviceOrder"


def _rates(client: TestClient, product_id: str) -> dict[str, str]:
    product = client.get(f"{PRODUCTS}/{product_id}").json()
    cfs = client.get(f"{SERVICES}/{product['realizingService'][0]['id']}").json()
    rfs_id = next(s["id"] for s in cfs["supportingService"] if s["name"] == "radius-subscriber")
    rfs = client.get(f"{SERVICES}/{rfs_id}").json()
    return {"rateDownKbps": characteristic_values(rfs["serviceCharacteristic"])["rateDownKbps"]}


def _throttle(platform: bootstrap.Platform, product_id: str, down: int | None) -> int:
    with platform.database.unit_of_work() as session:
        orders = set_throttle(
            session,
            product_id=product_id,
            down_kbps=down,
            up_kbps=None if down is None else down // 2,
            reason="data allowance used up",
            now=platform.clock.now(),
        )
    settle(platform)
    return len(orders)


def test_a_throttle_changes_the_rates_on_the_network_and_lifting_it_restores_them(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    world = build(client)
    order = place(client, platform, order_body(world, add_item(world, downloadSpeed=300)))
    product_id = order["productOrderItem"][0]["product"]["id"]
    assert _rates(client, product_id) == {"rateDownKbps": "300000"}

    assert _throttle(platform, product_id, 1024) == 1
    assert _rates(client, product_id) == {"rateDownKbps": "1024"}
    orders = client.get(SERVICE_ORDERS, params={"category": "fairUsage"}).json()
    assert [o["state"] for o in orders] == ["completed"]

    assert _throttle(platform, product_id, 1024) == 0  # already throttled: nothing to do
    assert _throttle(platform, product_id, None) == 1
    assert _rates(client, product_id) == {"rateDownKbps": "300000"}


def test_a_product_that_is_not_active_is_not_throttled(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    assert _throttle(platform, "no-such-product", 1024) == 0
