"""The order pages over HTTP: the list and its filters, an order's service orders and
activation steps with the driver's error, retry of a failed order, cancel; who may."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

import ordering_world
from console_helpers import PASSWORD, post_form, save_screenshot, sign_in, staff_user
from ordering_world import ORDERS, add_item, order_body, place, settle
from ossbss import bootstrap, ordering
from ossbss.kernel import FixedClock
from ossbss.kernel.errors import Conflict

CANCELLATIONS = "/tmf-api/productOrderingManagement/v4/cancelProductOrder"


def as_role(platform: bootstrap.Platform, client: TestClient, role: str) -> TestClient:
    return sign_in(client, staff_user(platform, role, f"orders-{role}"))


def api_order(client: TestClient, order_id: str) -> Any:
    return client.get(f"{ORDERS}/{order_id}").json()


def submit(client: TestClient, world: ordering_world.World, **characteristics: str) -> str:
    """An order placed through the API and left unstarted (no settle)."""
    answer = client.post(ORDERS, json=order_body(world, add_item(world, **characteristics)))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_the_order_list_filters_by_state_customer_and_date(
    platform: bootstrap.Platform, client: TestClient, clock: FixedClock
) -> None:
    world = ordering_world.build(client)
    completed = place(client, platform, order_body(world, add_item(world)))["id"]
    clock.advance(timedelta(days=3))
    waiting = submit(client, world)
    as_role(platform, client, "readonly")
    everything = client.get("/orders").text
    assert everything.index(waiting[:8]) < everything.index(completed[:8])  # newest first
    by_state = client.get("/orders?state=completed").text
    assert completed[:8] in by_state
    assert waiting[:8] not in by_state
    later = (clock.now() - timedelta(days=1)).date().isoformat()
    by_date = client.get(f"/orders?from={later}").text
    assert waiting[:8] in by_date
    assert completed[:8] not in by_date
    earlier = client.get(f"/orders?to={later}").text
    assert completed[:8] in earlier
    assert waiting[:8] not in earlier
    assert completed[:8] in client.get(f"/orders?customer={world.customer_id}").text
    assert "No orders match" in client.get("/orders?customer=somebody-else").text
    found = client.get(f"/orders?q={waiting}", follow_redirects=False)
    assert found.headers["location"] == f"/orders/{waiting}"
    assert client.get("/orders?state=bogus").status_code == 400
    paged = client.get("/orders?limit=1").text
    assert waiting[:8] in paged
    assert completed[:8] not in paged
    assert "of 2" in paged  # the pager counts every match


def test_an_order_page_shows_every_step_and_the_drivers_error(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    world = ordering_world.build(client)
    order = place(client, platform, order_body(world, add_item(world, failOnNetwork="true")))
    assert order["state"] == "failed"
    as_role(platform, client, "readonly")
    page = client.get(f"/orders/{order['id']}").text
    assert "radius-subscriber" in page
    assert "access-vlan" in page
    assert "fake element refused add of" in page  # the driver's own message on the step
    assert "radius-subscriber add failed" in page  # the service order's note
    assert 'class="badge failed"' in page
    assert "Retry failed items" in page
    assert "Cancel order" not in page  # a failed order has ended


def test_retry_places_the_failed_items_again_and_the_order_completes(
    platform: bootstrap.Platform, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = ordering_world.build(client)
    # The network element is unreachable for a while: the order fails with that reason.
    driver = platform.activator.drivers["fake"]
    monkeypatch.delitem(platform.activator.drivers, "fake")
    failed = place(client, platform, order_body(world, add_item(world)))
    assert failed["state"] == "failed"
    as_role(platform, client, "csr")
    assert "no driver &#39;fake&#39; is configured" in client.get(f"/orders/{failed['id']}").text
    platform.activator.drivers["fake"] = driver  # back
    page = f"/orders/{failed['id']}"
    retried = post_form(client, f"{page}/retry", page=page)
    assert retried.status_code == 303  # type: ignore[attr-defined]
    retry_id = retried.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
    assert retry_id != failed["id"]
    # A second click is the same retry, not another order.
    again = post_form(client, f"{page}/retry", page=page)
    assert again.headers["location"] == f"/orders/{retry_id}"  # type: ignore[attr-defined]
    settle(platform)
    retry = api_order(client, retry_id)
    assert retry["state"] == "completed"
    assert retry["productOrderItem"][0]["productOffering"]["id"] == world.offering_id
    assert api_order(client, failed["id"])["state"] == "failed"  # its history stays
    assert f"Retried as product order {retry_id}" in client.get(page).text
    assert len(client.get(ORDERS).json()) == 2


def test_only_a_failed_order_can_be_retried(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    world = ordering_world.build(client)
    done = place(client, platform, order_body(world, add_item(world)))
    as_role(platform, client, "csr")
    page = f"/orders/{done['id']}"
    refused = post_form(client, f"{page}/retry", page=page)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "only a failed or partial order" in refused.text  # type: ignore[attr-defined]
    with platform.database.unit_of_work() as session, pytest.raises(Conflict):
        ordering.retry_order(session, order_id=done["id"], now=platform.clock.now())
    assert len(client.get(ORDERS).json()) == 1


def test_cancel_requests_tmf622_cancellation_of_an_order_not_started(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    world = ordering_world.build(client)
    order_id = submit(client, world)
    as_role(platform, client, "csr")
    page = f"/orders/{order_id}"
    answer = post_form(client, f"{page}/cancel", {"reason": "changed mind"}, page=page)
    assert answer.status_code == 303  # type: ignore[attr-defined]
    settle(platform)
    order = api_order(client, order_id)
    assert order["state"] == "cancelled"
    assert order["cancellationReason"] == "changed mind"
    shown = client.get(page).text
    assert "Cancellation requested" in shown
    assert 'class="badge cancelled"' in shown


def test_a_completed_order_cannot_be_cancelled(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    world = ordering_world.build(client)
    done = place(client, platform, order_body(world, add_item(world)))
    as_role(platform, client, "csr")
    page = f"/orders/{done['id']}"
    refused = post_form(client, f"{page}/cancel", page=page)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "is completed; it cannot be cancelled" in refused.text  # type: ignore[attr-defined]
    assert api_order(client, done["id"])["state"] == "completed"


def test_a_readonly_user_cannot_cancel_or_retry_an_order(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    world = ordering_world.build(client)
    waiting = submit(client, world)
    failed = place(client, platform, order_body(world, add_item(world, failOnNetwork="true")))
    for role in ("readonly", "billing"):
        as_role(platform, client, role)
        for order_id, action in ((waiting, "cancel"), (failed["id"], "retry")):
            page = f"/orders/{order_id}"
            answer = post_form(client, f"{page}/{action}", {"reason": "x"}, page=page)
            assert answer.status_code == 403, (role, action)  # type: ignore[attr-defined]
    settle(platform)
    assert client.get(CANCELLATIONS).json() == []
    assert api_order(client, waiting)["state"] != "cancelled"
    assert len(client.get(ORDERS).json()) == 2
    # Without its CSRF token even a CSR is refused.
    as_role(platform, client, "csr")
    forged = client.post(f"/orders/{waiting}/cancel", data={}, follow_redirects=False)
    assert forged.status_code == 403


def test_a_csr_retries_a_failed_order_in_a_browser(
    platform: bootstrap.Platform, client: TestClient, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect

    world = ordering_world.build(client)
    monkeypatch.delitem(platform.activator.drivers, "fake")  # the element is unreachable
    failed = place(client, platform, order_body(world, add_item(world)))
    monkeypatch.undo()  # and back
    staff_user(platform, "csr", "carol")
    page.goto("/login")
    page.fill("input[name=username]", "carol")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    page.goto("/orders")
    page.select_option("select[name=state]", "failed")
    page.click("text=Filter")
    page.click(f"a[href='/orders/{failed['id']}']")
    expect(page.locator("section.service-order")).to_contain_text("no driver 'fake' is configured")
    page.click("text=Retry failed items")
    expect(page.locator("#flash")).to_contain_text("Retry placed as order")
    retry_id = page.url.rsplit("/", 1)[1]
    assert retry_id != failed["id"]
    expect(page.locator("main")).to_contain_text(f"Retry of product order {failed['id']}")
    settle(platform)
    page.reload()
    expect(page.locator("h1 .badge")).to_have_text("completed")
    expect(page.locator("section.service-order .badge.done").first).to_be_visible()
    save_screenshot(page, "order-retry")
