"""The CSR journey in a real Chromium: sign in, onboard a customer, order fibre through the
guided form, and see the product active on the customer's page once ordering has activated it.

The served app runs no background dispatcher: the test delivers events and runs activations
itself (ordering_world.settle, with the fake drivers ordering_world's catalog uses)."""

from __future__ import annotations

import re
import time
from typing import Any

from fastapi.testclient import TestClient
from playwright.sync_api import expect

import ordering_world as ow
from console_helpers import PASSWORD, save_screenshot, staff_user
from ossbss import bootstrap

CYCLES = "/tmf-api/accountManagement/v4/billingCycleSpecification"
ACTIVATION_SECONDS = 30


def activate(platform: bootstrap.Platform, client: TestClient, customer_id: str) -> None:
    """Run the platform's dispatcher and activator until the customer's order is completed."""
    deadline = time.monotonic() + ACTIVATION_SECONDS
    while True:
        ow.settle(platform)
        found = client.get(ow.ORDERS, params={"relatedParty.id": customer_id}).json()
        if found and all(order["state"] == "completed" for order in found):
            return
        assert time.monotonic() < deadline, f"the order did not complete: {found}"
        time.sleep(0.1)


def test_a_csr_onboards_a_customer_and_orders_fibre_until_active(
    platform: bootstrap.Platform, client: TestClient, page: Any
) -> None:
    world = ow.build(client)  # the Fibre 300 offering (fake drivers) and an address pool
    cycle = client.post(
        CYCLES, json={"name": "Monthly on the 1st", "frequency": "monthly", "billingDateShift": 1}
    )
    assert cycle.status_code == 201, cycle.text
    staff_user(platform, "csr", "carol")

    page.goto("/login")
    page.fill("input[name=username]", "carol")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")

    page.goto("/customers/new")
    page.fill("input[name=givenName]", "Grace")
    page.fill("input[name=familyName]", "Hopper")
    page.fill("input[name=email]", "grace.hopper@example.com")
    page.fill("input[name=phone]", "not a phone")
    page.fill("input[name=street]", "12 Harbour Road")
    page.fill("input[name=postCode]", "D02 X285")
    page.fill("input[name=city]", "Dublin")
    page.fill("input[name=country]", "IE")
    page.select_option("select[name=cycle]", label="Monthly on the 1st")
    page.get_by_role("button", name="Onboard customer").click()
    # The party rules refuse the phone; the form comes back with what was typed.
    expect(page.locator("[role=alert]")).to_contain_text("phone", ignore_case=True)
    expect(page.locator("input[name=givenName]")).to_have_value("Grace")
    page.fill("input[name=phone]", "+353 87 123 4567")
    page.get_by_role("button", name="Onboard customer").click()

    page.wait_for_url(re.compile(r"/customers/[0-9a-f-]{36}$"))
    customer_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#flash")).to_contain_text("Customer Grace Hopper onboarded")

    page.get_by_role("link", name="New order").click()  # from the customer's 360
    page.wait_for_url(f"**/customers/{customer_id}/orders/new")
    page.select_option("select[name=offering]", label="Fibre 300")
    speed = page.locator("select[name='char.downloadSpeed']")  # step 2, swapped in by htmx
    expect(speed).to_have_value("300")
    speed.select_option("1000")
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(f"**/customers/{customer_id}")
    expect(page.locator("#flash")).to_contain_text("placed")

    activate(platform, client, customer_id)
    page.reload()
    products = page.locator("#products")
    expect(products).to_contain_text("Fibre 300")
    expect(products.locator(".badge.active")).to_have_count(1)
    save_screenshot(page, "csr-onboarding")
    assert world.customer_id != customer_id
