"""ordering.retry_order: a new order for a failed order's failed items, placed once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ordering_world import ORDERS, add_item, build, order_body, place
from ossbss import bootstrap, ordering
from ossbss.kernel.errors import Conflict, NotFound


def test_a_partial_order_is_retried_with_only_its_failed_item(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    world = build(client)
    body = order_body(world, add_item(world, "1"), add_item(world, "2", failOnNetwork="true"))
    partial = place(client, platform, body)
    assert partial["state"] == "partial"
    failed_product = partial["productOrderItem"][1]["product"]["id"]
    with platform.database.unit_of_work() as session:
        retry = ordering.retry_order(session, order_id=partial["id"], now=platform.clock.now())
        same = ordering.retry_order(session, order_id=partial["id"], now=platform.clock.now())
    assert same["id"] == retry["id"]  # idempotent: one retry per failed order
    [item] = retry["productOrderItem"]
    assert (item["id"], item["action"], item["state"]) == ("2", "add", "acknowledged")
    values = {c["name"]: c["value"] for c in item["product"]["productCharacteristic"]}
    assert values == {"downloadSpeed": "300", "failOnNetwork": "true"}
    assert item["product"].get("id") != failed_product  # a new product, not the aborted one
    assert retry["note"][0]["text"] == f"Retry of product order {partial['id']}"
    notes = [note["text"] for note in client.get(f"{ORDERS}/{partial['id']}").json()["note"]]
    assert notes.count(f"Retried as product order {retry['id']}") == 1
    assert client.get(f"{ORDERS}/{partial['id']}").json()["state"] == "partial"


def test_an_order_that_did_not_fail_is_not_retried(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    world = build(client)
    done = place(client, platform, order_body(world, add_item(world)))
    with platform.database.unit_of_work() as session:
        with pytest.raises(Conflict):
            ordering.retry_order(session, order_id=done["id"], now=platform.clock.now())
        with pytest.raises(NotFound):
            ordering.retry_order(session, order_id="no-such-order", now=platform.clock.now())
